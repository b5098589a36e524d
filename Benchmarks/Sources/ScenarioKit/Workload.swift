/// Something on a host that starts processes: a service, a scheduled job, a
/// CI runner, users, an attacker.
protocol Workload {
    /// Starts the processes due in `window` (a job's later steps may start after it).
    mutating func startProcesses(in window: Range<Int64>, on host: HostSimulation)
}

/// A long-running service across its restarts: each entry starts the
/// service's processes, which run until the next entry (or the end).
struct Timeline: Workload {
    /// How an entry replaces the processes before it.
    enum Change: Sendable {
        /// New processes, which bind their listeners (a start, a restart, a deploy).
        case start
        /// New processes on inherited sockets: no binds (a reload, a binary upgrade by re-exec).
        case reload
        /// The same processes with a changed executable (a package upgrade
        /// that replaced the file under them: ` (deleted)`).
        case inPlace
    }

    struct Entry {
        var time: Int64
        var change: Change
        /// Starts the processes at `launch.time`, to run until `until`.
        var start: (_ launch: inout Launch, _ until: Int64) -> Void
    }

    private let entries: [Entry]
    private var next = 0
    private var random: ScenarioRandom
    private var previousPIDs: [UInt32] = []

    init(seed: UInt64, label: String, entries: [Entry]) {
        self.entries = entries.sorted { $0.time < $1.time }
        random = ScenarioRandom(seed: seed, label: label)
    }

    /// A service whose version (an executable path, a release, an image tag)
    /// starts as `initial` before the scenario and changes at `changes`;
    /// `restarts` (reboots, an operator's restart) start it again unchanged.
    init<Version>(
        seed: UInt64, label: String, calendar: ScenarioCalendar, initial: Version,
        changes: [(time: Int64, version: Version, change: Change)] = [], restarts: [Int64] = [],
        start: @escaping (_ launch: inout Launch, _ version: Version, _ until: Int64) -> Void
    ) {
        var timeline: [(time: Int64, version: Version?, change: Change)] = [(calendar.start - TimeUnit.day, initial, .start)]
        timeline += changes.map { ($0.time, $0.version, $0.change) }
        timeline += restarts.map { ($0, nil, .start) }
        timeline.sort { $0.time < $1.time }
        var version = initial
        let entries = timeline.map { item in
            if let changed = item.version { version = changed }
            let current = version
            return Entry(time: item.time, change: item.change) { launch, until in start(&launch, current, until) }
        }
        self.init(seed: seed, label: label, entries: entries)
    }

    mutating func startProcesses(in window: Range<Int64>, on host: HostSimulation) {
        while next < entries.count, entries[next].time < window.upperBound {
            let entry = entries[next]
            next += 1
            let until = next < entries.count ? entries[next].time : host.calendar.end
            var launch = Launch(host: host, random: random.split(), time: entry.time)
            launch.inheritsListeners = entry.change != .start
            if entry.change == .inPlace { launch.reusedPIDs = previousPIDs }
            entry.start(&launch, until)
            previousPIDs = launch.startedPIDs
        }
    }
}

/// A job started on a schedule (cron, a systemd timer, people at work).
struct Recurring: Workload {
    private let schedule: Schedule
    private let job: (inout Launch) -> Void
    private var random: ScenarioRandom

    init(seed: UInt64, label: String, schedule: Schedule, job: @escaping (inout Launch) -> Void) {
        self.schedule = schedule
        self.job = job
        random = ScenarioRandom(seed: seed, label: label)
    }

    mutating func startProcesses(in window: Range<Int64>, on host: HostSimulation) {
        for time in schedule.occurrences(in: window, calendar: host.calendar, random: &random) {
            var launch = Launch(host: host, random: random.split(), time: time)
            job(&launch)
        }
    }
}

/// One runner slot taking jobs back to back: the next job starts an idle
/// time after the last one ended, its mean depending on the time (a busy
/// afternoon, a quiet night).
struct JobQueue: Workload {
    private let meanIdle: (Int64) -> Int64
    private let job: (inout Launch) -> Void
    private var random: ScenarioRandom
    private var next: Int64

    init(seed: UInt64, label: String, calendar: ScenarioCalendar, meanIdle: @escaping (Int64) -> Int64, job: @escaping (inout Launch) -> Void) {
        self.meanIdle = meanIdle
        self.job = job
        random = ScenarioRandom(seed: seed, label: label)
        next = calendar.start + random.int64(in: 0..<meanIdle(calendar.start))
    }

    mutating func startProcesses(in window: Range<Int64>, on host: HostSimulation) {
        while next < window.upperBound {
            var launch = Launch(host: host, random: random.split(), time: next)
            job(&launch)
            next = max(launch.time, next + TimeUnit.second) + Int64(random.exponential(mean: Double(meanIdle(launch.time))))
        }
    }
}
