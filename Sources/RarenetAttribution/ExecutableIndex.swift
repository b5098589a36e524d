import RarenetIdentity

/// What the kernel's record of an event says the process executes, for the
/// table to name a process it cannot find anywhere else.
public struct ExecutableHint: Sendable, Hashable {
    /// The executable's file; `nil` for a kernel thread or when not reported.
    public var file: FileIdentity?
    /// The process's mount namespace (inode number), when reported.
    public var mountNamespace: UInt32?
    /// The process's cgroup (v2) id; 0 when unknown.
    public var cgroupID: UInt64
    /// The process's parent, when the event names it (the kernel's records do).
    public var parentPID: UInt32?

    public init(file: FileIdentity? = nil, mountNamespace: UInt32? = nil, cgroupID: UInt64 = 0, parentPID: UInt32? = nil) {
        self.file = file
        self.mountNamespace = mountNamespace
        self.cgroupID = cgroupID
        self.parentPID = parentPID
    }
}

/// The paths of executable files, by device and inode, learned from execs
/// and `/proc`: a process that forked from one of them and exited before
/// anyone read its `/proc` entry is named by the file it runs, not by the
/// name it gave itself. A path is only used for a process in the mount
/// namespace it was learned in (the same file can be mounted
/// elsewhere). Bounded: the index starts over when full.
struct ExecutableIndex {
    private struct Entry {
        var executable: ExecutablePath
        var mountNamespace: UInt32?
    }

    private var entries: [FileIdentity: Entry] = [:]
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    mutating func learn(_ file: FileIdentity, executable: ExecutablePath, mountNamespace: UInt32?) {
        if entries[file] == nil, entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[file] = Entry(executable: executable, mountNamespace: mountNamespace)
    }

    /// The path of `file` as seen from `mountNamespace`, when learned there.
    func executable(of file: FileIdentity, inMountNamespace mountNamespace: UInt32?) -> ExecutablePath? {
        guard let entry = entries[file], entry.mountNamespace == mountNamespace else { return nil }
        return entry.executable
    }
}
