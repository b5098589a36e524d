#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RarenetEvents
import Synchronization

/// The baseline snapshot on disk: the `--state DIR` directory and the file
/// `baseline.snapshot` in it, holding the bytes of the scorer's snapshot
/// encoder.
///
/// - Safety: the directory is opened once, without following a symbolic
///   link, and every later file operation is relative to that descriptor.
///   A directory or snapshot that is a symbolic link, that group or others
///   may write, or that belongs to another user (root excepted) is refused.
/// - Atomicity: a save writes `baseline.snapshot.tmp` (created 0600), fsyncs
///   it, renames it over `baseline.snapshot` and fsyncs the directory, so a
///   crash or a full disk at any point leaves the previous snapshot whole.
/// - Bad snapshots: a load never changes the file. Only
///   ``load(resettingInvalid:decode:)`` with `resettingInvalid` moves a
///   snapshot the decoder refuses aside, to `baseline.snapshot.corrupt-<UTC time>`.
///
/// Saves and moves are serialized; the store can be shared between tasks.
public final class SnapshotStore: Sendable {
    /// The snapshot's file name in the state directory.
    public static let snapshotFileName = "baseline.snapshot"
    /// The file a save writes before renaming it over the snapshot.
    public static let temporaryFileName = "baseline.snapshot.tmp"
    /// The prefix of a snapshot moved aside by a reset.
    public static let corruptFilePrefix = "baseline.snapshot.corrupt-"
    /// The default largest snapshot a load accepts: 1 GiB.
    public static let defaultMaximumSnapshotSize = 1 << 30

    /// The state directory as given.
    public let directoryPath: String
    /// The largest snapshot, in bytes, that a load accepts.
    public let maximumSnapshotSize: Int

    private let directory: Int32
    private let writeLock = Mutex(())

    /// The path of the snapshot file.
    public var snapshotPath: String { path(of: Self.snapshotFileName) }

