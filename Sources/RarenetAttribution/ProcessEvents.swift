import RarenetIdentity

/// A process started running a new executable (a successful `execve`), as the
/// kernel reported it. The sensor maps its exec records onto this, so that the
/// process table depends on no capture code.
public struct ProcessExec: Sendable, Hashable {
    /// The process; `execve` keeps both its pid and its start time.
    public var identity: ProcessIdentity
    /// When the exec happened: CLOCK_BOOTTIME nanoseconds.
    public var timestampNanoseconds: UInt64
    /// The parent's process id.
    public var parentPID: UInt32
    /// The real user id.
    public var uid: UInt32
    /// The task name after the exec (the file name, at most 15 bytes).
    public var comm: String
    /// The executable, from the kernel's walk of its dentries.
    public var executable: ExecutablePath
    /// True when the kernel could keep only the tail of a long path.
    public var executableTruncated: Bool
    /// The argument vector, each argument followed by a NUL byte (the last
    /// one may lack it when truncated).
    public var argumentBytes: [UInt8]
    /// True when the kernel could not copy every argument.
    public var argumentsTruncated: Bool
    /// The executable's file, when the kernel reported it.
    public var executableFile: FileIdentity?
    /// The process's mount namespace (inode number), when the kernel reported it.
    public var mountNamespace: UInt32?
    /// The process's cgroup (v2) id.
    public var cgroupID: UInt64

    public init(
        identity: ProcessIdentity,
        timestampNanoseconds: UInt64,
        parentPID: UInt32,
        uid: UInt32,
        comm: String,
        executable: ExecutablePath,
        executableTruncated: Bool = false,
        argumentBytes: [UInt8],
        argumentsTruncated: Bool = false,
        executableFile: FileIdentity? = nil,
        mountNamespace: UInt32? = nil,
        cgroupID: UInt64 = 0
    ) {
        self.identity = identity
        self.timestampNanoseconds = timestampNanoseconds
        self.parentPID = parentPID
        self.uid = uid
        self.comm = comm
        self.executable = executable
        self.executableTruncated = executableTruncated
        self.argumentBytes = argumentBytes
        self.argumentsTruncated = argumentsTruncated
        self.executableFile = executableFile
        self.mountNamespace = mountNamespace
        self.cgroupID = cgroupID
    }
}

/// A process (its whole thread group) exited, as the kernel reported it.
public struct ProcessExit: Sendable, Hashable {
    /// The process that exited.
    public var identity: ProcessIdentity
    /// When it exited: CLOCK_BOOTTIME nanoseconds.
    public var timestampNanoseconds: UInt64

    public init(identity: ProcessIdentity, timestampNanoseconds: UInt64) {
        self.identity = identity
        self.timestampNanoseconds = timestampNanoseconds
    }
}
