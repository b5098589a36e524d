import RarenetScoring
import RarenetSensor
import RingDrainKit

/// The sensor's per-record path measured stage by stage in one process: each
/// ``StageDepth`` drains its own ring, filled with the same records while no
/// consumer runs; only the drain is timed. A round fills and drains every
/// stage once, in an order that rotates from round to round, so a noisy
/// machine slows all three alike and each stage's share of the full path is
/// taken per round.
///
/// The scorers' clock (``StageDrain/moveClock(to:)``) moves on by a bucket
/// every `roundsPerBucket` rounds: the warm-up rounds build a baseline of
/// that many buckets before the measured rounds, and the measured rounds
/// complete buckets as time moving on does in the sensor.
struct PipelineComparison {
    /// Bytes of each stage's ring.
    let ringSize: Int
    /// Where the records come from.
    let population: RecordPopulation
    /// Connects written per fill: as many as the ring holds.
    let connectsPerFill: Int
    /// The scorers' bucket span: the clock moves on by one per round.
    let bucketSpan: Duration
    /// One per ``StageDepth``, in that order.
    let stages: [StageDrain]

    /// The first round's bucket: 2026-01-01T00:00:00Z, in nanoseconds.
    private static let epoch: Int64 = 1_767_225_600 * 1_000_000_000

    /// Loads a producer and a consumer per stage and execs the population through each.
    init(ringSize: Int, population: RecordPopulation, configuration: ScoringConfiguration) throws {
        self.ringSize = ringSize
        self.population = population
        connectsPerFill = ringSize / RingProducer.networkRecordFootprint
        bucketSpan = configuration.bucketSpan
        stages = try StageDepth.allCases.map { try StageDrain(depth: $0, ringSize: ringSize, configuration: configuration) }
        for stage in stages {
            try stage.seed(population)
        }
    }

    /// Runs `warmUpRounds` unrecorded rounds, then `rounds` recorded ones;
    /// the clock moves on by a bucket span over `roundsPerBucket` rounds.
    func run(rounds: Int, warmUpRounds: Int, roundsPerBucket: Int) throws -> PipelineResult {
        var seconds = Array(repeating: [Double](), count: stages.count)
        let (spanSeconds, spanAttoseconds) = bucketSpan.components
        let roundNanoseconds = (spanSeconds * 1_000_000_000 + spanAttoseconds / 1_000_000_000) / Int64(roundsPerBucket)
        for round in 0..<(warmUpRounds + rounds) {
            let firstSequence = UInt32(truncatingIfNeeded: round * connectsPerFill)
            for offset in stages.indices {
                let index = (round + offset) % stages.count
                stages[index].moveClock(to: Self.epoch + Int64(round) * roundNanoseconds)
                let elapsed = try stages[index].round(connects: connectsPerFill, firstSequence: firstSequence, population: population)
                if round >= warmUpRounds {
                    seconds[index].append(elapsed.seconds)
                }
            }
        }
        return PipelineResult(
            comparison: self, rounds: rounds, warmUpRounds: warmUpRounds, roundsPerBucket: roundsPerBucket,
            secondsPerRound: seconds)
    }
}

/// The figures of one ``PipelineComparison`` run, and the checks that make them trustworthy.
struct PipelineResult {
    let comparison: PipelineComparison
    let rounds: Int
    let warmUpRounds: Int
    let roundsPerBucket: Int
    /// Per stage, the drain time of each measured round.
    let secondsPerRound: [[Double]]

    /// Connects each stage took over the whole run, warm-up included.
    var connectsPerStage: Int { (rounds + warmUpRounds) * comparison.connectsPerFill }

    /// Nanoseconds per connect of `stage`, one sample per measured round.
    func nanosecondsPerEvent(_ stage: Int) -> [Double] {
        secondsPerRound[stage].map { $0 * 1e9 / Double(comparison.connectsPerFill) }
    }

    /// Per measured round, `stage`'s drain time over the full path's.
    func shareOfFullPath(_ stage: Int) -> [Double] {
        zip(secondsPerRound[stage], secondsPerRound[secondsPerRound.count - 1]).map { $0 / $1 }
    }

    /// What went wrong, if anything: every record written must have been
    /// decoded, every connect attributed to a process the seed exec'd and
    /// scored by every detector, and every alert handed over.
    var failedChecks: [String] {
        var failures: [String] = []
        let connects = connectsPerStage
        let processes = comparison.population.processes
        for stage in comparison.stages {
            let counts = stage.counts
            if counts.connects != connects || counts.records != connects + processes {
                failures.append("\(stage.depth.label): decoded \(counts.records) records, \(counts.connects) connects; written \(connects + processes), \(connects)")
            }
            guard stage.depth != .decode else { continue }
            let table = stage.scoring.table
            // The scoring stage's connects are counted by the scorer, below.
            let attributed = stage.depth == .attribute ? counts.attributed : connects
            if attributed != connects || table.statistics.loadedFromProcFS != 0 || table.statistics.unknown != 0 || table.count != processes {
                failures.append("\(stage.depth.label): attributed \(attributed) of \(connects) connects; \(table.statistics.loadedFromProcFS) read from /proc, \(table.statistics.unknown) unknown, \(table.count) processes in the table (\(processes) exec'd)")
            }
        }
        if let scoring = comparison.stages.last?.scoring {
            let scorer = scoring.scorer
            let statistics = scorer.configuration.detectors.map { scorer.statistics(for: $0) }
            if statistics.contains(where: { $0.eventsScored != UInt64(connects) }) || scorer.excludedEvents != 0 {
                failures.append("scored \(statistics.map(\.eventsScored)) connects per detector of \(connects), \(scorer.excludedEvents) excluded")
            }
            let counts = comparison.stages.last!.counts
            if UInt64(counts.alerts) != statistics.reduce(0, { $0 + $1.alerts })
                || UInt64(counts.suppressed) != statistics.reduce(0, { $0 + $1.suppressedRecentlyAlerted + $1.suppressedByCap }) {
                failures.append("the scorer counted other alerts than it handed over")
            }
        }
        return failures
    }
}
