import RarenetAlerts
import RarenetEvents
import RarenetIdentity
import RarenetScoring

/// Runs recorded events through a ``RarityScorer`` with event time: the
/// engine of `rarenet replay` (alerts) and `rarenet learn` (baseline only).
///
/// Everything depends on the events alone (bucket boundaries, decay, the
/// alert cap window), so the same events and configuration give the same
/// alert lines, byte for byte, on every run.
///
/// Besides rarity alerts it writes the sensor notices of ``SensorNotice``:
/// one when a detector's alert cap starts suppressing in a window, and one
/// when a detector's sketch becomes saturated (checked at most once per
/// ``healthCheckInterval`` of event time, when a bucket completes).
public struct EventReplay {
    /// How often, in event time, the sketches' fill is checked.
    public static let healthCheckInterval = Duration.seconds(3600)
    /// Distinct keys counted per detector for the summary; beyond, it says "more than".
    public static let distinctKeyLimit = 1 << 20

    /// The scorer, holding the baseline learned so far.
    public private(set) var scorer: RarityScorer
    /// What happened so far.
    public var summary: ReplaySummary {
        ReplaySummary(
            events: events,
            badLines: badLines,
            excludedEvents: scorer.excludedEvents,
            detectors: scorer.configuration.detectors.enumerated().map { index, detector in
                let statistics = scorer.statistics(for: detector)
                return ReplaySummary.DetectorSummary(
                    detector: detector.rawValue,
                    keys: distinctKeys[index].count,
                    keysAreCapped: distinctKeys[index].count >= Self.distinctKeyLimit,
                    alerts: statistics.alerts,
                    suppressed: statistics.suppressed
                )
            },
            completedBuckets: scorer.baseline.completedBuckets,
            isLearning: scorer.isLearning
        )
    }

    private let writesAlerts: Bool
    private let deriver: ProcessKeyDeriver
    private let scaleNames: [Duration: String]
    private var writer = JSONLineWriter()
    private var verdictBuffer: [Verdict] = []
    private var events = 0
    private var badLines = 0
    private var distinctKeys: [Set<KeyHash>]
    private var saturated: [Bool]
    private var nextHealthCheck: Int64 = .min
    private var lastBucket: Int64 = .min

    /// A replay that writes alerts (`writesAlerts`) or only learns.
    public init(scorer: RarityScorer, writesAlerts: Bool) {
        self.scorer = scorer
        self.writesAlerts = writesAlerts
        deriver = ProcessKeyDeriver(configuration: scorer.configuration.identity)
        let detectorCount = scorer.configuration.detectors.count
        distinctKeys = Array(repeating: [], count: detectorCount)
        saturated = Array(repeating: false, count: detectorCount)
        scaleNames = Dictionary(
            uniqueKeysWithValues: scorer.configuration.scales.map { ($0, DurationSyntax.format($0)) }
        )
    }

    /// Reads every line of `reader` and scores the events.
    ///
    /// `write` receives each alert or notice line, newline included. A bad
    /// line goes to `reportBadLine` and is skipped, or, when `strict`, ends
    /// the run with ``ReplayError/badLine(_:)``.
    public mutating func run(
        _ reader: inout EventLineReader,
        strict: Bool,
        write: ([UInt8]) throws -> Void,
        reportBadLine: (BadEventLine) -> Void
    ) throws(ReplayError) {
        while true {
            let next: Result<NetworkEvent, BadEventLine>?
            do {
                next = try reader.next()
            } catch {
                throw .unreadable(error)
            }
            guard let next else { return }
            switch next {
            case .success(let event):
                do {
                    try score(event, write: write)
                } catch {
                    throw .output(error)
                }
            case .failure(let bad):
                badLines += 1
                reportBadLine(bad)
                if strict { throw .badLine(bad) }
            }
        }
    }

    /// Scores one event; `write` receives each alert or notice line it causes.
    public mutating func score(_ event: NetworkEvent, write: ([UInt8]) throws -> Void) throws {
        events += 1
        try checkHealthIfDue(at: event.timestamp, hostName: event.host, write: write)
        let facts = ProcessFacts(event)
        let keyText = scorer.configuration.keyText(for: facts, deriver: deriver)
        let scoringEvent = ScoringEvent(
            timestamp: event.timestamp,
            action: event.action,
            process: scorer.configuration.processKey(keyText: keyText, facts: facts, user: event.user),
            pid: event.pid,
            uid: event.uid,
            destinationAddress: event.destinationAddress,
            destinationPort: event.destinationPort
        )
        // Reuse one buffer: take it out of `self` so the closure does not capture `self`.
        var verdicts = verdictBuffer
        verdictBuffer = []
        defer { verdictBuffer = verdicts }
        verdicts.removeAll(keepingCapacity: true)
        scorer.score(scoringEvent) { verdicts.append($0) }
        for verdict in verdicts {
            let index = scorer.configuration.detectors.firstIndex(of: verdict.detector)!
            if distinctKeys[index].count < Self.distinctKeyLimit { distinctKeys[index].insert(verdict.key) }
            guard writesAlerts else { continue }
            switch verdict.decision {
            case .alert(let alert):
                let portClass = event.destinationPort.flatMap {
                    scorer.configuration.destinationPorts.dynamicClass(of: $0, destination: event.destinationAddress)
                }
                let rarity = RarityAssessment(
                    alert, scale: scaleNames[alert.scale] ?? DurationSyntax.format(alert.scale), processKey: keyText, portClass: portClass)
                try emit(write) { ECSAlertEncoder.encode(AlertRecord(event: event, rarity: rarity), into: &$0) }
            case .suppressed(.alertCap(startsWindow: true)):
                let configuration = scorer.configuration
                let notice = SensorNotice(
                    timestamp: event.timestamp,
                    kind: .alertCapSuppressing(cap: configuration.alertCap, windowSeconds: configuration.alertCapWindow.components.seconds),
                    detector: verdict.detector.rawValue,
                    hostName: event.host
                )
                try emit(write) { ECSAlertEncoder.encode(notice, into: &$0) }
            case .belowThreshold, .learning, .suppressed:
                break
            }
        }
    }

