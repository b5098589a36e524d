import BenchmarkFormat
import RingDrainKit

/// Prints a ``PipelineResult`` as the plain-text table of BENCHMARKS.md.
enum PipelineTable {
    /// The table of `result`, with the checks' verdict.
    static func render(_ result: PipelineResult) -> String {
        let comparison = result.comparison
        let population = comparison.population
        var lines = [
            "pipeline: fill then drain, ring \(comparison.ringSize / 1024) KiB, \(comparison.connectsPerFill) connects per fill "
                + "from \(population.processes) processes to \(population.ports) ports (power law), "
                + "\(result.rounds) rounds after \(result.warmUpRounds) warm-up, "
                + "\(result.roundsPerBucket) round(s) per \(comparison.bucketSpan.components.seconds) s scorer bucket",
            row("stage", "events/s p50", "ns/event p50", "p10", "p90", "share p50"),
        ]
        for (index, stage) in comparison.stages.enumerated() {
            let nanoseconds = result.nanosecondsPerEvent(index)
            lines.append(row(
                stage.depth.label, TableFormat.whole(1e9 / nanoseconds.median), TableFormat.decimal(nanoseconds.median, digits: 1),
                TableFormat.decimal(nanoseconds.percentile(0.1), digits: 1), TableFormat.decimal(nanoseconds.percentile(0.9), digits: 1),
                TableFormat.decimal(result.shareOfFullPath(index).median, digits: 2)
            ))
        }
        let scored = comparison.stages[comparison.stages.count - 1].counts
        lines.append("  share: the stage's drain time over the full path's, per round (median); "
            + "alerts handed over: \(scored.alerts), suppressed: \(scored.suppressed) in \(result.connectsPerStage) connects")
        let failures = result.failedChecks
        lines.append(failures.isEmpty
            ? "  checks: every record decoded by every stage, every connect attributed to an exec'd process and scored by every detector, 0 drops: yes"
            : "  checks FAILED:\n" + failures.map { "    " + $0 }.joined(separator: "\n"))
        return lines.joined(separator: "\n")
    }

    private static func row(_ label: String, _ rate: String, _ median: String, _ low: String, _ high: String, _ share: String) -> String {
        label.padding(38) + rate.leftPadding(14) + median.leftPadding(14) + low.leftPadding(8) + high.leftPadding(8) + share.leftPadding(11)
    }
}
