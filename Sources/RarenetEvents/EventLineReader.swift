#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An event file that could not be opened or read.
public struct EventFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file name as given (`-` for stdin).
    public var source: String
    /// What was being done: `open` or `read`.
    public var operation: String
    /// The `errno` value.
    public var code: Int32

    public init(source: String, operation: String, code: Int32) {
        self.source = source
        self.operation = operation
        self.code = code
    }

    /// `events.jsonl: cannot open: No such file or directory`.
    public var description: String {
        "\(source): cannot \(operation): \(String(cString: strerror(code)))"
    }
}

/// Streams an event file (DESIGN.md "Event record format") line by line in
/// bounded memory, parsing each line with ``EventLineParser``.
///
/// Memory is about twice `maximumLineLength` whatever the file size. A line
/// longer than that is reported as a bad line (its bytes are skipped, not
/// kept); blank lines are skipped silently but still counted, so line numbers
/// match the file. The last line needs no trailing newline.
///
///     var reader = try EventLineReader(path: "events.jsonl")
///     while let line = try reader.next() {
///         switch line {
///         case .success(let event): score(event)
///         case .failure(let bad): log(bad)   // events.jsonl:12: field "dport": …
///         }
///     }
public struct EventLineReader: ~Copyable {
    /// The default longest line: 64 KiB.
    public static let defaultMaximumLineLength = 65_536

    /// The file name used in messages (`-` for stdin).
    public let source: String
    /// Lines longer than this many bytes (newline excluded) are bad lines.
    public let maximumLineLength: Int

    private let descriptor: Int32
    private let closesDescriptor: Bool
    private var buffer: [UInt8]
    /// The unconsumed bytes are `buffer[start..<end]`.
    private var start = 0
    private var end = 0
    private var reachedEndOfFile = false
    /// Set while skipping the rest of an overlong line.
    private var discardingLine = false
    private var lineNumber = 0

    /// Opens `path` for reading; `-` reads standard input.
    public init(path: String, maximumLineLength: Int = defaultMaximumLineLength) throws(EventFileError) {
        if path == "-" {
            self.init(fileDescriptor: STDIN_FILENO, source: path, maximumLineLength: maximumLineLength)
            return
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw EventFileError(source: path, operation: "open", code: errno) }
        self.init(descriptor: descriptor, closes: true, source: path, maximumLineLength: maximumLineLength)
    }

    /// Reads from an open descriptor, which stays open when the reader is gone.
    public init(fileDescriptor: Int32, source: String, maximumLineLength: Int = defaultMaximumLineLength) {
        self.init(descriptor: fileDescriptor, closes: false, source: source, maximumLineLength: maximumLineLength)
    }

    private init(descriptor: Int32, closes: Bool, source: String, maximumLineLength: Int) {
        precondition(maximumLineLength > 0, "maximumLineLength must be positive")
        self.descriptor = descriptor
        self.closesDescriptor = closes
        self.source = source
        self.maximumLineLength = maximumLineLength
        buffer = [UInt8](repeating: 0, count: max(2 * maximumLineLength, 4096))
    }

    deinit {
        if closesDescriptor { close(descriptor) }
    }

    /// The next non-blank line, parsed; `nil` at the end of the file.
    ///
    /// Throws only when the file cannot be read; a bad line is a `.failure`.
    public mutating func next() throws(EventFileError) -> Result<NetworkEvent, BadEventLine>? {
        while true {
            guard let line = try nextLine() else { return nil }
            lineNumber += 1
            // Length first: a line over the limit is a bad line whatever it holds,
            // whether or not it fitted in the buffer.
            if discardingLine || line.count > maximumLineLength {
                discardingLine = false
                return .failure(bad(EventLineError(field: nil, reason: "line is longer than \(maximumLineLength) bytes")))
            }
            if isBlank(line) { continue }
            let parsed = buffer.withUnsafeBytes { bytes in
                EventLineParser.parse(UnsafeRawBufferPointer(rebasing: bytes[line]))
            }
            switch parsed {
            case .success(let event): return .success(event)
            case .failure(let error): return .failure(bad(error))
            }
        }
    }

    private func isBlank(_ line: Range<Int>) -> Bool {
        buffer[line].allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }
    }

    private func bad(_ error: EventLineError) -> BadEventLine {
        BadEventLine(source: source, lineNumber: lineNumber, error: error)
    }

    /// The byte range of the next line in `buffer`, without its newline.
    private mutating func nextLine() throws(EventFileError) -> Range<Int>? {
        while true {
            if let newline = indexOfNewline() {
                defer { start = newline + 1 }
                return start..<newline
            }
            if reachedEndOfFile {
                guard start < end || discardingLine else { return nil }
                defer { start = end }
                return start..<end
            }
            if discardingLine || end - start > maximumLineLength {
                discardingLine = true
                start = 0
                end = 0
            } else if start > 0 {
                buffer.withUnsafeMutableBytes { bytes in
                    bytes.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: end - start)
                }
                end -= start
                start = 0
            }
            try fill()
        }
    }

    private func indexOfNewline() -> Int? {
        buffer.withUnsafeBytes { bytes in
            guard start < end, let found = memchr(bytes.baseAddress! + start, 0x0a, end - start) else { return nil }
            return UnsafeRawPointer(found) - bytes.baseAddress!
        }
    }

    /// Reads what the descriptor has into the free end of `buffer`.
    private mutating func fill() throws(EventFileError) {
        while true {
            let count = buffer.withUnsafeMutableBytes { bytes in
                read(descriptor, bytes.baseAddress! + end, bytes.count - end)
            }
            if count > 0 {
                end += count
                return
            }
            if count == 0 {
                reachedEndOfFile = true
                return
            }
            guard errno == EINTR else { throw EventFileError(source: source, operation: "read", code: errno) }
        }
    }
}
