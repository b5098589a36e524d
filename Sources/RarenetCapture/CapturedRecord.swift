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

    @inlinable
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
    /// The file the process executes and its mount namespace, from the task itself.
    public var executableFile: CapturedExecutableFile
    /// The kernel's task name, kept inline as the kernel wrote it: with it, a
    /// network record holds no references, so the consumer moves it as plain bytes.
    public var taskName: TaskName

    /// The kernel's task name (at most 15 bytes), decoded from ``taskName``.
    public var comm: String {
        get { taskName.string }
        set { taskName = TaskName(newValue) }
    }

    @inlinable
    public init(
        header: CapturedRecordHeader, ppid: UInt32, uid: UInt32, gid: UInt32,
        action: NetworkAction, family: AddressFamily, transport: TransportProtocol,
        sourceAddress: IPAddress, sourcePort: UInt16,
        destinationAddress: IPAddress?, destinationPort: UInt16?,
        hook: Hook, cgroupID: UInt64, executableFile: CapturedExecutableFile = CapturedExecutableFile(), taskName: TaskName
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
        self.executableFile = executableFile
        self.taskName = taskName
    }
}

/// The file a task executes and the mount namespace it lives in, as the kernel
/// knows them (`struct rarenet_executable_file`): what identifies a process
/// that never exec'd, whatever it renamed itself to.
public struct CapturedExecutableFile: Sendable, Hashable {
    /// The executable's inode number; 0 for a task without memory map (a kernel thread).
    public var inode: UInt64
    /// The executable's device, the kernel's encoding (`MAJOR << 20 | MINOR`).
    public var device: UInt32
    /// The mount namespace's inode number (`/proc/<pid>/ns/mnt`); 0 when unknown.
    public var mountNamespace: UInt32

    @inlinable
    public init(inode: UInt64 = 0, device: UInt32 = 0, mountNamespace: UInt32 = 0) {
        self.inode = inode
        self.device = device
        self.mountNamespace = mountNamespace
    }

    /// True when the task executes a file (it is not a kernel thread).
    public var isKnown: Bool { inode != 0 }
}

/// A kernel task name (`comm`, at most 15 bytes), stored inline in 16 bytes.
///
/// The bytes after the first NUL are zero, so two names are equal exactly
/// when their strings are. ``string`` decodes the bytes as UTF-8, repairing
/// invalid sequences.
public struct TaskName: Sendable, Hashable, CustomStringConvertible {
    /// The longest name the kernel keeps, in bytes.
    public static let maximumLength = 15

    /// The first and last 8 of the 16 bytes, as little-endian words: byte `i`
    /// of the name is bits `8 * i ..< 8 * i + 8` of `head` (i < 8) or `tail`.
    @usableFromInline var head: UInt64
    @usableFromInline var tail: UInt64

