import Benchmark
#if canImport(Glibc)
import Glibc
#endif
import RarenetEvents
import RarenetScoring
import RarenetTestSupport

/// Scorer throughput on a realistic stream, side by side with an exact
/// `Dictionary` scorer doing the same job, and memory at 10³ vs 10⁶ keys.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal, .instructions],
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 20
    )

    // What the sensor calls: a callback only for alerts and suppressed alerts.
    Benchmark("throughput: sketch scorer, Zipf stream of 20k processes") { benchmark in
        var scorer = try RarityScorer(configuration: ScoringConfiguration())
        blackHole(realisticStream.replay(benchmark.scaledIterations.count) { scorer.scoreForAlerts($0) { blackHole($0) } })
    }
    // What replay calls: a verdict per detector and event.
    Benchmark("throughput: sketch scorer, every verdict, Zipf stream of 20k processes") { benchmark in
        var scorer = try RarityScorer(configuration: ScoringConfiguration())
        blackHole(realisticStream.replay(benchmark.scaledIterations.count) { scorer.score($0) { blackHole($0) } })
    }
    Benchmark("throughput: exact Dictionary scorer, Zipf stream of 20k processes") { benchmark in
        var scorer = ExactDictionaryScorer()
        blackHole(realisticStream.replay(benchmark.scaledIterations.count) { blackHole(scorer.score($0)) })
    }

    for keys in [1_000, 1_000_000] {
        let memory = Benchmark.Configuration(
            metrics: [.peakMemoryResident, .throughput], scalingFactor: .mega, maxDuration: .seconds(3), maxIterations: 3
        )
        Benchmark("memory: sketch scorer, \(keys) distinct keys", configuration: memory) { benchmark in
            var scorer = try RarityScorer(configuration: ScoringConfiguration())
            blackHole(uniformEvents(keys: keys, count: 4 * benchmark.scaledIterations.count) { scorer.scoreForAlerts($0) { blackHole($0) } })
        }
        Benchmark("memory: exact Dictionary scorer, \(keys) distinct keys", configuration: memory) { benchmark in
            var scorer = ExactDictionaryScorer()
            blackHole(uniformEvents(keys: keys, count: 4 * benchmark.scaledIterations.count) { blackHole(scorer.score($0)) })
        }
    }
}

/// 2²⁰ connects in 2 hours (a busy host: ~145 per second) from processes
/// Zipf(1.1) over 20 000, to ports Zipf(1.3) over 2 000; replayed with the
/// clock moving on. A lazy global: built only by the benchmarks that replay it.
let realisticStream = EventStream.zipf(processes: 20_000, events: 1 << 20, hours: 2)

/// Calls `body` with `count` connects over one day, processes uniform over
/// `keys` (every key recurs: the worst case for memory), generated on the fly
/// so that no stream array weighs on the memory measured.
func uniformEvents(keys: Int, count: Int, _ body: (ScoringEvent) -> Void) -> Int {
    var generator = SplitMix64(seed: 43)
    let step = 86_400 * 1_000_000_000 / Int64(count)
    let destination = IPAddress(ipv4: 198, 51, 100, 20)
    for index in 0..<count {
        let process = generator.next() % UInt64(keys)
        body(ScoringEvent(
            timestamp: EventTimestamp(nanosecondsSinceEpoch: EventStream.start + step * Int64(index)),
            action: .connect, process: ProcessKey(hash: KeyHash(rawValue: SplitMix64.mix(process)), isExcluded: false),
            pid: 1000, uid: 1000, destinationAddress: destination, destinationPort: UInt16(truncatingIfNeeded: process % 5_000 + 1)
        ))
    }
    return count
}

/// A pre-built stream of connect events, replayed with a time offset per pass
/// so that time keeps moving forward however many events a run asks for.
struct EventStream: Sendable {
    let events: [ScoringEvent]
    let span: Int64

    static let start: Int64 = 1_767_225_600 * 1_000_000_000

    /// Processes drawn from a Zipf law (exponent 1.1), ports from a Zipf law over 2 000.
    static func zipf(processes: Int, events count: Int, hours: Int64) -> EventStream {
        var generator = SplitMix64(seed: 42)
        let process = ZipfDistribution(count: processes, exponent: 1.1)
        let port = ZipfDistribution(count: 2_000, exponent: 1.3)
        return build(count: count, hours: hours) { _ in
            (process.sample(using: &generator), UInt16(port.sample(using: &generator) + 1))
        }
    }

    private static func build(count: Int, hours: Int64, draw: (Int) -> (process: Int, port: UInt16)) -> EventStream {
        let configuration = ScoringConfiguration()
        let span = hours * 3_600 * 1_000_000_000
        let destination = IPAddress(ipv4: 198, 51, 100, 20)
        var keys: [Int: ProcessKey] = [:]
        let events = (0..<count).map { index in
            let (process, port) = draw(index)
            let key = keys[process] ?? configuration.processKey(executable: "/usr/bin/process-\(process)", comm: "process", user: nil)
            keys[process] = key
            return ScoringEvent(
                timestamp: EventTimestamp(nanosecondsSinceEpoch: start + span / Int64(count) * Int64(index)),
                action: .connect, process: key, pid: UInt32(1000 + process % 30_000), uid: 1000,
                destinationAddress: destination, destinationPort: port
            )
        }
        return EventStream(events: events, span: span)
    }

    /// Calls `body` with `count` events, passing over the stream as often as needed.
    func replay(_ count: Int, _ body: (ScoringEvent) -> Void) -> Int {
        var remaining = count
        var offset: Int64 = 0
        while remaining > 0 {
            for var event in events.prefix(remaining) {
                event.timestamp.nanosecondsSinceEpoch += offset
                body(event)
            }
            remaining -= min(remaining, events.count)
            offset += span
        }
        return count
    }
}

/// The exact scorer with dictionaries: per key and scale, the decayed bucket
/// count and the last bucket it was counted in; scores every event with the
/// DESIGN.md formula. What the sketch scorer replaces.
struct ExactDictionaryScorer {
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

    mutating func score(_ event: ScoringEvent) -> Double {
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
