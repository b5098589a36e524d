import ArgumentParser
import RarenetScoring
import RingDrainKit

/// Measures the sensor's per-record path stage by stage — drain + decode,
/// + attribute, + score — side by side in one run, on records a BPF program
/// wrote into a real ring (root; `make bpf` first). Exits 1 when a check fails:
/// a record not decoded, a connect not attributed or not scored, a drop.
@main
struct PipelineStages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-stages",
        abstract: "Time the sensor's decode → attribute → score path per event, stage by stage (root)."
    )

    @Option(name: .customLong("ring-kib"), help: "Ring size in KiB (a power of two, at least 4).")
    var ringKibibytes: Int = 1024

    @Option(help: "Measured rounds.")
    var rounds: Int = 30

    @Option(help: "Unmeasured rounds first: they build the scorers' baseline.")
    var warmUpRounds: Int = 16

    @Option(help: "Rounds per bucket of the scorers' clock (one round: a ring of connects per bucket).")
    var roundsPerBucket: Int = 1

    @Option(help: "Processes the connects come from (power law).")
    var processes: Int = 2_000

    @Option(help: "Destination ports the connects go to (power law).")
    var ports: Int = 200

    func validate() throws {
        guard processes > 0, ports > 0, rounds > 0, roundsPerBucket > 0, warmUpRounds >= 0 else {
            throw ValidationError("--processes, --ports, --rounds and --rounds-per-bucket must be positive, --warm-up-rounds not negative")
        }
    }

    func run() throws {
        // The default configuration, scoring from the first bucket: the warm-up
        // rounds are the baseline, and the measured rounds do every step of scoring.
        var configuration = ScoringConfiguration()
        configuration.learningPeriod = .zero
        let comparison = try PipelineComparison(
            ringSize: ringKibibytes * 1024, population: RecordPopulation(processes: processes, ports: ports),
            configuration: configuration)
        let result = try comparison.run(rounds: rounds, warmUpRounds: warmUpRounds, roundsPerBucket: roundsPerBucket)
        print(PipelineTable.render(result))
        guard result.failedChecks.isEmpty else { throw ExitCode.failure }
    }
}