    /// The name in a 16-byte kernel `comm` field at `field`: its bytes up to
    /// the first NUL, at most ``maximumLength``.
    ///
    /// Two 8-byte loads and a few bit operations: this runs once per connect.
    @inlinable @inline(__always)
    public init(kernelField field: UnsafeRawPointer) {
        head = UInt64(littleEndian: field.loadUnaligned(as: UInt64.self))
        tail = UInt64(littleEndian: field.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        // Byte 15 is never part of a name; then everything from the first NUL on is cleared.
        tail &= 0x00FF_FFFF_FFFF_FFFF
        let headZeros = Self.zeroBytes(head)
        if headZeros != 0 {
            head &= Self.bytesBelowLowest(headZeros)
            tail = 0
        } else {
            tail &= Self.bytesBelowLowest(Self.zeroBytes(tail))
        }
    }

    /// The bytes of a fixed-width field up to its first NUL, at most ``maximumLength``.
    public init(nulTerminated field: UnsafeRawBufferPointer) {
        var padded: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &padded) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: field.prefix(Self.maximumLength)))
        }
        self = withUnsafeBytes(of: padded) { TaskName(kernelField: $0.baseAddress!) }
    }

    /// The first ``maximumLength`` bytes of `string`'s UTF-8, as the kernel truncates names.
    public init(_ string: String) {
        var string = string
        self = string.withUTF8 { TaskName(nulTerminated: UnsafeRawBufferPointer($0)) }
    }

    /// The high bit of every byte of `word` that is zero, and no other bit.
    @inlinable
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((word & low7) &+ low7) | word | low7)
    }

    /// A mask of the bytes below the lowest byte flagged in `zeroBytes` (all bytes when none is).
    @inlinable
    static func bytesBelowLowest(_ zeroBytes: UInt64) -> UInt64 {
        ((zeroBytes & (~zeroBytes &+ 1)) >> 7) &- 1
    }

    /// The name's length in bytes.
    @inlinable
    public var count: Int {
        let headZeros = Self.zeroBytes(head)
        if headZeros != 0 { return headZeros.trailingZeroBitCount / 8 }
        return 8 + Self.zeroBytes(tail).trailingZeroBitCount / 8
    }

    /// The name's bytes, without the NUL padding.
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        let length = count
        return try withUnsafeBytes(of: (head.littleEndian, tail.littleEndian)) { raw in
            try raw.withMemoryRebound(to: UInt8.self) { all in
                try body(UnsafeBufferPointer(rebasing: all[..<length]))
            }
        }
    }

    /// The name as a string.
    public var string: String { withUTF8 { String(decoding: $0, as: UTF8.self) } }

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
    /// The file the new image executes and the process's mount namespace.
    public var executableFile: CapturedExecutableFile
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
        executableFile: CapturedExecutableFile = CapturedExecutableFile(),
        comm: String, executablePath: String, arguments: [String],
        isPathTruncated: Bool, isExecutableDeleted: Bool, areArgumentsTruncated: Bool
    ) {
        self.header = header
        self.ppid = ppid
        self.uid = uid
        self.gid = gid
        self.cgroupID = cgroupID
        self.executableFile = executableFile
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

/// The records of one ring-buffer batch, decoded, in ring order.
///
/// Network records, the bulk of any batch, are plain values (no references)
/// stored contiguously in ``networkRecords``: the decoder writes each one once,
/// in place, and a reader walks them without copying through an enum. The
/// rare exec and exit records are kept apart with their position, and
/// iterating the batch yields every record in ring order.
public struct CapturedRecordBatch: Sendable, Sequence {
    /// A record that is not in ``networkRecords``, and where it stands among them.
    @usableFromInline
    struct PositionedRecord: Sendable {
        /// How many of the batch's network records came before this one.
        @usableFromInline let networkRecordsBefore: Int
        @usableFromInline let record: CapturedRecord

        @inlinable
        init(networkRecordsBefore: Int, record: CapturedRecord) {
            self.networkRecordsBefore = networkRecordsBefore
            self.record = record
        }
    }

    /// The connects and binds, in ring order.
    public let networkRecords: [CapturedNetworkRecord]
    /// Every other record, in ring order.
    @usableFromInline let otherRecords: [PositionedRecord]

    @inlinable
    init(networkRecords: [CapturedNetworkRecord], otherRecords: [PositionedRecord]) {
        self.networkRecords = networkRecords
        self.otherRecords = otherRecords
    }

    /// A batch of `records`, in their order: for records built rather than
    /// drained from a ring.
    public init(_ records: some Sequence<CapturedRecord>) {
        var networkRecords: [CapturedNetworkRecord] = []
        var otherRecords: [PositionedRecord] = []
        for record in records {
            if case .network(let network) = record {
                networkRecords.append(network)
            } else {
                otherRecords.append(PositionedRecord(networkRecordsBefore: networkRecords.count, record: record))
            }
        }
        self.init(networkRecords: networkRecords, otherRecords: otherRecords)
    }

    /// Records in the batch.
    public var count: Int { networkRecords.count + otherRecords.count }

    /// A stretch of a batch in ring order.
    public enum Run: Sendable {
        /// Consecutive connects and binds: these indices of ``networkRecords``.
        case network(Range<Int>)
        /// An exec or exit record.
        case other(CapturedRecord)
    }

    /// The batch in ring order as runs of consecutive network records and the
    /// other records between them: for a consumer that handles connects and
    /// binds a run at a time.
    public var runs: Runs { Runs(batch: self) }

    /// Yields a batch's ``Run``s in ring order.
    public struct Runs: Sequence, IteratorProtocol {
        private let batch: CapturedRecordBatch
        private var nextNetwork = 0
        private var nextOther = 0

        init(batch: CapturedRecordBatch) {
            self.batch = batch
        }

        public mutating func next() -> Run? {
            let runEnd = nextOther < batch.otherRecords.count
                ? batch.otherRecords[nextOther].networkRecordsBefore
                : batch.networkRecords.count
            if nextNetwork < runEnd {
                defer { nextNetwork = runEnd }
                return .network(nextNetwork..<runEnd)
            }
            guard nextOther < batch.otherRecords.count else { return nil }
            defer { nextOther += 1 }
            return .other(batch.otherRecords[nextOther].record)
        }
    }

    /// The batch holds no record.
    public var isEmpty: Bool { count == 0 }

    public func makeIterator() -> Iterator {
        Iterator(batch: self)
    }

    /// Yields the batch's records in ring order: its ``runs``, each network
    /// run record by record.
    public struct Iterator: IteratorProtocol {
        private let networkRecords: [CapturedNetworkRecord]
        private var runs: Runs
        private var networkRun: Range<Int> = 0..<0

        init(batch: CapturedRecordBatch) {
            networkRecords = batch.networkRecords
            runs = batch.runs
        }

        public mutating func next() -> CapturedRecord? {
            if networkRun.isEmpty {
                switch runs.next() {
                case .network(let run)?: networkRun = run
                case .other(let record)?: return record
                case nil: return nil
                }
            }
            return .network(networkRecords[networkRun.removeFirst()])
        }
    }
}
