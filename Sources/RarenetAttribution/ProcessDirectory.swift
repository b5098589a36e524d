import RarenetIdentity
#if canImport(Glibc)
import Glibc
#endif

/// One process's directory in `/proc`, held open.
///
/// Every file is read relative to the open directory, which the kernel ties to
/// the process it named when it was opened: once that process is reaped, reads
/// fail instead of returning the files of a new process that reuses the pid.
/// So a ``stat`` read first pins down which process every later read describes.
struct ProcessDirectory: ~Copyable {
    private let descriptor: Int32

    /// Opens `/proc/<pid>`; `nil` when no such process exists (or it is not visible).
    init?(pid: UInt32) {
        let descriptor = open("/proc/\(pid)", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// The parsed `stat` file; `nil` when the process is gone or the file is malformed.
    func stat() -> ProcessStat? {
        read("stat", limit: 1024).flatMap(ProcessStat.init(parsing:))
    }

    /// The real user id from the `Uid:` line of `status`.
    func realUID() -> UInt32? {
        guard let status = read("status", limit: 2048) else { return nil }
        for line in status.split(separator: UInt8(ascii: "\n")) where line.starts(with: Self.uidPrefix) {
            let fields = line.dropFirst(Self.uidPrefix.count).split(whereSeparator: { $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: " ") })
            return fields.first.flatMap { UInt32(String(decoding: $0, as: UTF8.self)) }
        }
        return nil
    }

    private static let uidPrefix = Array("Uid:".utf8)

    /// The executable, from the `exe` link; `nil` for a kernel thread or a zombie.
    func executable() -> ExecutablePath? {
        readLink("exe").map(ExecutablePath.init(kernelName:))
    }

    /// The executable's file, from `stat` of the `exe` link (which the kernel
    /// resolves to the very file the process runs, linked or not).
    func executableFile() -> FileIdentity? {
        var status = Glibc.stat()
        guard fstatat(descriptor, "exe", &status, 0) == 0 else { return nil }
        return FileIdentity(statDevice: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// The mount namespace's inode number, from the `ns/mnt` link (`mnt:[4026531841]`).
    func mountNamespace() -> UInt32? {
        guard let link = readLink("ns/mnt"), link.hasPrefix("mnt:["), link.hasSuffix("]") else { return nil }
        return UInt32(link.dropFirst("mnt:[".count).dropLast())
    }

    /// The text of the `cgroup` file.
    func cgroups() -> String? {
        read("cgroup", limit: 8192).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The working directory, from the `cwd` link.
    func workingDirectory() -> String? {
        readLink("cwd")
    }

    /// The arguments from `cmdline`, at most `limit` bytes of them, and
    /// whether there were more.
    func arguments(limit: Int) -> (arguments: [String], truncated: Bool)? {
        guard let bytes = read("cmdline", limit: limit + 1) else { return nil }
        return (ArgumentVector.decode(bytes.prefix(limit)), bytes.count > limit)
    }

    /// At most `limit` bytes of the file `name`; `nil` when it cannot be read.
    private func read(_ name: String, limit: Int) -> [UInt8]? {
        let file = openat(descriptor, name, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { return nil }
        defer { close(file) }
        var bytes = [UInt8](repeating: 0, count: limit)
        var count = 0
        while count < limit {
            let result = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(file, buffer.baseAddress! + count, limit - count)
            }
            if result > 0 {
                count += result
            } else if result == 0 {
                break
            } else if errno != EINTR {
                return nil
            }
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// The target of the symbolic link `name`; `nil` when it cannot be read.
    private func readLink(_ name: String) -> String? {
        let capacity = Int(PATH_MAX) + ExecutablePath.deletedSuffix.utf8.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer -> String? in
            let length = buffer.withMemoryRebound(to: CChar.self) { characters in
                readlinkat(descriptor, name, characters.baseAddress!, capacity)
            }
            guard length > 0 else { return nil }
            return String(decoding: buffer.prefix(length), as: UTF8.self)
        }
    }

    /// The pids of every process visible in `/proc`.
    static func allPIDs() -> [UInt32] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var pids: [UInt32] = []
        while let entry = readdir(directory) {
            let pid = withUnsafeBytes(of: entry.pointee.d_name) { name in
                UInt32(String(decoding: name.prefix(while: { $0 != 0 }), as: UTF8.self))
            }
            if let pid { pids.append(pid) }
        }
        return pids
    }
}

/// The fields of `/proc/<pid>/stat` the process table uses.
struct ProcessStat: Hashable {
    /// Field 1.
    var pid: UInt32
    /// Field 2, between the first "(" and the last ")": a task name may contain both.
    var comm: String
    /// Field 3, the state: "Z" for a zombie (exited, not yet reaped), "X" for dead.
    var state: UInt8
    /// Field 4.
    var parentPID: UInt32
    /// Field 22: start time in clock ticks since boot.
    var startTicks: UInt64

    /// True when the process has exited and only its parent's wait keeps it in `/proc`.
    var hasExited: Bool { state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") }

    /// Parses a `stat` line; `nil` when it lacks a field this type needs.
    init?(parsing line: [UInt8]) {
        guard let open = line.firstIndex(of: UInt8(ascii: "(")),
              let close = line.lastIndex(of: UInt8(ascii: ")")),
              open < close,
              let pid = UInt32(String(decoding: line[..<open].filter { $0 != UInt8(ascii: " ") }, as: UTF8.self))
        else { return nil }
        // Fields 3 and later follow ") ", separated by single spaces.
        let fields = line[(close + 1)...].split(separator: UInt8(ascii: " "))
        let stateIndex = 3 - 3, parentIndex = 4 - 3, startIndex = 22 - 3
        guard fields.count > startIndex, let state = fields[stateIndex].first,
              let parentPID = UInt32(String(decoding: fields[parentIndex], as: UTF8.self)),
              let startTicks = UInt64(String(decoding: fields[startIndex], as: UTF8.self))
        else { return nil }
        self.pid = pid
        self.comm = String(decoding: line[(open + 1)..<close], as: UTF8.self)
        self.state = state
        self.parentPID = parentPID
        self.startTicks = startTicks
    }
}
