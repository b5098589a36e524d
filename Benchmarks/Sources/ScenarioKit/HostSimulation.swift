import RarenetEvents

/// How busy the host's users keep it, hour by hour (1 at the peak).
struct LoadCurve: Sendable {
    /// 24 levels, from midnight UTC, for Monday to Friday and for the weekend.
    var weekday: [Double]
    var weekend: [Double]

    func level(at time: Int64, in calendar: ScenarioCalendar) -> Double {
        let hour = Int(calendar.hourOfDay(time))
        return calendar.isWeekday(calendar.day(of: time)) ? weekday[hour] : weekend[hour]
    }

    /// Users of a service in Europe: quiet at night, a peak in working hours, a lighter weekend.
    static let diurnal = LoadCurve(
        weekday: [0.15, 0.1, 0.08, 0.08, 0.1, 0.15, 0.3, 0.55, 0.8, 0.95, 1, 1, 0.95, 1, 1, 0.95, 0.9, 0.85, 0.75, 0.65, 0.55, 0.45, 0.3, 0.2],
        weekend: [0.15, 0.1, 0.08, 0.08, 0.08, 0.1, 0.15, 0.25, 0.35, 0.45, 0.5, 0.55, 0.55, 0.55, 0.5, 0.5, 0.5, 0.5, 0.5, 0.45, 0.4, 0.35, 0.25, 0.2]
    )
}

/// Hands out process ids as a Linux host does: increasing, with the gaps the
/// processes that never touch the network leave, wrapping at `pid_max`;
/// processes started before the scenario (at boot) have low ids, and so do
/// those started right after a reboot.
struct PIDAllocator {
    private var next: UInt32
    private var bootNext: UInt32 = 600
    private let gap: ClosedRange<Int>
    private var reboots: [Int64]

    /// `pid_max` of a 64-bit kernel (4 194 304), and where the ids wrap to.
    static let maximum: UInt32 = 4_194_304
    static let firstAfterWrap: UInt32 = 300

    /// Ids start at `current` (weeks of uptime) and advance by `gap` per process.
    init(current: UInt32, gap: ClosedRange<Int>, reboots: [Int64]) {
        next = current
        self.gap = gap
        self.reboots = reboots.sorted()
    }

    mutating func allocate(at time: Int64, before scenarioStart: Int64, random: inout ScenarioRandom) -> UInt32 {
        if time < scenarioStart {
            bootNext += UInt32(random.int(in: 1...12))
            return bootNext
        }
        if let reboot = reboots.first, reboot <= time {
            reboots.removeFirst()
            next = bootNext
        }
        next += UInt32(random.int(in: gap))
        if next >= Self.maximum { next = Self.firstAfterWrap + next % Self.maximum }
        return next
    }
}

/// The state the workloads of one host share: its identity, process ids, the
/// processes started and not yet running, the attacks planted, and the
/// containers that run (so an attack can enter one).
final class HostSimulation {
    let name: String
    let address: IPAddress
    let calendar: ScenarioCalendar
    let load: LoadCurve
    private var pids: PIDAllocator
    private var pidRandom: ScenarioRandom
    private(set) var started: [ProcessRun] = []
    private(set) var planted: [PlantedAttack] = []
    private var containers: [String: (container: Container, address: IPAddress)] = [:]

    init(name: String, address: String, calendar: ScenarioCalendar, load: LoadCurve, pids: PIDAllocator, seed: UInt64) {
        self.name = name
        self.address = IPAddress(address)!
        self.calendar = calendar
        self.load = load
        self.pids = pids
        pidRandom = ScenarioRandom(seed: seed, label: "pids")
    }

    func allocatePID(at time: Int64) -> UInt32 {
        pids.allocate(at: time, before: calendar.start, random: &pidRandom)
    }

    func add(_ run: ProcessRun) {
        started.append(run)
        guard case .planted(let index) = run.truth else { return }
        planted[index].pids.append(run.pid)
        planted[index].start = min(planted[index].start, run.start)
        planted[index].end = max(planted[index].end, run.end)
    }

    /// The processes added since the last call.
    func takeStarted() -> [ProcessRun] {
        defer { started.removeAll(keepingCapacity: true) }
        return started
    }

    /// Registers an attack; its processes carry the returned index.
    func plant(_ technique: AttackTechnique, summary: String) -> Int {
        planted.append(PlantedAttack(technique: technique, summary: summary))
        return planted.count - 1
    }

    /// Remembers `container`, whose connects leave from `address`, as the newest one of its image's repository.
    func register(_ container: Container, address: IPAddress) {
        guard let image = container.image else { return }
        containers[Self.repository(of: image)] = (container, address)
    }

    /// The newest container started from `repository` (`registry.example/shop/web`) and its address.
    func newestContainer(of repository: String) -> (container: Container, address: IPAddress)? {
        containers[repository]
    }

    /// An image reference without its tag: `registry.example/shop/web:2.8.0` → `registry.example/shop/web`.
    static func repository(of image: String) -> String {
        guard let colon = image.lastIndex(of: ":"), !image[colon...].contains("/") else { return image }
        return String(image[..<colon])
    }
}

extension LoadCurve {
    /// A build host: jobs follow the developers' working hours, with a trickle at night and on weekends.
    static let office = LoadCurve(
        weekday: [0.1, 0.1, 0.3, 0.1, 0.05, 0.05, 0.1, 0.3, 0.7, 0.9, 1, 1, 0.8, 0.9, 1, 1, 0.95, 0.8, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1],
        weekend: [0.05, 0.05, 0.3, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.1, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]
    )
}
