import RarenetEvents

/// A user as the sensor reports it: the uid and, when the host's user
/// database has it, the name.
public struct Account: Sendable, Hashable {
    public var uid: UInt32
    public var name: String?

    public init(uid: UInt32, name: String?) {
        self.uid = uid
        self.name = name
    }

    static let root = Account(uid: 0, name: "root")
}

/// The container a process runs in, as the event line carries it.
public struct Container: Sendable, Hashable {
    /// 64 hexadecimal digits, new for every container the runtime starts.
    public var id: String
    /// The image reference (`docker.io/library/postgres:16`), or `nil` when the
    /// runtime's state does not tell it (a BuildKit step, for one).
    public var image: String?

    public init(id: String, image: String?) {
        self.id = id
        self.image = image
    }
}

/// What a process runs: the fields an event line gives of it.
public struct ProcessImage: Sendable, Hashable {
    /// The executable as the kernel names it: the path inside the process's
    /// own root, symbolic links resolved, ` (deleted)` when unlinked.
    public var executable: String
    /// argv, argv[0] first.
    public var arguments: [String]
    /// The kernel's task name: the exec'd file's basename, at most 15 bytes.
    public var comm: String
    public var account: Account
    public var container: Container?

    /// `comm` defaults to the executable's basename (before any ` (deleted)`),
    /// cut to 15 bytes as the kernel cuts it; pass it when the exec'd name
    /// differs (a symbolic link such as `python3` → `python3.12`, a script run
    /// by its interpreter, a process that renamed itself).
    init(_ executable: String, _ arguments: [String], account: Account, comm: String? = nil, container: Container? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.comm = Self.taskName(comm ?? Self.basename(of: executable))
        self.account = account
        self.container = container
    }

    /// The last path component, without the kernel's ` (deleted)` suffix.
    static func basename(of path: String) -> String {
        let live = path.hasSuffix(deletedSuffix) ? String(path.dropLast(deletedSuffix.count)) : path
        return live.split(separator: "/").last.map(String.init) ?? live
    }

    /// `name` cut to the 15 bytes of a task name, on a character boundary.
    private static func taskName(_ name: String) -> String {
        var result = ""
        for character in name where result.utf8.count + character.utf8.count <= 15 {
            result.append(character)
        }
        return result
    }

    static let deletedSuffix = " (deleted)"
}

/// An address and port, and the transport of the socket.
public struct Endpoint: Sendable, Hashable {
    public var address: IPAddress
    public var port: UInt16
    public var transport: TransportProtocol

    init(_ address: String, _ port: UInt16, _ transport: TransportProtocol = .tcp) {
        guard let parsed = IPAddress(address) else { preconditionFailure("not an address: \(address)") }
        self.init(parsed, port, transport)
    }

    init(_ address: IPAddress, _ port: UInt16, _ transport: TransportProtocol = .tcp) {
        self.address = address
        self.port = port
        self.transport = transport
    }
}

/// A socket a process opens right after it starts.
enum Socket: Sendable, Hashable {
    /// `bind` to a local endpoint (a listener, or a UDP socket).
    case listen(Endpoint)
    /// `connect` to a remote one.
    case connect(Endpoint)
}

/// Connects a process keeps making while it runs, judged per 15-minute bucket.
struct Traffic: Sendable {
    /// Where they go: one drawn per connect.
    var destinations: [Endpoint]
    /// The chance that the process connects at all in a bucket it runs in.
    var chance: Double
    /// How many connects it makes in such a bucket.
    var connects: ClosedRange<Int>
    /// Whether `chance` is scaled by the host's load at the time (user-driven traffic).
    var followsLoad: Bool

    init(_ destinations: [Endpoint], chance: Double = 1, connects: ClosedRange<Int> = 1...2, followsLoad: Bool = false) {
        precondition(!destinations.isEmpty, "traffic goes somewhere")
        self.destinations = destinations
        self.chance = chance
        self.connects = connects
        self.followsLoad = followsLoad
    }

    init(_ destination: Endpoint, chance: Double = 1, connects: ClosedRange<Int> = 1...2, followsLoad: Bool = false) {
        self.init([destination], chance: chance, connects: connects, followsLoad: followsLoad)
    }
}

/// A process to start: what it runs, what it opens at once, what it keeps doing,
/// and the routine activity it belongs to (the cause a false alert is filed under).
struct ProcessSpec: Sendable {
    var image: ProcessImage
    var activity: String
    var opening: [Socket] = []
    var traffic: [Traffic] = []
}
