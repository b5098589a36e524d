import Benchmark
import RarenetEvents
import RarenetScoring
import RarenetTestSupport
import ScorerKit

/// Scorer throughput on realistic streams, side by side with an exact
/// `Dictionary` scorer doing the same job, and memory at 10³ vs 10⁶ keys.
///
/// Every throughput run scores 10⁶ connects (one benchmark iteration at the
/// `.mega` scaling) from 20 000 processes, Zipf(1.1), to 2 000 ports,
/// Zipf(1.3), with scorers that have seen two days of the same traffic
/// (untimed): past the learning period, in the steady state of a sensor that
/// has run for days. Two rates: a busy server (2 000 connects/s: the timed
/// part crosses one 15-minute boundary) and a quiet one (145 connects/s: it
/// crosses eight, so the miss path, once per key and bucket, weighs ~14× more).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal, .instructions],
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 20
    )

    // Streams are built on first use, so that `--filter 'memory.*'` measures none of them.
    for server in EventStream.Server.allCases {
        // What the sensor calls: a batch of events (as drained from the ring),
        // a callback only for alerts and suppressed alerts.
        Benchmark("throughput: sketch scorer, batches, \(server.name)") { benchmark in
            let stream = server.stream
            var scorer = stream.warmedScorer
            let timed = stream.events
            let events = timed.span.extracting(0..<benchmark.scaledIterations.count)
            benchmark.startMeasurement()
            var start = 0
            while start < events.count {
                let end = min(start + EventStream.batchSize, events.count)
                scorer.scoreForAlerts(events.extracting(start..<end)) { blackHole($0); blackHole($1) }
                start = end
            }
            benchmark.stopMeasurement()
            blackHole(scorer.statistics(for: .rareProcess))
        }
        // What replay calls: one event at a time, a verdict per detector and event.
        Benchmark("throughput: sketch scorer, every verdict, \(server.name)") { benchmark in
            let stream = server.stream
            var scorer = stream.warmedScorer
            benchmark.startMeasurement()
            for event in stream.events.prefix(benchmark.scaledIterations.count) { scorer.score(event) { blackHole($0) } }
            benchmark.stopMeasurement()
        }
        Benchmark("throughput: exact Dictionary scorer, \(server.name)") { benchmark in
            let stream = server.stream
            var scorer = stream.warmedExactScorer
            benchmark.startMeasurement()
            for event in stream.events.prefix(benchmark.scaledIterations.count) { blackHole(scorer.score(event)) }
            benchmark.stopMeasurement()
        }
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

