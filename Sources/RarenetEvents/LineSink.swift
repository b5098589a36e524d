import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes alert lines (already encoded, one JSON object each) to standard output or a file.
///
/// Each line goes out with its newline in a single `write(2)`, with no buffering
/// in user space, so an alert reaches a SIEM shipper tailing the file as soon as
/// it is written, and lines from several threads never interleave (the file is
/// opened `O_APPEND`). A file is created with mode 0600 and opened with
/// `O_NOFOLLOW`, so a symlink planted at its path is refused.
///
/// A write is one small system call (an alert line is a few hundred bytes), but it
/// may block when the disk or the reader of standard output stalls; keep the sink
/// off the scoring thread if that matters. ``reopen()`` implements log rotation
/// (call it on SIGHUP): after `mv alerts.jsonl alerts.jsonl.1`, lines go to a
/// fresh `alerts.jsonl`. All methods are thread-safe.
public final class AlertSink: Sendable {
    /// The alert file, or nil for standard output.
    public let path: String?
    private let descriptor: Mutex<Int32>

    /// Opens (creating it 0600 if missing) the alert file at `path` for appending.
    ///
    /// - Throws: ``AlertSinkError`` when the file cannot be opened or created, or is a symlink.
    public init(path: String) throws(AlertSinkError) {
        self.path = path
        self.descriptor = Mutex(try Self.open(path))
    }

    private init(standardOutput: Void) {
        self.path = nil
        self.descriptor = Mutex(STDOUT_FILENO)
    }

    /// A sink that writes to the process's standard output.
    public static func standardOutput() -> AlertSink {
        AlertSink(standardOutput: ())
    }

    deinit {
        if path != nil {
            descriptor.withLock { fd in _ = Glibc.close(fd) }
        }
    }

    /// Writes one line and its newline.
    ///
    /// - Throws: ``AlertSinkError`` when the line holds a newline or the write fails
    ///   (the line is then lost; nothing else is).
    public func write(line: String) throws(AlertSinkError) {
        try write(line: line.utf8)
    }

    /// Writes one line given as UTF-8 bytes, and its newline.
    public func write(line: some Collection<UInt8>) throws(AlertSinkError) {
        guard !line.contains(UInt8(ascii: "\n")) else { throw .lineContainsNewline }
        var bytes = [UInt8]()
        bytes.reserveCapacity(line.count + 1)
        bytes.append(contentsOf: line)
        bytes.append(UInt8(ascii: "\n"))
        let failure = descriptor.withLock { fd in
            bytes.withUnsafeBytes { Self.writeAll(fd, $0) }
        }
        if let failure { throw .writeFailed(errno: failure) }
    }

    /// Reopens the file at its path (after log rotation moved it away); a no-op for standard output.
    ///
    /// When the file cannot be opened, the sink keeps writing where it did and throws.
    public func reopen() throws(AlertSinkError) {
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

    private static func open(_ path: String) throws(AlertSinkError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0o600)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        return fd
    }
}

/// Why an alert line could not be written.
public enum AlertSinkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The alert file could not be opened or created.
    case cannotOpen(path: String, errno: Int32)
    /// The write failed (disk full, reader gone, ...).
    case writeFailed(errno: Int32)
    /// The line holds a newline, which would break the JSON-lines format.
    case lineContainsNewline

    /// One line for the operator.
    public var description: String {
        switch self {
        case .cannotOpen(let path, let code):
            "cannot open alert file \(path): \(String(cString: strerror(code)))"
        case .writeFailed(let code):
            "cannot write alert: \(String(cString: strerror(code)))"
        case .lineContainsNewline:
            "alert line contains a newline"
        }
    }
}
