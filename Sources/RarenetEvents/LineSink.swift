import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes JSON lines (already encoded: alerts, recorded events) to standard output or a file.
///
/// Each line, or each batch of lines, goes out in a single `write(2)` with no
/// buffering in user space, so a line reaches a SIEM shipper tailing the file
/// as soon as it is written, and lines from several threads never interleave
/// (the file is opened `O_APPEND`). A file is created with mode 0600 and
/// opened with `O_NOFOLLOW`, so a symlink planted at its path is refused.
///
/// A write is one system call, but it may block when the disk or the reader of
/// standard output stalls; keep the sink off a latency-sensitive thread if that
/// matters. ``reopen()`` implements log rotation (call it on SIGHUP): after
/// `mv alerts.jsonl alerts.jsonl.1`, lines go to a fresh `alerts.jsonl`. All
/// methods are thread-safe.
public final class LineSink: Sendable {
    /// The output file, or nil for standard output.
    public let path: String?
    private let descriptor: Mutex<Int32>

    /// Opens (creating it 0600 if missing) the file at `path` for appending.
    ///
    /// - Throws: ``LineSinkError`` when the file cannot be opened or created, or is a symlink.
    public init(path: String) throws(LineSinkError) {
        self.path = path
        self.descriptor = Mutex(try Self.open(path))
    }

    private init(standardOutput: Void) {
        self.path = nil
        self.descriptor = Mutex(STDOUT_FILENO)
    }

    /// A sink that writes to the process's standard output.
    public static func standardOutput() -> LineSink {
        LineSink(standardOutput: ())
    }

    deinit {
        if path != nil {
            descriptor.withLock { fd in _ = Glibc.close(fd) }
        }
    }

    /// Writes one line and its newline.
    ///
    /// - Throws: ``LineSinkError`` when the line holds a newline or the write fails
    ///   (the line is then lost; nothing else is).
    public func write(line: String) throws(LineSinkError) {
        try write(line: line.utf8)
    }

    /// Writes one line given as UTF-8 bytes, and its newline.
    public func write(line: some Collection<UInt8>) throws(LineSinkError) {
        guard !line.contains(UInt8(ascii: "\n")) else { throw .lineContainsNewline }
        var bytes = [UInt8]()
        bytes.reserveCapacity(line.count + 1)
        bytes.append(contentsOf: line)
        bytes.append(UInt8(ascii: "\n"))
        try write(lines: bytes)
    }

    /// Writes whole lines, each already ending in its newline, in one `write(2)`
    /// (a batch of lines as ``JSONLineWriter`` leaves them).
    ///
    /// - Throws: ``LineSinkError`` when `lines` does not end in a newline (a line
    ///   would be cut) or the write fails.
    public func write(lines: [UInt8]) throws(LineSinkError) {
        guard let last = lines.last else { return }
        guard last == UInt8(ascii: "\n") else { throw .unterminatedLine }
        let failure = descriptor.withLock { fd in
            lines.withUnsafeBytes { Self.writeAll(fd, $0) }
        }
        if let failure { throw .writeFailed(errno: failure) }
    }

    /// Reopens the file at its path (after log rotation moved it away); a no-op for standard output.
    ///
    /// When the file cannot be opened, the sink keeps writing where it did and throws.
    public func reopen() throws(LineSinkError) {
        guard let path else { return }
        let fresh = try Self.open(path)
        let old = descriptor.withLock { fd in
            defer { fd = fresh }
            return fd
        }
        Glibc.close(old)
    }

    /// `write` until every byte is out, resuming after partial writes and EINTR; the errno on failure.
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return nil
    }

    private static func open(_ path: String) throws(LineSinkError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0o600)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        return fd
    }
}

/// Why a line could not be written.
public enum LineSinkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The output file could not be opened or created.
    case cannotOpen(path: String, errno: Int32)
    /// The write failed (disk full, reader gone, ...).
    case writeFailed(errno: Int32)
    /// The line holds a newline, which would break the JSON-lines format.
    case lineContainsNewline
    /// A batch of lines does not end in a newline.
    case unterminatedLine

    /// One line for the operator.
    public var description: String {
        switch self {
        case .cannotOpen(let path, let code):
            "cannot open \(path): \(String(cString: strerror(code)))"
        case .writeFailed(let code):
            "cannot write a line: \(String(cString: strerror(code)))"
        case .lineContainsNewline:
            "line contains a newline"
        case .unterminatedLine:
            "lines do not end in a newline"
        }
    }
}
