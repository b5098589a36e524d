import RarenetEvents

/// How long a process runs.
struct Lifetime: Sendable {
    var nanoseconds: ClosedRange<Int64>

    static func seconds(_ range: ClosedRange<Int64>) -> Lifetime {
        Lifetime(nanoseconds: range.lowerBound * TimeUnit.second...range.upperBound * TimeUnit.second)
    }

    static func minutes(_ range: ClosedRange<Int64>) -> Lifetime {
        Lifetime(nanoseconds: range.lowerBound * TimeUnit.minute...range.upperBound * TimeUnit.minute)
    }
}

/// What a workload starts its processes through: the host, a generator of its
/// own, and a clock that sequential steps move forward.
struct Launch {
    let host: HostSimulation
    var random: ScenarioRandom
    /// When the next step starts; ``run(_:lasting:parent:source:)`` moves it past the step.
    var time: Int64
    /// Set while a planted attack starts its processes: they carry its index.
    var attack: Int?
    /// When true, processes do not bind (a reload or an in-place change: the sockets are inherited).
    var inheritsListeners = false
    /// Ids to give the next processes, in order, instead of new ones (the same
    /// processes, changed in place); and the ids given so far.
    var reusedPIDs: [UInt32] = []
    private(set) var startedPIDs: [UInt32] = []

    init(host: HostSimulation, random: ScenarioRandom, time: Int64) {
        self.host = host
        self.random = random
        self.time = time
    }

    /// A process id taken now, for a parent whose end is known only after its children are placed.
    mutating func reservePID() -> UInt32 {
        host.allocatePID(at: time)
    }

    /// Starts `spec` for `from..<until`, as a child of `parent`, its connects
    /// leaving from `source` (the host's address by default); returns its pid.
    @discardableResult
    mutating func start(
        _ spec: ProcessSpec, pid: UInt32? = nil, from: Int64, until: Int64, parent: UInt32, source: IPAddress? = nil
    ) -> UInt32 {
        let pid = pid ?? (reusedPIDs.isEmpty ? host.allocatePID(at: from) : reusedPIDs.removeFirst())
        startedPIDs.append(pid)
        host.add(ProcessRun(
            pid: pid, ppid: parent, image: spec.image, start: from, end: max(until, from + TimeUnit.millisecond),
            source: source ?? host.address,
            opening: inheritsListeners ? spec.opening.filter { if case .listen = $0 { false } else { true } } : spec.opening,
            traffic: spec.traffic,
            truth: attack.map { .planted(attack: $0) } ?? .routine(activity: spec.activity),
            random: random.split()
        ))
        return pid
    }

    /// Starts `spec` at ``time`` for a draw of `lifetime`, then moves ``time``
    /// past it and a pause of up to two seconds (the next step of a job).
    @discardableResult
    mutating func run(_ spec: ProcessSpec, lasting lifetime: Lifetime, parent: UInt32, source: IPAddress? = nil) -> UInt32 {
        let end = time + duration(lifetime)
        let pid = start(spec, from: time, until: end, parent: parent, source: source)
        time = end + random.int64(in: 50 * TimeUnit.millisecond..<2 * TimeUnit.second)
        return pid
    }

    /// Moves ``time`` on by a draw of `lifetime` (work that makes no network events).
    mutating func pause(_ lifetime: Lifetime) {
        time += duration(lifetime)
    }

    mutating func duration(_ lifetime: Lifetime) -> Int64 {
        random.int64(in: lifetime.nanoseconds.lowerBound..<lifetime.nanoseconds.upperBound + 1)
    }

    /// A new container of `image` (`nil` when the runtime would not tell it)
    /// whose connects leave from `address`, registered with the host.
    mutating func newContainer(image: String?, address: IPAddress) -> Container {
        let container = Container(id: random.hex(64), image: image)
        host.register(container, address: address)
        return container
    }
}
