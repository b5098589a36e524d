import BenchmarkFormat

/// Prints ring-drain results as the plain-text table of BENCHMARKS.md.
public enum RingDrainTable {
    /// The table for `results`, with the goal and the CI floor the ratio is held to.
    public static func render(_ results: [RingDrainResult], goal: Double, floor: Double) -> String {
        var lines: [String] = []
        for result in results {
            lines.append("ring drain: \(result.variant)")
            lines.append(row("consumer", "records/s p50", "p10", "p90", "drops"))
            for side in [result.swift, result.libbpf] {
                lines.append(row(
                    side.label, rate(side.recordsPerSecond.median), rate(side.recordsPerSecond.percentile(0.1)),
                    rate(side.recordsPerSecond.percentile(0.9)), String(side.dropped)
                ))
            }
            let verdict = result.medianRatio >= goal ? "goal met" : result.medianRatio >= floor ? "below goal" : "BELOW CI FLOOR"
            lines.append(row(
                "ratio rarenet / libbpf", ratio(result.medianRatio), ratio(result.ratios.percentile(0.1)),
                ratio(result.ratios.percentile(0.9)), ""
            ))
            lines.append("  goal >= \(ratio(goal)), CI floor \(ratio(floor)): \(verdict); "
                + "decoded values agree: \(result.checksumsAgree ? "yes" : "NO") (\(result.swift.totals.records) records each)")
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    private static func row(_ label: String, _ median: String, _ low: String, _ high: String, _ drops: String) -> String {
        label.padding(44) + median.leftPadding(14) + low.leftPadding(12) + high.leftPadding(12) + drops.leftPadding(8)
    }

    private static func rate(_ value: Double) -> String {
        TableFormat.whole(value)
    }

    private static func ratio(_ value: Double) -> String {
        value.isFinite ? TableFormat.decimal(value, digits: 2) + "x" : "-"
    }
}
