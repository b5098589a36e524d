/// The events of one host over a scenario's days, in time order, generated
/// lazily one 15-minute window at a time: memory holds the processes running
/// and one window's events, whatever the number of days.
///
/// The same profile, seed and days give the same events, byte for byte
/// (``ScenarioLineEncoder``): every draw comes from ``ScenarioRandom``
/// generators seeded from the seed, never from the clock or the system.
public final class ScenarioStream {
    /// The host name the events carry.
    public var host: String { simulation.name }
    public let calendar: ScenarioCalendar
    /// The attacks planted so far (all of them once ``next()`` has returned `nil`).
    public var plantedAttacks: [PlantedAttack] { simulation.planted }

    private let simulation: HostSimulation
    private var workloads: [any Workload]
    private var running: [ProcessRun] = []
    private var windowStart: Int64
    private var ready: [ScenarioEvent] = []
    private var readyIndex = 0

    /// The generation window, one bucket of the scorer's default span.
    static let window: Int64 = 15 * TimeUnit.minute

    init(simulation: HostSimulation, workloads: [any Workload]) {
        self.simulation = simulation
        self.workloads = workloads
        calendar = simulation.calendar
        windowStart = simulation.calendar.start
    }

    /// The next event, or `nil` after the last.
    public func next() -> ScenarioEvent? {
        while readyIndex == ready.count {
            guard windowStart < calendar.end else { return nil }
            generateWindow()
        }
        defer { readyIndex += 1 }
        return ready[readyIndex]
    }

    private func generateWindow() {
        let window = windowStart..<min(windowStart + Self.window, calendar.end)
        windowStart = window.upperBound
        for index in workloads.indices {
            workloads[index].startProcesses(in: window, on: simulation)
        }
        running += simulation.takeStarted()
        var events: [ScenarioEvent] = []
        for index in running.indices {
            running[index].appendEvents(in: window, host: simulation, into: &events)
        }
        running.removeAll { $0.end <= window.upperBound }
        // Ties in time keep their order of generation, so the order is the same on every run.
        ready = events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        readyIndex = 0
    }
}
