#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a baseline snapshot could not be loaded or saved. Every case names the
/// path concerned; the description is a complete sentence for the log.
public enum SnapshotStoreError: Error, CustomStringConvertible {
    /// The state directory or the snapshot is a symbolic link.
    case symbolicLink(path: String)
    /// The state directory is not a directory.
    case notADirectory(path: String)
    /// The snapshot is not a regular file.
    case notARegularFile(path: String)
    /// Users other than the owner may write the path (`mode` is its permission bits).
    case writableByOthers(path: String, mode: UInt32)
    /// The path belongs to a user other than this process's user or root.
    case ownedByAnotherUser(path: String, owner: UInt32)
    /// The snapshot is larger than the store accepts.
    case tooLarge(path: String, size: Int, limit: Int)
    /// The snapshot's bytes were refused by the decoder; the file was left as it was.
    case invalidSnapshot(path: String, underlying: any Error)
    /// The file system is full (`ENOSPC`, `EDQUOT`); the previous snapshot is intact.
    case noSpace(path: String)
    /// A system call failed (`operation` names it, `code` is `errno`).
    case system(path: String, operation: String, code: Int32)

    /// The path the error is about.
    public var path: String {
        switch self {
        case .symbolicLink(let path), .notADirectory(let path), .notARegularFile(let path),
             .writableByOthers(let path, _), .ownedByAnotherUser(let path, _), .tooLarge(let path, _, _),
             .invalidSnapshot(let path, _), .noSpace(let path), .system(let path, _, _):
            path
        }
    }

    public var description: String {
        switch self {
        case .symbolicLink(let path):
            "\(path): is a symbolic link; refusing to follow it for baseline state"
        case .notADirectory(let path):
            "\(path): is not a directory"
        case .notARegularFile(let path):
            "\(path): is not a regular file"
        case .writableByOthers(let path, let mode):
            "\(path): is writable by group or others (mode \(String(mode & 0o7777, radix: 8))); run `chmod go-w \(path)`"
        case .ownedByAnotherUser(let path, let owner):
            "\(path): is owned by uid \(owner), not by this user (uid \(geteuid())) or root"
        case .tooLarge(let path, let size, let limit):
            "\(path): is \(size) bytes, more than the \(limit) a snapshot may have"
        case .invalidSnapshot(let path, let underlying):
            "\(path): not a usable baseline snapshot: \(underlying); the file was left untouched "
                + "(--reset-baseline moves it aside and starts a fresh baseline)"
        case .noSpace(let path):
            "\(path): no space left on the file system; the previous snapshot is intact"
        case .system(let path, let operation, let code):
            "\(path): \(operation) failed: \(String(cString: strerror(code)))"
        }
    }
}
