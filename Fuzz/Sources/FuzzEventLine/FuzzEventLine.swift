import RarenetEvents
import FuzzSupport

/// Parses the input as one event line. Whatever the parser accepts must come
/// back unchanged through the encoder, and whatever it refuses must yield a
/// printable error; it must never trap, hang or read outside the line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventLine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    switch EventLineParser.parse(UnsafeRawBufferPointer(start: data, count: size)) {
    case .success(let event):
        let line = EventLineEncoder.line(for: event)
        let reparsed = EventLineParser.parse(line)
        require(reparsed == .success(event), "accepted line does not survive encode → parse: \(line) → \(reparsed)")
    case .failure(let error):
        require(!error.description.isEmpty, "empty error message")
    }
    return 0
}