    /// When a bucket has completed and the check is due, writes a notice for
    /// every detector whose sketch has just become saturated.
    private mutating func checkHealthIfDue(at time: EventTimestamp, hostName: String?, write: ([UInt8]) throws -> Void) throws {
        let nanoseconds = time.nanosecondsSinceEpoch
        let span = max(1, Int64(scorer.configuration.bucketSpan / .nanoseconds(1)))
        let bucket = nanoseconds >= 0 ? nanoseconds / span : (nanoseconds + 1) / span - 1
        defer { lastBucket = max(lastBucket, bucket) }
        guard bucket > lastBucket, lastBucket != .min, nanoseconds >= nextHealthCheck else { return }
        nextHealthCheck = nanoseconds &+ Int64(Self.healthCheckInterval / .nanoseconds(1))
        for (index, detector) in scorer.configuration.detectors.enumerated() {
            guard let health = scorer.health(of: detector) else { continue }
            defer { saturated[index] = health.isSaturated }
            guard health.isSaturated, !saturated[index], writesAlerts else { continue }
            let notice = SensorNotice(
                timestamp: time, kind: .baselineSaturated(fillRatio: health.fillRatio), detector: detector.rawValue, hostName: hostName
            )
            try emit(write) { ECSAlertEncoder.encode(notice, into: &$0) }
        }
    }

    private mutating func emit(_ write: ([UInt8]) throws -> Void, _ encode: (inout JSONLineWriter) -> Void) throws {
        writer.reset()
        encode(&writer)
        try write(writer.bytes)
    }
}

/// Why a replay stopped early.
public enum ReplayError: Error, CustomStringConvertible {
    /// A bad line with `--strict`.
    case badLine(BadEventLine)
    /// The event file could not be read.
    case unreadable(EventFileError)
    /// An alert line could not be written.
    case output(any Error)

    public var description: String {
        switch self {
        case .badLine(let bad): "\(bad) (stopping: --strict)"
        case .unreadable(let error): "\(error)"
        case .output(let error): "cannot write alerts: \(error)"
        }
    }
}

/// The counts `rarenet replay` and `rarenet learn` print when they finish.
public struct ReplaySummary: Sendable, Hashable, CustomStringConvertible {
    /// One detector's counts.
    public struct DetectorSummary: Sendable, Hashable {
        public var detector: String
        /// Distinct keys scored (capped at ``EventReplay/distinctKeyLimit``).
        public var keys: Int
        /// True when there were more keys than were counted.
        public var keysAreCapped: Bool
        public var alerts: UInt64
        public var suppressed: UInt64
    }

    /// Events read and scored (bad lines excluded).
    public var events: Int
    /// Lines that were not valid events.
    public var badLines: Int
    /// Events ruled out by an exclusion (loopback destinations, the sensor, …).
    public var excludedEvents: UInt64
    public var detectors: [DetectorSummary]
    /// Completed buckets of the finest scale in the baseline.
    public var completedBuckets: Int64
    /// True while the baseline is shorter than the learning period.
    public var isLearning: Bool

    /// Several lines: totals, one line per detector, the baseline.
    public var description: String {
        var lines = ["events: \(events), bad lines: \(badLines), excluded: \(excludedEvents)"]
        for summary in detectors {
            let keys = summary.keysAreCapped ? "more than \(summary.keys)" : "\(summary.keys)"
            lines.append("\(summary.detector): keys: \(keys), alerts: \(summary.alerts), suppressed: \(summary.suppressed)")
        }
        lines.append("baseline: \(completedBuckets) completed buckets\(isLearning ? " (still learning: no alerts yet)" : "")")
        return lines.joined(separator: "\n")
    }
}

extension ProcessFacts {
    /// What an event line says of its process: `exe` in the kernel's display
    /// form, inside the container or namespace the line names.
    init(_ event: NetworkEvent) {
        let origin: ProcessOrigin
        if let container = event.container {
            origin = .container(ContainerIdentity(
                id: container.id, runtime: container.runtime.flatMap(ContainerRuntime.init(rawValue:)), image: container.image))
        } else {
            origin = event.inForeignNamespace ? .foreignNamespace : .host
        }
        self.init(displayedExecutable: event.executable, arguments: event.arguments ?? [], name: event.comm, origin: origin)
    }
}
