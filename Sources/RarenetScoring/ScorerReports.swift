/// Counters of one detector since the scorer started.
public struct DetectorStatistics: Sendable, Hashable {
    /// Events the detector scored (after exclusions).
    public internal(set) var eventsScored: UInt64 = 0
    /// Alerts emitted.
    public internal(set) var alerts: UInt64 = 0
    /// Alerts held back because the key was alerted recently.
    public internal(set) var suppressedRecentlyAlerted: UInt64 = 0
    /// Alerts held back by the alert cap.
    public internal(set) var suppressedByCap: UInt64 = 0
    /// Lookups, one per event and scale, of a key that found no room in the
    /// bounded key set of a bucket: the key is counted through the overflow
    /// bitmap instead, and each of its events takes the slow path (raise
    /// `bucketKeyCapacity` when this grows).
    public internal(set) var keyTableOverflows: UInt64 = 0

    /// All alerts held back.
    public var suppressed: UInt64 { suppressedRecentlyAlerted + suppressedByCap }
}

/// How full a detector's sketches are (the worst of its time scales).
public struct SketchHealth: Sendable, Hashable {
    /// The fraction of counters at or above ½ (a counter a key could have raised).
    public let fillRatio: Double
    /// The probability that a never-seen key looks seen (estimate ≥ ½): the
    /// product of the rows' fill ratios.
    public let neverSeenLooksSeenProbability: Double
    /// True when that probability exceeds the configured saturation
    /// probability: the sketch is too small for the number of distinct keys.
    public let isSaturated: Bool
}
