import RarenetEvents

/// The streaming rarity scorer of DESIGN.md ("Scoring").
///
/// Feed it every event in time order with ``score(_:_:)``; it calls back with
/// one ``Verdict`` per detector that applies. Single-threaded and lock-free:
/// own it from the scoring thread. Per event it checks the exclusions, compares
/// the time with the next bucket boundary and, per detector, probes a
/// per-bucket score cache: a key's score depends only on completed buckets, so
/// the sketches are read once per key per bucket.
public struct RarityScorer: Sendable {
    public let configuration: ScoringConfiguration
    /// The learned state: export it for a snapshot, restore with ``restore(_:)``.
    public private(set) var baseline: Baseline
    /// Events ruled out by an exclusion.
    public private(set) var excludedEvents: UInt64 = 0

    private var scoreCaches: [BoundedKeyTable<Float>]
    private var gates: [AlertGate]
    private var statistics: [DetectorStatistics]
    private var nextBoundary: Int64 = .min
    /// Per scale, the factor from stored sketch units to decayed buckets.
    private var countFactors: [Double] = []
    /// Per scale, `B` and `ln q_new`: the same for every key until a bucket completes.
    private var bucketTotals: [Double] = []
    private var newKeyLogProbabilities: [Double] = []
    private var isLearningCached = true
    private let detectors: [Detector]
    private let threshold: Float
    private let learningBuckets: Int64
    private let excludedUserIDs: Set<UInt32>
    private let excludedIPv4Destinations: [AddressRange]
    private let excludedIPv6Destinations: [AddressRange]

    /// A scorer with an empty baseline.
    public init(configuration: ScoringConfiguration) throws(ConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        baseline = Baseline(configuration: configuration)
        detectors = configuration.detectors
        threshold = Float(configuration.threshold)
        let span = configuration.bucketSpan.nanoseconds
        learningBuckets = (configuration.learningPeriod.nanoseconds + span - 1) / span
        excludedUserIDs = configuration.exclusions.userIDs
        excludedIPv4Destinations = configuration.exclusions.destinations.filter { $0.family == .ipv4 }
        excludedIPv6Destinations = configuration.exclusions.destinations.filter { $0.family == .ipv6 }
        let cache = BoundedKeyTable<Float>(capacity: configuration.bucketKeyCapacity, emptyValue: 0)
        scoreCaches = Array(repeating: cache, count: detectors.count)
        gates = Array(repeating: AlertGate(configuration: configuration), count: detectors.count)
        statistics = Array(repeating: DetectorStatistics(), count: detectors.count)
        baselineDidChange()
    }

    /// Replaces the baseline with `restored` (a decoded or merged snapshot).
    /// Refuses, with the first differing parameter, a baseline built with
    /// other parameters than this scorer's configuration.
    public mutating func restore(_ restored: Baseline) throws(SnapshotError) {
        if let difference = restored.parameters.firstDifference(from: baseline.parameters) {
            throw .parameterMismatch(parameter: difference.parameter, snapshot: difference.this, expected: difference.other)
        }
        baseline = restored
        baselineDidChange()
    }

    /// True until the baseline spans the learning period: no alerts meanwhile.
    public var isLearning: Bool { isLearningCached }

    /// The counters of `detector` (zero when it is not enabled).
    public func statistics(for detector: Detector) -> DetectorStatistics {
        detectors.firstIndex(of: detector).map { statistics[$0] } ?? DetectorStatistics()
    }

    /// How full the sketches of `detector` are; O(depth · width) per scale,
    /// for periodic metrics, not per event.
    public func health(of detector: Detector) -> SketchHealth? {
        guard let index = detectors.firstIndex(of: detector) else { return nil }
        let rows = baseline.detectors[index].scales.enumerated().map { scale, counts in
            counts.sketch.rowOccupancy(atLeast: Float(0.5 / baseline.countFactor(scale: scale)))
        }
        let worst = rows.max { $0.reduce(1, *) < $1.reduce(1, *) } ?? []
        let looksSeen = worst.reduce(1, *)
        return SketchHealth(
            fillRatio: worst.reduce(0, +) / Double(max(worst.count, 1)),
            neverSeenLooksSeenProbability: looksSeen,
            isSaturated: looksSeen > configuration.saturationProbability
        )
    }

    /// Completes every bucket that ended before `time` (call it before a
    /// snapshot so idle time since the last event counts).
    public mutating func advanceClock(to time: EventTimestamp) {
        if baseline.advance(to: time.nanosecondsSinceEpoch) { baselineDidChange() }
        if nextBoundary == .min { baselineDidChange() }
    }

    /// Scores one event: calls `body` once per enabled detector that applies
    /// to it (none when the event is excluded). Events should come in time
    /// order; a late event counts in the bucket in progress.
    public mutating func score(_ event: ScoringEvent, _ body: (Verdict) -> Void) {
        score(event, reportingEveryVerdict: true, body)
    }

    /// Scores one event like ``score(_:_:)`` but calls `body` only for the
    /// verdicts that need action: an ``Decision/alert(_:)`` or a
    /// ``Decision/suppressed(_:)`` one. The sensor's per-event path: a
    /// below-threshold or learning verdict costs no call.
    public mutating func scoreForAlerts(_ event: ScoringEvent, _ body: (Verdict) -> Void) {
        score(event, reportingEveryVerdict: false, body)
    }

