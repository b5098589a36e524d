import RarenetEvents

/// The streaming rarity scorer of DESIGN.md ("Scoring").
///
/// Feed it every event in time order with ``score(_:_:)``; it calls back with
/// one ``Verdict`` per detector that applies. Single-threaded and lock-free:
/// own it from the scoring thread. Per event it checks the exclusions, compares
/// the time with the next bucket boundary and, per detector, probes the key set
/// of the bucket in progress, which holds each key's score: a key's score
/// depends only on completed buckets, so the sketches are read once per key per
/// bucket (and once per key per day at the daily scale).
public struct RarityScorer: Sendable {
    public let configuration: ScoringConfiguration
    /// The learned state: export it for a snapshot, restore with ``restore(_:)``.
    public private(set) var baseline: Baseline
    /// Events ruled out by an exclusion.
    public private(set) var excludedEvents: UInt64 = 0

    private var gates: [AlertGate]
    private var statistics: [DetectorStatistics]
    private var nextBoundary: Int64 = .min
    /// Per scale, the factor from stored sketch units to decayed buckets.
    private var countFactors: [Double] = []
    /// Per scale, `B` and `ln q_new`: the same for every key until a bucket completes.
    private var bucketTotals: [Double] = []
    private var newKeyLogProbabilities: [Double] = []
    private var isLearningCached = true
    private let seed: UInt64
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
        seed = configuration.sketch.seed
        let span = configuration.bucketSpan.nanoseconds
        learningBuckets = (configuration.learningPeriod.nanoseconds + span - 1) / span
        excludedUserIDs = configuration.exclusions.userIDs
        excludedIPv4Destinations = configuration.exclusions.destinations.filter { $0.family == .ipv4 }
        excludedIPv6Destinations = configuration.exclusions.destinations.filter { $0.family == .ipv6 }
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
        let rows = baseline.clocks.indices.map { scale in
            baseline.counts[baseline.countsIndex(detector: index, scale: scale)].sketch
                .rowOccupancy(atLeast: Float(0.5 / baseline.countFactor(scale: scale)))
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
        countingScoredEvents { scorer, scored in scorer.score(event, counting: scored, reportingEveryVerdict: true, body) }
    }

    /// Scores one event like ``score(_:_:)`` but calls `body` only for the
    /// verdicts that need action: an ``Decision/alert(_:)`` or a
    /// ``Decision/suppressed(_:)`` one. A below-threshold or learning verdict
    /// costs no call.
    public mutating func scoreForAlerts(_ event: ScoringEvent, _ body: (Verdict) -> Void) {
        countingScoredEvents { scorer, scored in scorer.score(event, counting: scored, reportingEveryVerdict: false, body) }
    }

    /// Scores `events` in order, exactly as one ``scoreForAlerts(_:_:)`` call
    /// each would, calling `body` with the event's index in `events` and each
    /// verdict that needs action. The sensor's per-batch path, and faster per
    /// event than single calls: while it scores an event it prefetches the
    /// cache lines where the lookups of an event further on begin, so that the
    /// misses of a Zipf stream's long tail overlap with useful work.
    public mutating func scoreForAlerts(_ events: Span<ScoringEvent>, _ body: (_ index: Int, _ verdict: Verdict) -> Void) {
        countingScoredEvents { scorer, scored in
            for index in 0..<events.count {
                let ahead = index + Self.prefetchDistance < events.count ? events[index + Self.prefetchDistance] : nil
                let nearer = index + Self.prefetchDistance / 2 < events.count ? events[index + Self.prefetchDistance / 2] : nil
                scorer.score(events[index], prefetching: (ahead, nearer), counting: scored, reportingEveryVerdict: false) {
                    body(index, $0)
                }
            }
        }
    }

    /// How many events ahead the batch path prefetches the slot where a
    /// lookup begins: enough to cover a miss to the last-level cache at a few
    /// nanoseconds of work per event. Half as far ahead, that slot is read:
    /// when it is empty the key is new in the bucket, and the counters the
    /// miss path will read are prefetched too.
    private static let prefetchDistance = 16

