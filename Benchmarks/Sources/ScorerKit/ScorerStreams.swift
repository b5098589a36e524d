#if canImport(Glibc)
import Glibc
#endif
import RarenetEvents
import RarenetScoring
import RarenetTestSupport

/// A pre-built stream of connects at a steady rate, and scorers that have
/// already seen two days of the same traffic.
///
/// The history is compressed: the scorers count a key once per bucket, so two
/// days at the stream's rate are replayed as one connect per process (and per
/// port) and 15-minute bucket in which that rate would have shown it, drawn
/// with the probability `1 − e^(−n·p)` (`n` connects per bucket, `p` the key's
/// Zipf probability). The baselines are the ones the full history would
/// build, at a fraction of the events.
public final class EventStream: Sendable {
    /// What a benchmark calls the stream.
    public let name: String
    /// The timed connects, in time order.
    public let events: [ScoringEvent]
    /// Past its learning period; each run scores a copy (copy-on-write: a
    /// run's first writes copy the tables they change — `ScorerCompare` leaves
    /// its first batch out of the timing for that, `ScorerBenchmarks` does not).
    public let warmedScorer: RarityScorer
    /// The exact scorer after the same history.
    public let warmedExactScorer: ExactDictionaryScorer

    /// The two servers the benchmarks model, by their connect rate.
    public enum Server: CaseIterable, Sendable {
        /// 2 000 connects per second.
        case busy
        /// 145 connects per second.
        case quiet

        /// What the benchmarks call its stream.
        public var name: String {
            switch self {
            case .busy: "busy server (2000 connects/s)"
            case .quiet: "quiet server (145 connects/s)"
            }
        }

        /// Its stream, built on first use (seconds of work and ~100 MB each).
        public var stream: EventStream {
            switch self {
            case .busy: EventStream.busy
            case .quiet: EventStream.quiet
            }
        }
    }

    private static let busy = EventStream(name: Server.busy.name, eventsPerSecond: 2_000)
    private static let quiet = EventStream(name: Server.quiet.name, eventsPerSecond: 145)

    /// Events per scoring batch: a ring drain's worth.
    public static let batchSize = 4_096

    /// Jan 1 2026, 00:00 UTC.
    public static let start: Int64 = 1_767_225_600 * 1_000_000_000
    private static let second: Int64 = 1_000_000_000
    private static let bucket: Int64 = 900 * second
    private static let historyBuckets: Int64 = 2 * 96
    /// The timed events begin 4 minutes before a 15-minute boundary.
    private static let timedStart = start + historyBuckets * bucket + 11 * 60 * second

    /// 2²⁰ connects at `eventsPerSecond` from 20 000 processes, Zipf(1.1), to
    /// 2 000 ports, Zipf(1.3), after two days of the same.
    private init(name: String, eventsPerSecond: Int64) {
        self.name = name
        var generator = SplitMix64(seed: 42)
        let processes = ZipfDistribution(count: 20_000, exponent: 1.1)
        let ports = ZipfDistribution(count: 2_000, exponent: 1.3)
        let configuration = ScoringConfiguration()
        let keys = (0..<20_000).map {
            configuration.processKey(executable: "/usr/bin/process-\($0)", comm: "process", user: nil)
        }
        let destination = IPAddress(ipv4: 198, 51, 100, 20)
        func connect(_ process: Int, _ port: Int, at time: Int64) -> ScoringEvent {
            ScoringEvent(
                timestamp: EventTimestamp(nanosecondsSinceEpoch: time), action: .connect, process: keys[process],
                pid: UInt32(1_000 + process), uid: 1_000, destinationAddress: destination, destinationPort: UInt16(port + 1)
            )
        }
        events = (0..<Int64(1 << 20)).map { index in
            connect(processes.sample(using: &generator), ports.sample(using: &generator),
                    at: Self.timedStart + index * Self.second / eventsPerSecond)
        }

        let connectsPerBucket = Double(eventsPerSecond * 900)
        func present(_ distribution: ZipfDistribution, _ count: Int) -> [Int] {
            (0..<count).filter { rank in
                let probability = 1 - exp(-connectsPerBucket * distribution.probability(of: rank))
                return Double(generator.next() >> 11) / Double(1 << 53) < probability
            }
        }
        var scorer = try! RarityScorer(configuration: configuration)
        var exactScorer = ExactDictionaryScorer()
        for bucket in 0..<Self.historyBuckets {
            let (presentProcesses, presentPorts) = (present(processes, 20_000), present(ports, 2_000))
            let count = max(presentProcesses.count, presentPorts.count)
            let bucketEvents = (0..<count).map { index in
                connect(presentProcesses[index % presentProcesses.count], presentPorts[index % presentPorts.count],
                        at: Self.start + bucket * Self.bucket + Int64(index) * (Self.bucket / Int64(count)))
            }
            scorer.scoreForAlerts(bucketEvents.span) { _, _ in }
            for event in bucketEvents { _ = exactScorer.score(event) }
        }
        precondition(!scorer.isLearning, "the history must cover the learning period")
        warmedScorer = scorer
        warmedExactScorer = exactScorer
    }
}