    @inline(__always)
    private mutating func score(_ event: ScoringEvent, reportingEveryVerdict: Bool, _ body: (Verdict) -> Void) {
        if isExcluded(event) {
            excludedEvents += 1
            return
        }
        let time = event.timestamp.nanosecondsSinceEpoch
        if time >= nextBoundary { advanceClock(to: event.timestamp) }
        for index in detectors.indices {
            guard let key = detectors[index].key(for: event, seed: configuration.sketch.seed) else { continue }
            statistics[index].eventsScored += 1
            let score = scoreCaches[index].value(for: key) ?? firstScoreInBucket(of: key, detector: index, at: time)
            let decision: Decision
            if isLearningCached {
                guard reportingEveryVerdict else { continue }
                decision = .learning
            } else if score < threshold {
                guard reportingEveryVerdict else { continue }
                decision = .belowThreshold
            } else {
                decision = alertDecision(for: key, score: score, detector: index, at: time)
            }
            body(Verdict(detector: detectors[index], key: key, score: Double(score), decision: decision))
        }
    }

    @inline(__always)
    private func isExcluded(_ event: ScoringEvent) -> Bool {
        if event.process.isExcluded || event.pid == configuration.exclusions.sensorProcessID { return true }
        if !excludedUserIDs.isEmpty, excludedUserIDs.contains(event.uid) { return true }
        guard let destination = event.destinationAddress else { return false }
        return destination.family == .ipv4
            ? excludedIPv4Destinations.contains { $0.contains(destination) }
            : excludedIPv6Destinations.contains { $0.contains(destination) }
    }

    /// The miss path, once per key per bucket: reads the sketches, marks the
    /// key present at every scale, records the first sighting of a key without
    /// history (score 100), caches the score.
    private mutating func firstScoreInBucket(of key: KeyHash, detector index: Int, at time: Int64) -> Float {
        let exactScore = sketchScore(of: key, detector: index)
        for scale in countFactors.indices {
            if !baseline.detectors[index].scales[scale].markPresent(key) {
                statistics[index].overflowedKeys += 1
            }
        }
        // A key with history was recorded when it was new (or the table was full).
        if exactScore == 100 { baseline.detectors[index].firstSeen.insert(key, value: time) }
        let score = Float(exactScore)
        scoreCaches[index].insert(key, value: score)
        return score
    }

    /// The key's score, the lowest of its scales' (what ``evidence(for:detector:)``
    /// gives, at one logarithm per scale and without copying the sketches).
    @inline(__always)
    private func sketchScore(of key: KeyHash, detector index: Int) -> Double {
        var lowest = Double.infinity
        for scale in countFactors.indices {
            let count = Double(baseline.detectors[index].scales[scale].sketch.estimate(key)) * countFactors[scale]
            let score = RarityFormula.score(
                count: count, buckets: bucketTotals[scale], newKeyLogProbability: newKeyLogProbabilities[scale]
            )
            lowest = min(lowest, score)
        }
        return lowest
    }

    /// The per-scale evidence for `key` and the scale that gives the lowest score.
    private func evidence(for key: KeyHash, detector index: Int)
        -> (score: Double, probability: Double, count: Double, buckets: Double, scale: Int)
    {
        var lowest = (score: Double.infinity, probability: 0.0, count: 0.0, buckets: 0.0, scale: 0)
        for (scale, counts) in baseline.detectors[index].scales.enumerated() {
            let count = Double(counts.sketch.estimate(key)) * countFactors[scale]
            let buckets = baseline.clocks[scale].total
            let score = RarityFormula.score(count: count, buckets: buckets)
            if score < lowest.score {
                lowest = (score, RarityFormula.probability(count: count, buckets: buckets), count, buckets, scale)
            }
        }
        return lowest
    }

    /// The alert path: suppression, then the alert's evidence.
    private mutating func alertDecision(for key: KeyHash, score: Float, detector index: Int, at time: Int64) -> Decision {
        if let suppression = gates[index].admit(key, at: time) {
            switch suppression {
            case .recentlyAlerted: statistics[index].suppressedRecentlyAlerted += 1
            case .alertCap: statistics[index].suppressedByCap += 1
            }
            return .suppressed(suppression)
        }
        statistics[index].alerts += 1
        let evidence = evidence(for: key, detector: index)
        let firstSeen = baseline.detectors[index].firstSeen.value(for: key)
        return .alert(Alert(
            detector: detectors[index],
            key: key,
            score: Double(score),
            probability: evidence.probability,
            seenBuckets: evidence.count,
            baselineBuckets: evidence.buckets,
            firstSeen: firstSeen.map { EventTimestamp(nanosecondsSinceEpoch: $0) },
            scale: baseline.parameters.scales[evidence.scale]
        ))
    }

    /// After a bucket completes or a baseline is restored: scores are stale.
    private mutating func baselineDidChange() {
        for index in scoreCaches.indices { scoreCaches[index].removeAll() }
        nextBoundary = baseline.nextBoundary
        countFactors = baseline.clocks.indices.map(baseline.countFactor(scale:))
        bucketTotals = baseline.clocks.map(\.total)
        newKeyLogProbabilities = bucketTotals.map(RarityFormula.newKeyLogProbability(buckets:))
        isLearningCached = baseline.completedBuckets < learningBuckets
    }
}