    /// Runs `body` with a per-detector count of scored events on the stack and
    /// adds it to the statistics afterwards: an increment per event and
    /// detector in an array of the scorer would cost a uniqueness check each.
    @inline(__always)
    private mutating func countingScoredEvents(_ body: (inout RarityScorer, UnsafeMutableBufferPointer<UInt64>) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: detectors.count) { scored in
            scored.initialize(repeating: 0)
            body(&self, scored)
            for index in detectors.indices { statistics[index].eventsScored += scored[index] }
        }
    }

    @inline(__always)
    private mutating func score(
        _ event: ScoringEvent, prefetching ahead: (slot: ScoringEvent?, counters: ScoringEvent?) = (nil, nil),
        counting scored: UnsafeMutableBufferPointer<UInt64>,
        reportingEveryVerdict: Bool, _ body: (Verdict) -> Void
    ) {
        if isExcluded(event) {
            excludedEvents += 1
            return
        }
        let time = event.timestamp.nanosecondsSinceEpoch
        if time >= nextBoundary { advanceClock(to: event.timestamp) }
        for index in detectors.indices {
            if let slotAhead = ahead.slot, let key = detectors[index].key(for: slotAhead, seed: seed) {
                baseline.counts[baseline.countsIndex(detector: index, scale: 0)].present.prefetch(key)
            }
            if let countersAhead = ahead.counters, let key = detectors[index].key(for: countersAhead, seed: seed),
               baseline.counts[baseline.countsIndex(detector: index, scale: 0)].present.isCertainlyAbsent(key) {
                baseline.counts[baseline.countsIndex(detector: index, scale: 0)].sketch.prefetch(key)
            }
            guard let key = detectors[index].key(for: event, seed: seed) else { continue }
            scored[index] += 1
            let cached = baseline.counts[baseline.countsIndex(detector: index, scale: 0)].present.value(for: key)
            var score = if let cached, !cached.isNaN { cached } else { firstScoreInBucket(of: key, detector: index, at: time) }
            let decision: Decision
            if score.sign == .minus {
                // Marked by `alertDecision`: re-alerted no sooner than the bucket's end.
                score = -score
                statistics[index].suppressedRecentlyAlerted += 1
                decision = .suppressed(.recentlyAlerted)
            } else if isLearningCached {
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

    /// The miss path, once per key per bucket: the key's score at each scale
    /// (from the coarser scales' key sets when cached there, else from the
    /// sketches), cached with the key at every scale it is marked present in;
    /// records the first sighting of a key without history (score 100).
    private mutating func firstScoreInBucket(of key: KeyHash, detector index: Int, at time: Int64) -> Float {
        var lowest = scaleScore(of: key, detector: index, scale: 0)
        for scale in countFactors.indices.dropFirst() {
            let cached = baseline.counts[baseline.countsIndex(detector: index, scale: scale)].present.value(for: key)
            if let cached, !cached.isNaN {
                lowest = min(lowest, cached)
                continue
            }
            let score = scaleScore(of: key, detector: index, scale: scale)
            if !baseline.counts[baseline.countsIndex(detector: index, scale: scale)].markPresent(key, score: score) {
                statistics[index].overflowedKeys += 1
            }
            lowest = min(lowest, score)
        }
        if !baseline.counts[baseline.countsIndex(detector: index, scale: 0)].markPresent(key, score: lowest) {
            statistics[index].overflowedKeys += 1
        }
        // A key with history was recorded when it was new (or the table was full).
        if lowest == 100 { baseline.firstSeen[index].insert(key, value: time) }
        return lowest
    }

    /// The key's score at one scale (what ``evidence(for:detector:)`` gives,
    /// at one logarithm and without copying the sketch).
    @inline(__always)
    private func scaleScore(of key: KeyHash, detector index: Int, scale: Int) -> Float {
        let count = Double(baseline.counts[baseline.countsIndex(detector: index, scale: scale)].sketch.estimate(key)) * countFactors[scale]
        return Float(RarityFormula.score(
            count: count, buckets: bucketTotals[scale], newKeyLogProbability: newKeyLogProbabilities[scale]
        ))
    }

    /// The per-scale evidence for `key` and the scale that gives the lowest score.
    private func evidence(for key: KeyHash, detector index: Int)
        -> (score: Double, probability: Double, count: Double, buckets: Double, scale: Int)
    {
        var lowest = (score: Double.infinity, probability: 0.0, count: 0.0, buckets: 0.0, scale: 0)
        for scale in baseline.clocks.indices {
            let counts = baseline.counts[baseline.countsIndex(detector: index, scale: scale)]
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
    ///
    /// A key that may not be re-alerted before the bucket in progress ends is
    /// marked in the bucket's key set (its cached score negated): its next
    /// events in the bucket are suppressed without asking the gate, so a rare
    /// process's burst of connects costs what a common one's does.
    private mutating func alertDecision(for key: KeyHash, score: Float, detector index: Int, at time: Int64) -> Decision {
        let suppression = gates[index].admit(key, at: time)
        // Alerted now or recently (not held back by the cap): quiet until its re-alert time.
        if suppression.map({ $0 == .recentlyAlerted }) ?? true,
           let realertTime = gates[index].realertTime(of: key), realertTime >= nextBoundary {
            baseline.counts[baseline.countsIndex(detector: index, scale: 0)].present.update(key, value: -score)
        }
        if let suppression {
            switch suppression {
            case .recentlyAlerted: statistics[index].suppressedRecentlyAlerted += 1
            case .alertCap: statistics[index].suppressedByCap += 1
            }
            return .suppressed(suppression)
        }
        statistics[index].alerts += 1
        let evidence = evidence(for: key, detector: index)
        let firstSeen = baseline.firstSeen[index].value(for: key)
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

    /// After a bucket completes or a baseline is restored: `B` and the count
    /// factors changed (the baseline forgot the cached scores they affect).
    private mutating func baselineDidChange() {
        nextBoundary = baseline.nextBoundary
        countFactors = baseline.clocks.indices.map(baseline.countFactor(scale:))
        bucketTotals = baseline.clocks.map(\.total)
        newKeyLogProbabilities = bucketTotals.map(RarityFormula.newKeyLogProbability(buckets:))
        isLearningCached = baseline.completedBuckets < learningBuckets
    }
}