/// The exact scorer with dictionaries: per key and scale, the decayed bucket
/// count and the last bucket it was counted in; scores every event with the
/// DESIGN.md formula. What the sketch scorer replaces.
public struct ExactDictionaryScorer: Sendable {
    private struct ScaleCount {
        var count = 0.0
        var updatedBucket: Int64 = 0
        var presentBucket: Int64 = -1
    }

    private struct Counts {
        var fine = ScaleCount()
        var daily = ScaleCount()
    }

    private static let spans: (fine: Int64, daily: Int64) = (900 * 1_000_000_000, 86_400 * 1_000_000_000)
    private static let halfLife = 14.0 * 86_400 * 1_000_000_000
    private static let decay = (fine: exp2(-Double(spans.fine) / halfLife), daily: exp2(-Double(spans.daily) / halfLife))

    private var processes: [KeyHash: Counts] = [:]
    private var ports: [UInt16: Counts] = [:]
    private var totals = (fine: 0.0, daily: 0.0)
    private var currentBuckets: (fine: Int64, daily: Int64)?

    /// An empty scorer.
    public init() {}

    /// Scores `event` against the completed buckets — the higher of its
    /// process's and (with a destination port) its port's score, each the
    /// lower over the two scales — then counts it in the bucket in progress.
    public mutating func score(_ event: ScoringEvent) -> Double {
        let time = event.timestamp.nanosecondsSinceEpoch
        let buckets = (fine: time / Self.spans.fine, daily: time / Self.spans.daily)
        let current = currentBuckets ?? buckets
        totals.fine = Self.advance(totals.fine, by: buckets.fine - current.fine, decay: Self.decay.fine)
        totals.daily = Self.advance(totals.daily, by: buckets.daily - current.daily, decay: Self.decay.daily)
        currentBuckets = buckets
        var score = Self.score(&processes[event.process.hash, default: Counts()], buckets, totals)
        if let port = event.destinationPort {
            score = max(score, Self.score(&ports[port, default: Counts()], buckets, totals))
        }
        return score
    }

    private static func advance(_ total: Double, by buckets: Int64, decay: Double) -> Double {
        var total = total
        for _ in 0..<max(buckets, 0) { total = total * decay + 1 }
        return total
    }

    private static func score(_ counts: inout Counts, _ buckets: (fine: Int64, daily: Int64), _ totals: (fine: Double, daily: Double)) -> Double {
        min(score(&counts.fine, bucket: buckets.fine, total: totals.fine, decay: decay.fine),
            score(&counts.daily, bucket: buckets.daily, total: totals.daily, decay: decay.daily))
    }

    /// Scores against completed buckets, then marks the key present in the current one.
    private static func score(_ scale: inout ScaleCount, bucket: Int64, total: Double, decay: Double) -> Double {
        let elapsed = bucket - scale.updatedBucket
        if elapsed > 0 {
            let completedPresence = scale.presentBucket >= scale.updatedBucket ? 1.0 : 0.0
            scale.count = (scale.count * decay + completedPresence) * pow(decay, Double(elapsed - 1))
            scale.updatedBucket = bucket
        }
        scale.presentBucket = bucket
        return RarityFormula.score(count: scale.count, buckets: total)
    }
}
