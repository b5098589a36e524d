import RarenetEvents

/// One record from the kernel, decoded and validated (see ``RecordDecoder``).
///
/// The three cases mirror the record kinds of the event ABI (bpf/rarenet.h).
public enum CapturedRecord: Sendable, Hashable {
    /// A connect or bind.
    case network(CapturedNetworkRecord)
    /// A process replaced its image (execve, execveat).
    case exec(CapturedExecRecord)
    /// A process (thread group) exited.
    case exit(CapturedExitRecord)

    /// The fields every record carries.
    public var header: CapturedRecordHeader {
        switch self {
        case let .network(record): record.header
        case let .exec(record): record.header
        case let .exit(record): record.header
        }
    }
}

/// The fields every record carries: when, and which process and thread.
public struct CapturedRecordHeader: Sendable, Hashable {
    /// When the kernel saw the event: `CLOCK_BOOTTIME` nanoseconds (since boot, including suspend).
    public var bootTimeNanoseconds: UInt64
    /// Process id (thread group id).
    public var pid: UInt32
    /// Thread id.
    public var tid: UInt32
    /// When the process (its thread group leader) started, `CLOCK_BOOTTIME`
    /// nanoseconds: with `pid`, an identity that survives pid reuse.
    public var processStartBootTimeNanoseconds: UInt64

    public init(bootTimeNanoseconds: UInt64, pid: UInt32, tid: UInt32, processStartBootTimeNanoseconds: UInt64) {
        self.bootTimeNanoseconds = bootTimeNanoseconds
        self.pid = pid
        self.tid = tid
        self.processStartBootTimeNanoseconds = processStartBootTimeNanoseconds
    }
}

/// A connect or bind seen in the kernel.
public struct CapturedNetworkRecord: Sendable, Hashable {
    /// The kernel hook that saw the event.
    public enum Hook: Sendable, Hashable {
        /// A kprobe (tcp_connect, inet_bind, inet6_bind).
        case kprobe
        /// A tracepoint (sock:inet_sock_set_state, syscalls:sys_{enter,exit}_bind).
        case tracepoint
    }

    public var header: CapturedRecordHeader
    /// Parent process id (the real parent's thread group id).
    public var ppid: UInt32
    /// Real user id.
    public var uid: UInt32
    /// Real group id.
    public var gid: UInt32
    public var action: NetworkAction
    public var family: AddressFamily
    public var transport: TransportProtocol
    /// Source address; for a bind, the bound address.
    public var sourceAddress: IPAddress
    /// Source port; for a bind, the bound port.
    public var sourcePort: UInt16
    /// Destination address; nil for a bind.
    public var destinationAddress: IPAddress?
    /// Destination port; nil for a bind.
    public var destinationPort: UInt16?
    public var hook: Hook
    /// The process's cgroup (v2) id.
    public var cgroupID: UInt64
    /// The kernel's task name (at most 15 bytes).
    public var comm: String

    public init(
        header: CapturedRecordHeader, ppid: UInt32, uid: UInt32, gid: UInt32,
        action: NetworkAction, family: AddressFamily, transport: TransportProtocol,
        sourceAddress: IPAddress, sourcePort: UInt16,
        destinationAddress: IPAddress?, destinationPort: UInt16?,
        hook: Hook, cgroupID: UInt64, comm: String
    ) {
        self.header = header
        self.ppid = ppid
        self.uid = uid
        self.gid = gid
        self.action = action
        self.family = family
        self.transport = transport
        self.sourceAddress = sourceAddress
        self.sourcePort = sourcePort
        self.destinationAddress = destinationAddress
        self.destinationPort = destinationPort
        self.hook = hook
        self.cgroupID = cgroupID
        self.comm = comm
    }
}

/// A successful exec: the new image of a process.
public struct CapturedExecRecord: Sendable, Hashable {
    public var header: CapturedRecordHeader
    /// Parent process id.
    public var ppid: UInt32
    /// Real user id.
    public var uid: UInt32
    /// Real group id.
    public var gid: UInt32
    /// The process's cgroup (v2) id.
    public var cgroupID: UInt64
    /// The kernel's task name after the exec (at most 15 bytes).
    public var comm: String
    /// Absolute path of the executable; its tail when ``isPathTruncated``.
    public var executablePath: String
    /// The argument vector, `argv[0]` first; a prefix when ``areArgumentsTruncated``.
    public var arguments: [String]
    /// The path did not fit the record: ``executablePath`` holds its end.
    public var isPathTruncated: Bool
    /// The executable file was unlinked when the process ran it.
    public var isExecutableDeleted: Bool
    /// The arguments did not fit the record.
    public var areArgumentsTruncated: Bool

    public init(
        header: CapturedRecordHeader, ppid: UInt32, uid: UInt32, gid: UInt32, cgroupID: UInt64,
        comm: String, executablePath: String, arguments: [String],
        isPathTruncated: Bool, isExecutableDeleted: Bool, areArgumentsTruncated: Bool
    ) {
        self.header = header
        self.ppid = ppid
        self.uid = uid
        self.gid = gid
        self.cgroupID = cgroupID
        self.comm = comm
        self.executablePath = executablePath
        self.arguments = arguments
        self.isPathTruncated = isPathTruncated
        self.isExecutableDeleted = isExecutableDeleted
        self.areArgumentsTruncated = areArgumentsTruncated
    }
}

/// A process (thread group) exited.
public struct CapturedExitRecord: Sendable, Hashable {
    public var header: CapturedRecordHeader
    /// Parent process id.
    public var ppid: UInt32
    /// The exit status as `wait(2)` reports it.
    public var exitStatus: Int32

    public init(header: CapturedRecordHeader, ppid: UInt32, exitStatus: Int32) {
        self.header = header
        self.ppid = ppid
        self.exitStatus = exitStatus
    }
}
