import RarenetIdentity

/// What the process table knows about one process.
///
/// Records are owned by a ``ProcessTable`` and change only through it (an
/// exec replaces the executable and arguments; details are loaded once), so
/// holding a record is cheap and always shows the table's latest knowledge.
/// ``derived`` is the sensor's own slot: whatever it computes once per
/// process (for instance the scorer's key hash) lives here and is found with
/// the record in the same dictionary probe.
public final class ProcessRecord<Derived> {
    /// Where the table learned about a process.
    public enum Source: String, Hashable, Sendable {
        /// From the kernel's exec record: the executable is exactly what ran.
        case exec
        /// From `/proc`: a process started before the sensor, or one that never exec'd (a fork).
        case procfs
        /// From its parent's record: a process that never exec'd (a fork) and
        /// was gone from `/proc` before its first event was attributed. A
        /// fork runs its parent's executable, so that is what it is given;
        /// only a parent whose executable has not changed since the child
        /// started is used.
        case parent
        /// Neither: the process was gone from `/proc` and no exec of it was
        /// seen. Only the identity is known.
        case unknown
    }

    /// The process.
    public let identity: ProcessIdentity
    /// Where the table learned about the process.
    public internal(set) var source: Source
    /// The parent's process id, when known.
    public internal(set) var parentPID: UInt32?
    /// The real user id, when known.
    public internal(set) var uid: UInt32?
    /// The task name when the table learned it (an exec's file name, or
    /// `/proc`'s `comm`). A process may rename itself at any time: key on
    /// ``executable``, never on this.
    public internal(set) var comm: String?
    /// The executable, when known: its path inside the process's own root.
    public internal(set) var executable: ExecutablePath?
    /// The executable's file (device and inode), when known: what the
    /// process runs whatever its path says.
    public internal(set) var executableFile: FileIdentity?
    /// The process's mount namespace (inode number), when known.
    public internal(set) var mountNamespace: UInt32?
    /// The container the process runs in, from its cgroup; `nil` on the host
    /// (or when the process was gone before its cgroup could be read).
    public internal(set) var container: ContainerIdentity?
    /// When the process started running ``executable`` (clock ticks since
    /// boot, as ``ProcessIdentity/startTicks``), if an exec record said so;
    /// `nil` for what `/proc` showed.
    var executableSinceTicks: UInt64?
    /// The arguments, `argv[0]` first, when known.
    public internal(set) var arguments: [String]
    /// True when ``arguments`` holds only the start of the argument vector.
    public internal(set) var argumentsTruncated: Bool
    /// The working directory; read by ``ProcessTable/loadDetails(of:)``.
    public internal(set) var workingDirectory: String?
    /// The name of ``uid``; resolved by ``ProcessTable/loadDetails(of:)``.
    public internal(set) var userName: String?
    /// True once the process is known to have exited: the kernel reported its
    /// exit, or `/proc` showed it a zombie or no longer had it.
    public internal(set) var hasExited: Bool

    /// The sensor's data derived from this record, computed once per process.
    /// The table clears it when an exec changes the executable. Read per
    /// event, so without the dynamic exclusivity check: one thread owns the
    /// table and its records, and no access to it overlaps another.
    @exclusivity(unchecked) public var derived: Derived?

    /// True once ``ProcessTable/loadDetails(of:)`` ran for this record.
    var detailsLoaded: Bool
    /// Whether a lookup touched the record since the eviction hand last passed
    /// it. Written per event, unchecked like ``derived``.
    @exclusivity(unchecked) @usableFromInline var recentlyUsed: Bool
    /// The record's index in the table's slots; `nil` once evicted.
    @usableFromInline var slot: Int?
    /// When the record may be dropped (boot nanoseconds): set when it exits.
    var expiresAtNanoseconds: UInt64

    init(identity: ProcessIdentity, source: Source) {
        self.identity = identity
        self.source = source
        arguments = []
        argumentsTruncated = false
        hasExited = false
        detailsLoaded = false
        recentlyUsed = true
        expiresAtNanoseconds = .max
    }

    /// True while the table holds the record.
    @inlinable public var isResident: Bool { slot != nil }

    /// The process's name: its task name at exec; for a process that started
    /// before the sensor, its executable's file name (as the kernel would
    /// truncate it), since `/proc`'s `comm` may be a thread's rename; else
    /// whatever name is known.
    public var name: String? {
        if source == .exec, let comm { return comm }
        if let executable, let fileName = executable.path.split(separator: "/").last {
            return String(decoding: fileName.utf8.prefix(15), as: UTF8.self)
        }
        return comm
    }
}
