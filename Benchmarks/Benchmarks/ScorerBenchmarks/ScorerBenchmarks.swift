import Benchmark
#if canImport(Glibc)
import Glibc
#endif
import RarenetEvents
import RarenetScoring

/// Scorer throughput on a realistic stream, side by side with an exact
/// `Dictionary` scorer doing the same job, and memory at 10³ vs 10⁶ keys.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .peakMemoryResident, .mallocCountTotal, .instructions],
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 20
    )

    Benchmark("throughput: sketch scorer, Zipf stream of 20k processes") { benchmark in
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
            blackHole(uniformEvents(keys: keys, count: 4 * benchmark.scaledIterations.count) { scorer.score($0) { blackHole($0) } })
        }
        Benchmark("memory: exact Dictionary scorer, \(keys) distinct keys", configuration: memory) { benchmark in
            var scorer = ExactDictionaryScorer()
            blackHole(uniformEvents(keys: keys, count: 4 * benchmark.scaledIterations.count) { blackHole(scorer.score($0)) })
        }
    }
}

/// 2²⁰ connects over 2 days: processes Zipf(1.1) over 20 000, ports Zipf(1.3)
/// over 2 000. A lazy global: built only by the benchmarks that replay it.
let realisticStream = EventStream.zipf(processes: 20_000, events: 1 << 20, days: 2)

/// Calls `body` with `count` connects over one day, processes uniform over
/// `keys` (every key recurs: the worst case for memory), generated on the fly
/// so that no stream array weighs on the memory measured.
func uniformEvents(keys: Int, count: Int, _ body: (ScoringEvent) -> Void) -> Int {
    var generator = SplitMix(seed: 43)
    let step = 86_400 * 1_000_000_000 / Int64(count)
    let destination = IPAddress(ipv4: 198, 51, 100, 20)
    for index in 0..<count {
        let process = generator.next() % UInt64(keys)
        body(ScoringEvent(
            timestamp: EventTimestamp(nanosecondsSinceEpoch: EventStream.start + step * Int64(index)),
            action: .connect, process: ProcessKey(hash: KeyHash(rawValue: SplitMix.mix(process)), isExcluded: false),
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
    static func zipf(processes: Int, events count: Int, days: Int64) -> EventStream {
        var generator = SplitMix(seed: 42)
        let process = Zipf(count: processes, exponent: 1.1)
        let port = Zipf(count: 2_000, exponent: 1.3)
        return build(count: count, days: days) { _ in
            (process.sample(&generator), UInt16(port.sample(&generator) + 1))
        }
    }

    private static func build(count: Int, days: Int64, draw: (Int) -> (process: Int, port: UInt16)) -> EventStream {
        let configuration = ScoringConfiguration()
        let span = days * 86_400 * 1_000_000_000
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
    private struct Counts {
        var count = [0.0, 0.0]
        var updatedBucket: [Int64] = [0, 0]
        var presentBucket: [Int64] = [-1, -1]
    }

    private let spans: [Int64] = [900 * 1_000_000_000, 86_400 * 1_000_000_000]
    private let decay: [Double]
    private var processes: [KeyHash: Counts] = [:]
    private var ports: [UInt16: Counts] = [:]
    private var startBucket: [Int64]?
    private var totals = [0.0, 0.0]
    private var totalBucket: [Int64] = [0, 0]

    init() {
        let halfLife = 14.0 * 86_400 * 1_000_000_000
        decay = spans.map { exp2(-Double($0) / halfLife) }
    }

    mutating func score(_ event: ScoringEvent) -> Double {
        let time = event.timestamp.nanosecondsSinceEpoch
        let buckets = spans.map { time / $0 }
        if startBucket == nil { startBucket = buckets; totalBucket = buckets }
        for scale in 0..<2 where buckets[scale] > totalBucket[scale] {
            for _ in totalBucket[scale]..<buckets[scale] { totals[scale] = totals[scale] * decay[scale] + 1 }
            totalBucket[scale] = buckets[scale]
        }
        var score = update(&processes[event.process.hash, default: Counts()], buckets)
        if let port = event.destinationPort {
            score = max(score, update(&ports[port, default: Counts()], buckets))
        }
        return score
    }

    /// Scores against completed buckets, then marks the key present in the current one.
    private func update(_ counts: inout Counts, _ buckets: [Int64]) -> Double {
        var lowest = 100.0
        for scale in 0..<2 {
            let elapsed = buckets[scale] - counts.updatedBucket[scale]
            if elapsed > 0 {
                let completedPresence = counts.presentBucket[scale] >= counts.updatedBucket[scale] ? 1.0 : 0.0
                counts.count[scale] = (counts.count[scale] * decay[scale] + completedPresence) * pow(decay[scale], Double(elapsed - 1))
                counts.updatedBucket[scale] = buckets[scale]
            }
            lowest = min(lowest, RarityFormula.score(count: counts.count[scale], buckets: totals[scale]))
            counts.presentBucket[scale] = buckets[scale]
        }
        return lowest
    }
}

struct SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The splitmix64 output function.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct Zipf {
    private let cumulative: [Double]

    init(count: Int, exponent: Double) {
        var running = 0.0
        let weights = (1...count).map { rank -> Double in
            running += 1 / pow(Double(rank), exponent)
            return running
        }
        cumulative = weights.map { $0 / running }
    }

    func sample(_ generator: inout SplitMix) -> Int {
        let draw = Double(generator.next() >> 11) / Double(1 << 53)
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < draw { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
