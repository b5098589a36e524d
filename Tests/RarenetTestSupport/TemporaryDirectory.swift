import Foundation

/// A fresh directory (mode 0700) removed when the test ends.
public final class TemporaryDirectory {
    public let path: String

    public init() throws {
        var template = Array((NSTemporaryDirectory() + "rarenet-test-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw LoopbackHTTP.Failure(description: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        path = String(cString: created)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` inside the directory with `mode`; returns the file's path.
    @discardableResult
    public func write(_ text: String, to name: String, mode: mode_t = 0o600) throws -> String {
        let file = "\(path)/\(name)"
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        chmod(file, mode)
        return file
    }

    /// Creates the directory `name` inside this one with `mode`; returns its path.
    @discardableResult
    public func makeDirectory(_ name: String, mode: mode_t = 0o700) throws -> String {
        let directory = "\(path)/\(name)"
        guard mkdir(directory, mode) == 0, chmod(directory, mode) == 0 else {
            throw TestSystemError(operation: "mkdir \(directory)", errno: errno)
        }
        return directory
    }

    /// Copies the executable `source` into the directory as `name` (mode 0755); returns the copy's path.
    public func copyExecutable(_ source: String, as name: String) throws -> String {
        let destination = "\(path)/\(name)"
        try FileManager.default.copyItem(atPath: source, toPath: destination)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: destination)
        return destination
    }
}
