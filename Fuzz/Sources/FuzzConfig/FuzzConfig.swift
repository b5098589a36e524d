import FuzzSupport
import RarenetConfig
import RarenetScoring

/// Reads the input as the text of a configuration file. A refused file must
/// give one line that names the file, and the line only when it is in the
/// file; an accepted one must give the scorer settings it validates itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let configuration: SensorConfiguration
    do {
        configuration = try SensorConfiguration.parse(yaml: text, file: fileName)
    } catch {
        checkRefusal(error, lineCount: yamlLineCount(text))
        return 0
    }
    do {
        try ScoringConfiguration(configuration, sensorProcessID: nil).validate()
    } catch {
        fatalError("an accepted configuration gives scorer settings the scorer refuses: \(error)")
    }
    return 0
}

private let fileName = "/etc/rarenet/rarenet.yaml"

private func checkRefusal(_ error: RarenetConfig.ConfigurationError, lineCount: Int) {
    let text = error.description
    require(error.source == .file(fileName), "the error names another source: \(text)")
    require(!error.reason.isEmpty, "an error without a reason: \(text)")
    // Compared as bytes: a field name may start with a combining mark, which joins the space before it.
    let location = fileName + (error.line.map { ":\($0)" } ?? "") + ": "
    require(text.utf8.starts(with: location.utf8), "the error does not start with the file and line: \(text)")
    require(!text.unicodeScalars.contains(where: breaksTheLine), "the error is not one line: \(text.debugDescription)")
    if let line = error.line {
        require((1...lineCount + 1).contains(line), "line \(line) of a \(lineCount)-line file: \(text)")
    }
}

/// Controls and line separators: what would break the error's line in a log.
private func breaksTheLine(_ scalar: Unicode.Scalar) -> Bool {
    [.control, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory)
}

/// The lines of `text` as YAML counts them: LF, CR, CR LF, NEL, LS and PS each end one.
private func yamlLineCount(_ text: String) -> Int {
    var count = 1
    var previous: Unicode.Scalar = " "
    for scalar in text.unicodeScalars {
        if ["\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) || scalar == "\n" && previous != "\r" { count += 1 }
        previous = scalar
    }
    return count
}
