#if canImport(Glibc)
import Glibc
#endif
import RarenetEvents
import FuzzSupport

/// Reads the input as an event file through ``EventLineReader`` and checks
/// every result against the parser applied to the same line on its own: the
/// reader must report each bad line with its own number, skip blank lines,
/// refuse overlong ones, and never let one line change another's result.
///
/// The first input byte sets the longest line (1–256 bytes), so short limits,
/// lines that straddle the reader's buffer and overlong lines are all reached;
/// the rest is the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard let first = input.first else { return 0 }
    let maximumLineLength = Int(first) + 1
    let file = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input.dropFirst()))
    let expected = EventFileModel.results(of: file, maximumLineLength: maximumLineLength)
    let read = readThroughReader(file, maximumLineLength: maximumLineLength)
    require(read == expected, "reader and per-line parser disagree:\n\(read)\nversus\n\(expected)")
    return 0
}

/// One unlinked temporary file, rewritten for every input.
nonisolated(unsafe) private let scratchFile: UnsafeMutablePointer<FILE> = {
    guard let file = tmpfile() else { fatalError("tmpfile failed: \(errno)") }
    return file
}()

/// The file written to the scratch file and read back with the reader.
private func readThroughReader(_ file: UnsafeRawBufferPointer, maximumLineLength: Int) -> [Result<NetworkEvent, BadEventLine>] {
    let descriptor = fileno(scratchFile)
    require(ftruncate(descriptor, 0) == 0, "ftruncate failed: \(errno)")
    var written = 0
    while written < file.count {
        let count = pwrite(descriptor, file.baseAddress! + written, file.count - written, off_t(written))
        require(count > 0, "write to the scratch file failed: \(errno)")
        written += count
    }
    require(lseek(descriptor, 0, SEEK_SET) == 0, "lseek failed: \(errno)")
    var reader = EventLineReader(fileDescriptor: descriptor, source: EventFileModel.source, maximumLineLength: maximumLineLength)
    var results: [Result<NetworkEvent, BadEventLine>] = []
    do {
        while let line = try reader.next() { results.append(line) }
    } catch {
        fatalError("reading the scratch file failed: \(error)")
    }
    return results
}

/// What the reader must return, computed one line at a time.
private enum EventFileModel {
    static let source = "fuzz.jsonl"

    static func results(of file: UnsafeRawBufferPointer, maximumLineLength: Int) -> [Result<NetworkEvent, BadEventLine>] {
        var lines = file.split(separator: 0x0a, omittingEmptySubsequences: false)
        if file.isEmpty || file.last == 0x0a { lines.removeLast() }
        var results: [Result<NetworkEvent, BadEventLine>] = []
        for (index, line) in lines.enumerated() {
            let lineNumber = index + 1
            if line.count > maximumLineLength {
                let error = EventLineError(field: nil, reason: "line is longer than \(maximumLineLength) bytes")
                results.append(.failure(BadEventLine(source: source, lineNumber: lineNumber, error: error)))
                continue
            }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }) { continue }
            let parsed = EventLineParser.parse(UnsafeRawBufferPointer(rebasing: line))
            results.append(parsed.mapError { BadEventLine(source: source, lineNumber: lineNumber, error: $0) })
        }
        return results
    }
}
