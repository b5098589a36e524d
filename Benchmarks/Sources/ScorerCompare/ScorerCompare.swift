import ArgumentParser
import BenchmarkFormat
#if canImport(Glibc)
import Glibc
#endif
import RarenetScoring
import ScorerKit

/// Scores the busy and the quiet stream with the sketch scorer (the batch path
/// the sensor calls) and with the exact `Dictionary` scorer, in alternating
/// rounds of one process, and prints events per CPU-second and their ratio.
///
/// Exits 1 when the median ratio of a stream is below `--floor`: the check CI
/// runs (a ratio, never an absolute time).
@main
struct ScorerCompare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scorer-compare",
        abstract: "Score Zipf connect streams with rarenet's sketch scorer and with an exact Dictionary scorer, side by side."
    )

    @Option(help: "Measured rounds per stream (after one warm-up round); each scores 2^20 connects with each scorer.")
    var rounds: Int = 10

    @Option(help: "The goal for the median ratio, shown in the table.")
    var goal: Double = 10

    @Option(help: "Fail when the median ratio of a stream is below this.")
    var floor: Double = 1.0

    @Flag(help: "Only score with the sketch scorer, --rounds times per stream, and print nothing: a loop for a profiler (perf record, perf stat).")
    var sketchOnly = false

    @Option(name: .customLong("stream"), help: "A stream to score (repeat the option for several; default: every stream).")
    var streams: [EventStream.Server] = EventStream.Server.allCases

    func run() throws {
        if sketchOnly {
            for stream in streams.map(\.stream) {
                for _ in 0..<rounds { _ = Self.sketchRate(stream) }
            }
            return
        }
        print("scorer: 2^20 connects per round from 20000 processes (Zipf 1.1) to 2000 ports (Zipf 1.3), "
            + "after two days of the same traffic; \(rounds) rounds, events per CPU-second")
        print("stream".padding(34) + "sketch p50".leftPadding(14) + "exact p50".leftPadding(14) + "ratio p50".leftPadding(11)
            + "p10".leftPadding(8) + "p90".leftPadding(8))
        var failed = false
        for stream in streams.map(\.stream) {
            var sketch: [Double] = []
            var exact: [Double] = []
            for round in 0...rounds {
                let rates = (sketch: Self.sketchRate(stream), exact: Self.exactRate(stream))
                guard round > 0 else { continue }
                sketch.append(rates.sketch)
                exact.append(rates.exact)
            }
            let ratios = zip(sketch, exact).map { $0 / $1 }.sorted()
            let median = ratios[ratios.count / 2]
            failed = failed || !(median >= floor)
            print(stream.name.padding(34) + TableFormat.whole(sketch.sorted()[sketch.count / 2]).leftPadding(14)
                + TableFormat.whole(exact.sorted()[exact.count / 2]).leftPadding(14)
                + (TableFormat.decimal(median, digits: 2) + "x").leftPadding(11)
                + (TableFormat.decimal(ratios[ratios.count / 10], digits: 2) + "x").leftPadding(8)
                + (TableFormat.decimal(ratios[ratios.count * 9 / 10], digits: 2) + "x").leftPadding(8))
        }
        print("  goal >= \(TableFormat.decimal(goal, digits: 1))x, floor \(TableFormat.decimal(floor, digits: 2))x")
        if failed {
            print("FAIL: a median ratio is below the floor \(floor)")
            throw ExitCode.failure
        }
    }

    /// Events per CPU-second of the sketch scorer, in batches as the sensor scores them.
    private static func sketchRate(_ stream: EventStream) -> Double {
        var scorer = stream.warmedScorer
        let scoredBefore = scorer.statistics(for: .rareProcess).eventsScored
        let timed = cpuSecondsScoring(stream) { batch in
            scorer.scoreForAlerts(batch.span) { _, _ in }
        }
        precondition(scorer.statistics(for: .rareProcess).eventsScored - scoredBefore == UInt64(stream.events.count), "every event is scored")
        return Double(timed.events) / timed.seconds
    }

    /// Events per CPU-second of the exact scorer.
    private static func exactRate(_ stream: EventStream) -> Double {
        var scorer = stream.warmedExactScorer
        var total = 0.0
        let timed = cpuSecondsScoring(stream) { batch in
            for event in batch { total += scorer.score(event) }
        }
        precondition(total.isFinite, "scores are finite")
        return Double(timed.events) / timed.seconds
    }

    /// The CPU time `score` takes over the stream's batches but the first,
    /// and how many events those are.
    ///
    /// Each batch is first copied into a buffer, untimed, as the sensor builds
    /// a batch of events from a ring drain just before it scores them: the
    /// scorers read events that are in the cache, not a 75 MB array from
    /// memory. The first batch is scored untimed too: each round scores a
    /// copy of a warmed scorer, and its first writes copy the state it shares
    /// with the original (copy-on-write), a cost of the benchmark's setup,
    /// not of scoring.
    private static func cpuSecondsScoring(_ stream: EventStream, _ score: (borrowing [ScoringEvent]) -> Void) -> (seconds: Double, events: Int) {
        var batch: [ScoringEvent] = []
        batch.reserveCapacity(EventStream.batchSize)
        var seconds = 0.0
        var start = 0
        while start < stream.events.count {
            let end = min(start + EventStream.batchSize, stream.events.count)
            batch.removeAll(keepingCapacity: true)
            batch.append(contentsOf: stream.events[start..<end])
            if start == 0 {
                score(batch)
            } else {
                seconds += cpuSeconds { score(batch) }
            }
            start = end
        }
        return (seconds, stream.events.count - min(EventStream.batchSize, stream.events.count))
    }

    /// The CPU time of this thread while `body` runs.
    private static func cpuSeconds(_ body: () -> Void) -> Double {
        var start = timespec()
        var end = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
        body()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
    }
}

extension EventStream.Server: ExpressibleByArgument {
    public init?(argument: String) {
        guard let server = Self.allCases.first(where: { "\($0)" == argument }) else { return nil }
        self = server
    }
}
