/// What a process did on the network.
public enum NetworkAction: String, Sendable, Hashable, CaseIterable {
    /// An outbound connection attempt (TCP SYN sent).
    case connect
    /// A socket bound to a local address and port (a listener or a UDP socket).
    case bind
}

/// The transport protocol of a socket.
public enum TransportProtocol: String, Sendable, Hashable, CaseIterable {
    case tcp
    case udp

    /// The IANA protocol number (`IPPROTO_TCP`, `IPPROTO_UDP`).
    public var number: UInt8 {
        switch self {
        case .tcp: 6
        case .udp: 17
        }
    }

    /// The protocol for an IANA protocol number, or `nil` when it is neither TCP nor UDP.
    public init?(number: UInt8) {
        switch number {
        case 6: self = .tcp
        case 17: self = .udp
        default: return nil
        }
    }
}

/// One connect or bind, as captured live or read from a recorded event file.
///
/// This is the record/replay model of DESIGN.md ("Event record format"): the
/// required fields are non-optional, everything else is `nil` when unknown.
/// Nothing is invented: a field that was not observed stays `nil`.
public struct NetworkEvent: Sendable, Hashable {
    /// Event time, nanoseconds since the Unix epoch.
    public var timestamp: EventTimestamp
    public var action: NetworkAction
    /// Process id (thread group id).
    public var pid: UInt32
    /// Real user id.
    public var uid: UInt32
    /// The kernel's task name (at most 15 bytes), as `comm` in /proc.
    public var comm: String
    /// Parent process id.
    public var ppid: UInt32?
    /// Absolute path of the executable.
    public var executable: String?
    /// Name of the user `uid` resolves to.
    public var user: String?
    public var family: AddressFamily?
    public var transport: TransportProtocol?
    /// Source address: for a bind, the bound address.
    public var sourceAddress: IPAddress?
    /// Source port: for a bind, the bound port.
    public var sourcePort: UInt16?
    public var destinationAddress: IPAddress?
    public var destinationPort: UInt16?
    /// Host name the event was observed on.
    public var host: String?
    /// The argument vector, `argv[0]` first, when known.
    public var arguments: [String]?
    /// The container the process runs in, when it runs in one.
    public var container: EventContainer?
    /// True when the process runs in a mount namespace that is no container
    /// and its executable is not the host's file of the path it shows.
    public var inForeignNamespace: Bool

    public init(
        timestamp: EventTimestamp,
        action: NetworkAction,
        pid: UInt32,
        uid: UInt32,
        comm: String,
        ppid: UInt32? = nil,
        executable: String? = nil,
        user: String? = nil,
        family: AddressFamily? = nil,
        transport: TransportProtocol? = nil,
        sourceAddress: IPAddress? = nil,
        sourcePort: UInt16? = nil,
        destinationAddress: IPAddress? = nil,
        destinationPort: UInt16? = nil,
        host: String? = nil,
        arguments: [String]? = nil,
        container: EventContainer? = nil,
        inForeignNamespace: Bool = false
    ) {
        self.timestamp = timestamp
        self.action = action
        self.pid = pid
        self.uid = uid
        self.comm = comm
        self.ppid = ppid
        self.executable = executable
        self.user = user
        self.family = family
        self.transport = transport
        self.sourceAddress = sourceAddress
        self.sourcePort = sourcePort
        self.destinationAddress = destinationAddress
        self.destinationPort = destinationPort
        self.host = host
        self.arguments = arguments
        self.container = container
        self.inForeignNamespace = inForeignNamespace
    }
}

/// The container of an event's process, as an event line names it.
public struct EventContainer: Sendable, Hashable {
    /// The runtime's container id.
    public var id: String
    /// The image reference, when the runtime's state told it.
    public var image: String?
    /// `docker`, `containerd`, `cri-o` or `podman`, when known.
    public var runtime: String?

    public init(id: String, image: String? = nil, runtime: String? = nil) {
        self.id = id
        self.image = image
        self.runtime = runtime
    }
}

/// Nanoseconds since the Unix epoch (UTC).
public struct EventTimestamp: Sendable, Hashable, Comparable {
    public var nanosecondsSinceEpoch: Int64

    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    public static func < (lhs: EventTimestamp, rhs: EventTimestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }
}
