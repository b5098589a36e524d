import RarenetEvents

/// What changes on the build host, and when: the runner's and the tools'
/// versions, the images' tags, the providers', the layouts that name test
/// binaries. A job on a pull request's branch (a dependency bump) sees a
/// version a day before main does.
struct CIVersions {
    let runnerUpdate: Int64
    let runner: VersionHistory<String>
    let go: VersionHistory<String>
    let node: VersionHistory<String>
    let chromium: VersionHistory<Int>
    let gitlabHelper: VersionHistory<String>
    let terraformImage: VersionHistory<String>
    let awsProvider: VersionHistory<String>
    let cloudflareProvider: VersionHistory<String>
    /// The Go repository's package layout: a package added shifts the `b<NNN>` of those after it.
    let goLayout: VersionHistory<Int>
    /// The Rust repository's lock file on main: a new state, new hashes.
    let crateLock: VersionHistory<Int>
    private let seed: UInt64

    /// The Python the setup action puts in the tool cache (its patch release does not change in these days).
    static let pythonTool = "/home/runner/work/_tool/Python/3.12.8/x64/bin/python3.12"

    /// The GitLab runner's upgrade by apt.
    static func gitlabUpgrade(_ calendar: ScenarioCalendar) -> Int64 {
        calendar.time(day: 10, hour: 6, minute: 40)
    }

    init(calendar: ScenarioCalendar, seed: UInt64) {
        self.seed = seed
        runnerUpdate = calendar.time(day: 8, hour: 10, minute: 32)
        runner = VersionHistory("2.320.0", [(runnerUpdate, "2.321.0")])
        go = VersionHistory("1.23.4", [(calendar.time(day: 5, hour: 18), "1.23.5")])
        node = VersionHistory("20.18.1", [(calendar.time(day: 9, hour: 14), "20.18.2")])
        chromium = VersionHistory(1148, [(calendar.time(day: 9, hour: 11), 1155)])
        gitlabHelper = VersionHistory("v17.6.0", [(Self.gitlabUpgrade(calendar), "v17.7.0")])
        terraformImage = VersionHistory("1.9.8", [(calendar.time(day: 7, hour: 15), "1.10.1")])
        awsProvider = VersionHistory("5.80.0", [(calendar.time(day: 4, hour: 15, minute: 30), "5.81.0"),
                                                (calendar.time(day: 11, hour: 15, minute: 30), "5.82.1")])
        cloudflareProvider = VersionHistory("4.48.0", [(calendar.time(day: 9, hour: 12), "4.49.1")])
        goLayout = VersionHistory(0, [(calendar.time(day: 6, hour: 12), 1)])
        crateLock = VersionHistory(0, [(calendar.time(day: 2, hour: 15), 1), (calendar.time(day: 7, hour: 16), 2),
                                       (calendar.time(day: 11, hour: 14), 3)])
    }

    /// The cargo metadata hash of `crate` under lock-file state `lock`: stable
    /// for the state, new when it changes.
    func crateHash(_ crate: String, lock: Int) -> String {
        var random = ScenarioRandom(seed: seed ^ ScenarioRandom.stableHash(crate), item: Int64(lock))
        return random.hex(16)
    }
}

/// A job's branch: main, or a pull request's, which runs tomorrow's versions
/// and, now and then, a lock file or layout of its own.
struct Branch {
    /// How far ahead of main its versions are.
    var lead: Int64
    /// A lock-file state of its own, or `nil` for main's.
    var lock: Int?
    /// A package layout of its own, or `nil` for main's.
    var layout: Int?

    var isMain: Bool { lead == 0 }

    static func draw(at time: Int64, calendar: ScenarioCalendar, random: inout ScenarioRandom) -> Branch {
        guard random.chance(0.6) else { return Branch(lead: 0, lock: nil, layout: nil) }
        let day = calendar.day(of: time)
        // Two pull requests a day change the lock file; one in five jobs of a branch adds a package.
        let lock = random.chance(0.4) ? 1000 + 10 * day + random.int(in: 0...1) : nil
        return Branch(lead: TimeUnit.day, lock: lock, layout: random.chance(0.2) ? 1 : nil)
    }
}

/// Docker's default bridge, which service and job containers get their addresses on.
enum DockerNetwork {
    /// The bridge's own address: where the host's connects to containers leave from.
    static let gateway = IPAddress(ipv4: 172, 17, 0, 1)

    static func containerAddress(_ random: inout ScenarioRandom) -> IPAddress {
        IPAddress(ipv4: 172, 17, 0, UInt8(random.int(in: 2...254)))
    }
}

/// A container started for the processes that run in it: its id, the
/// address its connects leave from, and its shim (their parent).
struct RunningContainer {
    let container: Container
    let address: IPAddress
    let shim: UInt32

    /// A new container of `image` (`nil` when the runtime's state does not name it) at `address`.
    init(image: String?, address: IPAddress, launch: inout Launch) {
        self.address = address
        container = launch.newContainer(image: image, address: address)
        shim = launch.reservePID()
    }

    /// A new container of `dockerImage` on Docker's default bridge.
    init(dockerImage: String?, launch: inout Launch) {
        self.init(image: dockerImage, address: DockerNetwork.containerAddress(&launch.random), launch: &launch)
    }

    /// `spec` as run inside this container.
    func run(_ spec: ProcessSpec) -> ProcessSpec {
        var spec = spec
        spec.image.container = container
        return spec
    }
}

/// The service containers CI jobs start (`services:`), a new container each job.
enum ServiceContainer {
    case postgres
    case redis

    private var image: ProcessImage {
        switch self {
        case .postgres: ProcessImage("/usr/lib/postgresql/16/bin/postgres", ["postgres"], account: Account(uid: 999, name: nil))
        case .redis: ProcessImage("/usr/local/bin/redis-server", ["redis-server *:6379"], account: Account(uid: 999, name: nil))
        }
    }

    private var reference: String {
        switch self {
        case .postgres: "docker.io/library/postgres:16"
        case .redis: "docker.io/library/redis:7"
        }
    }

    var port: UInt16 {
        switch self {
        case .postgres: 5432
        case .redis: 6379
        }
    }

    static let activity = "service containers (postgres, redis: a new container every job)"

    /// Starts the container for `from..<until` and returns its address; when
    /// `published`, docker-proxy publishes its port on the host (IPv4 and IPv6)
    /// and relays the clients' connections to it.
    @discardableResult
    func start(_ launch: inout Launch, from: Int64, until: Int64, published: Bool) -> IPAddress {
        let service = RunningContainer(dockerImage: reference, launch: &launch)
        let address = service.address
        launch.start(service.run(ProcessSpec(image: image, activity: Self.activity,
                                             opening: [.listen(Endpoint("0.0.0.0", port)), .listen(Endpoint("::", port))])),
                     from: from, until: until, parent: service.shim, source: address)
        guard published else { return address }
        for hostAddress in ["0.0.0.0", "::"] {
            launch.start(ProcessSpec(
                image: ProcessImage("/usr/bin/docker-proxy", ["/usr/bin/docker-proxy", "-proto", "tcp", "-host-ip", hostAddress, "-host-port", "\(port)",
                                                              "-container-ip", "\(address)", "-container-port", "\(port)"], account: .root),
                activity: "docker-proxy (published service ports)",
                opening: [.listen(Endpoint(hostAddress, port))],
                traffic: hostAddress == "0.0.0.0" ? [Traffic(Endpoint(address, port), chance: 0.9, connects: 1...4)] : []
            ), from: from, until: until, parent: 1, source: DockerNetwork.gateway)
        }
        return address
    }
}
