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
    /// The kernel's task name, kept inline as the kernel wrote it: with it, a
    /// network record holds no references, so the consumer moves it as plain bytes.
    public var taskName: TaskName

    /// The kernel's task name (at most 15 bytes), decoded from ``taskName``.
    public var comm: String {
        get { taskName.string }
        set { taskName = TaskName(newValue) }
    }

    public init(
        header: CapturedRecordHeader, ppid: UInt32, uid: UInt32, gid: UInt32,
        action: NetworkAction, family: AddressFamily, transport: TransportProtocol,
        sourceAddress: IPAddress, sourcePort: UInt16,
        destinationAddress: IPAddress?, destinationPort: UInt16?,
        hook: Hook, cgroupID: UInt64, taskName: TaskName
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
        self.taskName = taskName
    }
}

/// A kernel task name (`comm`, at most 15 bytes), stored inline in 16 bytes.
///
/// The bytes after the first NUL are zero, so two names are equal exactly
/// when their strings are. ``string`` decodes the bytes as UTF-8, repairing
/// invalid sequences.
public struct TaskName: Sendable, Hashable, CustomStringConvertible {
    /// The longest name the kernel keeps, in bytes.
    public static let maximumLength = 15

    /// The first and last 8 of the 16 bytes, in memory order.
    private var head: UInt64
    private var tail: UInt64

    /// The bytes of a fixed-width field up to its first NUL, at most ``maximumLength``.
    public init(nulTerminated field: UnsafeRawBufferPointer) {
        var bytes: (UInt64, UInt64) = (0, 0)
        let length = min(field.firstIndex(of: 0) ?? field.count, Self.maximumLength)
        withUnsafeMutableBytes(of: &bytes) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: field[..<length]))
        }
        (head, tail) = bytes
    }

    /// The first ``maximumLength`` bytes of `string`'s UTF-8, as the kernel truncates names.
    public init(_ string: String) {
        var string = string
        self = string.withUTF8 { TaskName(nulTerminated: UnsafeRawBufferPointer($0)) }
    }

    /// The name's bytes, without the NUL padding.
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try withUnsafeBytes(of: (head, tail)) { raw in
            try raw.withMemoryRebound(to: UInt8.self) { all in
                try body(UnsafeBufferPointer(rebasing: all[..<(all.firstIndex(of: 0) ?? Self.maximumLength)]))
            }
        }
    }

    /// The name as a string.
    public var string: String { withUTF8 { String(decoding: $0, as: UTF8.self) } }

    /// The name's length in bytes.
    public var count: Int { withUTF8 { $0.count } }

    public var description: String { string }
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
