/// One consumer's figures in a ring-drain comparison.
public struct ConsumerMeasurement: Sendable {
    /// Which consumer.
    public var label: String
    /// Records per second, one sample per round.
    public var recordsPerSecond: [Double]
    /// Records the producer could not write because the ring was full.
    public var dropped: Int
    /// What the consumer decoded over the whole run (warm-up included).
    public var totals: DrainTotals
}

/// Both consumers' figures from one run, and their ratio.
public struct RingDrainResult: Sendable {
    /// What was measured, for the table's title.
    public var variant: String
    public var swift: ConsumerMeasurement
    public var libbpf: ConsumerMeasurement
    /// rarenet's records/s over libbpf's, one sample per round.
    public var ratios: [Double]

    /// The median of the per-round ratios: the figure the goal and the CI floor apply to.
    public var medianRatio: Double { ratios.median }

    /// Both sides decoded the same records to the same values, and rejected none.
    public var checksumsAgree: Bool {
        swift.totals == libbpf.totals && swift.totals.rejected == 0
    }
}

extension Array where Element == Double {
    /// The median (mean of the middle two for an even count); NaN when empty.
    public var median: Double { percentile(0.5) }

    /// The `fraction` quantile by linear interpolation between closest ranks; NaN when empty.
    public func percentile(_ fraction: Double) -> Double {
        guard !isEmpty else { return .nan }
        let sorted = self.sorted()
        let position = fraction * Double(sorted.count - 1)
        let lower = Int(position)
        let upper = Swift.min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}