    /// Opens and checks the state directory, creating it (0700) if it is missing
    /// and `createIfMissing` is set.
    public init(
        directory path: String,
        createIfMissing: Bool = true,
        maximumSnapshotSize: Int = defaultMaximumSnapshotSize
    ) throws(SnapshotStoreError) {
        if createIfMissing, mkdir(path, 0o700) != 0, errno != EEXIST {
            throw .system(path: path, operation: "mkdir", code: errno)
        }
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            var status = stat()
            if code == ELOOP || code == ENOTDIR, lstat(path, &status) == 0 {
                throw status.st_mode & S_IFMT == S_IFLNK ? .symbolicLink(path: path) : .notADirectory(path: path)
            }
            throw .system(path: path, operation: "open", code: code)
        }
        do throws(SnapshotStoreError) {
            try Self.checkOwnership(of: descriptor, path: path)
        } catch {
            close(descriptor)
            throw error
        }
        self.directory = descriptor
        self.directoryPath = path
        self.maximumSnapshotSize = maximumSnapshotSize
    }

    deinit {
        close(directory)
    }

    // MARK: Load

    /// The snapshot's bytes, or `nil` when there is no snapshot yet.
    public func load() throws(SnapshotStoreError) -> [UInt8]? {
        let path = snapshotPath
        let file = openat(directory, Self.snapshotFileName, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else {
            switch errno {
            case ENOENT: return nil
            case ELOOP: throw .symbolicLink(path: path)
            case let code: throw .system(path: path, operation: "open", code: code)
            }
        }
        defer { close(file) }
        return try Self.readSnapshot(file, path: path, limit: maximumSnapshotSize, checksOwnership: true)
    }

    /// The bytes of the snapshot file at `path`, for example one copied from
    /// another host for a merge: a regular file of at most `maximumSize` bytes.
    /// Unlike ``load()``, it follows links and accepts any owner: the file is
    /// only read.
    public static func readSnapshot(atPath path: String, maximumSize: Int = defaultMaximumSnapshotSize) throws(SnapshotStoreError) -> [UInt8] {
        let file = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else { throw .system(path: path, operation: "open", code: errno) }
        defer { close(file) }
        return try readSnapshot(file, path: path, limit: maximumSize, checksOwnership: false)
    }

    /// Loads and decodes the snapshot.
    ///
    /// A snapshot that is too large or that `decode` refuses is an
    /// ``SnapshotStoreError/invalidSnapshot(path:underlying:)`` error and stays
    /// where it is; with `resettingInvalid` it is moved aside instead and the
    /// result is ``SnapshotLoad/reset(movedTo:reason:)``, so that the caller
    /// starts a fresh baseline. Unsafe files (links, permissions, owners) are
    /// always refused, never moved.
    public func load<Baseline>(
        resettingInvalid: Bool,
        decode: ([UInt8]) throws -> Baseline
    ) throws(SnapshotStoreError) -> SnapshotLoad<Baseline> {
        let reason: any Error
        do throws(SnapshotStoreError) {
            guard let bytes = try load() else { return .absent }
            do {
                return .loaded(try decode(bytes))
            } catch {
                reason = error
            }
        } catch .tooLarge(let path, let size, let limit) {
            reason = SnapshotStoreError.tooLarge(path: path, size: size, limit: limit)
        }
        guard resettingInvalid else { throw .invalidSnapshot(path: snapshotPath, underlying: reason) }
        return .reset(movedTo: try moveSnapshotAside(), reason: reason)
    }

    // MARK: Save

    /// Replaces the snapshot with `bytes`, atomically and durably.
    ///
    /// On any failure the temporary file is removed and the previous
    /// snapshot is left as it was; a full file system is
    /// ``SnapshotStoreError/noSpace(path:)``.
    public func save(_ bytes: [UInt8]) throws(SnapshotStoreError) {
        try writeLock.withLock { _ throws(SnapshotStoreError) in
            try writeTemporaryFile(bytes)
            guard renameat(directory, Self.temporaryFileName, directory, Self.snapshotFileName) == 0 else {
                let code = errno
                unlinkat(directory, Self.temporaryFileName, 0)
                throw .system(path: snapshotPath, operation: "rename", code: code)
            }
            try syncDirectory()
        }
    }

    /// Moves the snapshot to `baseline.snapshot.corrupt-<UTC time>` (never over
    /// an existing file) and returns the new path.
    @discardableResult
    public func moveSnapshotAside() throws(SnapshotStoreError) -> String {
        try writeLock.withLock { _ throws(SnapshotStoreError) in
            let stamp = Self.compactUTCStamp()
            for attempt in 0..<100 {
                let name = Self.corruptFilePrefix + stamp + (attempt == 0 ? "" : "-\(attempt)")
                // link + unlink instead of rename: link never replaces an existing file.
                if linkat(directory, Self.snapshotFileName, directory, name, 0) == 0 {
                    guard unlinkat(directory, Self.snapshotFileName, 0) == 0 else {
                        throw .system(path: snapshotPath, operation: "unlink", code: errno)
                    }
                    try syncDirectory()
                    return path(of: name)
                }
                guard errno == EEXIST else { throw .system(path: path(of: name), operation: "link", code: errno) }
            }
            throw .system(path: path(of: Self.corruptFilePrefix + stamp), operation: "link", code: EEXIST)
        }
    }

    // MARK: Helpers

    private func path(of name: String) -> String {
        directoryPath.hasSuffix("/") ? directoryPath + name : directoryPath + "/" + name
    }

    private func writeTemporaryFile(_ bytes: [UInt8]) throws(SnapshotStoreError) {
        let path = path(of: Self.temporaryFileName)
        if unlinkat(directory, Self.temporaryFileName, 0) != 0, errno != ENOENT {
            throw .system(path: path, operation: "unlink", code: errno)
        }
        let file = openat(directory, Self.temporaryFileName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw Self.writeError(path: path, operation: "open", code: errno) }
        do throws(SnapshotStoreError) {
            guard fchmod(file, 0o600) == 0 else { throw .system(path: path, operation: "fchmod", code: errno) }
            try Self.writeAll(bytes, to: file, path: path)
            guard fsync(file) == 0 else { throw Self.writeError(path: path, operation: "fsync", code: errno) }
        } catch {
            close(file)
            unlinkat(directory, Self.temporaryFileName, 0)
            throw error
        }
        guard close(file) == 0 else {
            let code = errno
            unlinkat(directory, Self.temporaryFileName, 0)
            throw Self.writeError(path: path, operation: "close", code: code)
        }
    }

    private func syncDirectory() throws(SnapshotStoreError) {
        guard fsync(directory) == 0 else { throw .system(path: directoryPath, operation: "fsync", code: errno) }
    }

    private static func writeAll(_ bytes: [UInt8], to file: Int32, path: String) throws(SnapshotStoreError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                write(file, buffer.baseAddress! + written, buffer.count - written)
            }
            if count >= 0 {
                written += count
            } else if errno != EINTR {
                throw writeError(path: path, operation: "write", code: errno)
            }
        }
    }

    /// Checks that `file` is a regular file within `limit` bytes (and, when
    /// `checksOwnership`, safely owned) and reads it whole.
    private static func readSnapshot(_ file: Int32, path: String, limit: Int, checksOwnership: Bool) throws(SnapshotStoreError) -> [UInt8] {
        var status = stat()
        guard fstat(file, &status) == 0 else { throw .system(path: path, operation: "fstat", code: errno) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile(path: path) }
        if checksOwnership { try checkOwnership(of: file, path: path) }
        guard status.st_size <= limit else { throw .tooLarge(path: path, size: Int(status.st_size), limit: limit) }
        return try readAll(file, path: path, expectedSize: Int(status.st_size), limit: limit)
    }

    private static func readAll(_ file: Int32, path: String, expectedSize: Int, limit: Int) throws(SnapshotStoreError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: expectedSize)
        var filled = 0
        while true {
            if filled == bytes.count {
                // The file may have grown since fstat: keep reading, within the limit.
                guard bytes.count < limit else { break }
                bytes.append(contentsOf: repeatElement(0, count: min(max(bytes.count, 4096), limit - bytes.count)))
            }
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(file, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count > 0 {
                filled += count
            } else if count == 0 {
                bytes.removeSubrange(filled...)
                return bytes
            } else if errno != EINTR {
                throw .system(path: path, operation: "read", code: errno)
            }
        }
        throw .tooLarge(path: path, size: bytes.count + 1, limit: limit)
    }

    /// Refuses a file or directory that is writable by group or others or
    /// that belongs to another user than this process's or root.
    private static func checkOwnership(of descriptor: Int32, path: String) throws(SnapshotStoreError) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .system(path: path, operation: "fstat", code: errno) }
        guard status.st_uid == geteuid() || status.st_uid == 0 else {
            throw .ownedByAnotherUser(path: path, owner: status.st_uid)
        }
        guard status.st_mode & (S_IWGRP | S_IWOTH) == 0 else {
            throw .writableByOthers(path: path, mode: status.st_mode)
        }
    }

    private static func writeError(path: String, operation: String, code: Int32) -> SnapshotStoreError {
        code == ENOSPC || code == EDQUOT ? .noSpace(path: path) : .system(path: path, operation: operation, code: code)
    }

    /// The wall-clock time as `20240618T120000Z`, for names of moved-aside files.
    private static func compactUTCStamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let timestamp = EventTimestamp(nanosecondsSinceEpoch: Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec))
        return String(timestamp.rfc3339.prefix(19).filter { $0 != "-" && $0 != ":" }) + "Z"
    }
}

/// What ``SnapshotStore/load(resettingInvalid:decode:)`` found.
public enum SnapshotLoad<Baseline> {
    /// There is no snapshot yet: start a fresh baseline.
    case absent
    /// The snapshot, decoded.
    case loaded(Baseline)
    /// The snapshot was refused for `reason` and moved to `movedTo`: start a fresh baseline.
    case reset(movedTo: String, reason: any Error)
}
