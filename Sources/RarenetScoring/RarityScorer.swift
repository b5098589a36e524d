import RarenetEvents

/// The streaming rarity scorer of DESIGN.md ("Scoring").
///
/// Feed it every event in time order with ``score(_:_:)``; it calls back with
/// one ``Verdict`` per detector that applies. Single-threaded and lock-free:
/// own it from the scoring thread. Per event it checks the exclusions, compares
/// the time with the next bucket boundary and, per detector, probes the key set
/// of the bucket in progress, which holds each key's score: a key's score
/// depends only on completed buckets, so the sketches are read once per key per
/// bucket (and once per key per day at the daily scale). For the alerts-only
/// calls the finest sketch is read only when the coarser scales leave the
/// key's score at or over the threshold: the key set then holds the decision
/// (``belowThresholdScore``) instead of the score.
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
    private let destinationPorts: DestinationPortKeys
    private let detectors: [Detector]
    private let threshold: Float
    private let learningBuckets: Int64
    private let exclusionFilter: ExclusionFilter

    /// A scorer with an empty baseline.
    public init(configuration: ScoringConfiguration) throws(ConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        baseline = Baseline(configuration: configuration)
        detectors = configuration.detectors
        threshold = Float(configuration.threshold)
        seed = configuration.sketch.seed
        destinationPorts = configuration.destinationPorts
        let span = configuration.bucketSpan.nanoseconds
        learningBuckets = (configuration.learningPeriod.nanoseconds + span - 1) / span
        exclusionFilter = ExclusionFilter(configuration.exclusions)
        gates = Array(repeating: AlertGate(configuration: configuration), count: detectors.count)
        statistics = Array(repeating: DetectorStatistics(), count: detectors.count)
        baselineDidChange()
    }

    /// Replaces the baseline with `restored` (a decoded or merged snapshot).
    /// Refuses, with the first differing parameter, a baseline built with
    /// other parameters than this scorer's configuration. Key tables of
    /// another capacity are rebuilt at this configuration's capacities.
    public mutating func restore(_ restored: Baseline) throws(SnapshotError) {
        if let difference = restored.parameters.firstDifference(from: baseline.parameters) {
            throw .parameterMismatch(parameter: difference.parameter, snapshot: difference.this, expected: difference.other)
        }
        baseline = restored.resizingKeyTables(
            bucketKeyCapacity: configuration.bucketKeyCapacity, firstSeenCapacity: configuration.firstSeenCapacity
        )
        // A cached ``belowThresholdScore`` holds for the threshold of the scorer that cached it.
        baseline.forgetCachedScores(scale: 0)
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
    /// event than single calls.
    ///
    /// It works in chunks of ``chunkSize`` events, a pass at a time, so that
    /// the cache misses of a Zipf stream's long tail overlap instead of
    /// following each other, and the common case is a tight loop:
    /// 1. every event's keys (a pure function of the event), with a prefetch
    ///    of the slot where each key's lookup begins. This pass runs a chunk
    ///    ahead of the others, so that the slots have a chunk's work to arrive;
    /// 2. every key's lookup in the key set of the bucket in progress: a key
    ///    found with a positive score that needs no action — the overwhelming
    ///    case — is done; the others are marked in a mask, with a prefetch of
    ///    what the miss path reads for a key new in the bucket;
    /// 3. the marked keys, in event order, through the path a single call
    ///    takes. That path changes only the entry of its own key, so what the
    ///    second pass found for the others still holds. A bucket that
    ///    completes within the chunk changes every entry: from its first
    ///    event on, the chunk is scored an event at a time.
    public mutating func scoreForAlerts(_ events: Span<ScoringEvent>, _ body: (_ index: Int, _ verdict: Verdict) -> Void) {
        let detectorCount = detectors.count
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * Self.chunkSize * detectorCount) { keys in
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: detectorCount) { marked in
        withUnsafeTemporaryAllocation(of: DetectorReaders.self, capacity: detectorCount) { readers in
            readDetectors(into: readers)
            countingScoredEvents { scorer, scored in
                func chunk(at start: Int) -> Range<Int> { start..<min(start + Self.chunkSize, events.count) }
                var current = ChunkKeys(keys: keys, half: 0)
                var next = ChunkKeys(keys: keys, half: 1)
                if !events.isEmpty { scorer.computeKeys(of: events.extracting(chunk(at: 0)), into: &current, prefetchingIn: readers) }
                var start = 0
                while start < events.count {
                    let range = chunk(at: start)
                    if range.upperBound < events.count {
                        scorer.computeKeys(of: events.extracting(chunk(at: range.upperBound)), into: &next, prefetchingIn: readers)
                    }
                    scorer.scoreChunk(
                        events.extracting(range), keys: current, readers: readers, marked: marked, counting: scored
                    ) { body(start + $0, $1) }
                    swap(&current, &next)
                    start = range.upperBound
                }
            }
        }
        }
        }
    }

    /// Events per chunk of the batch path: enough prefetches in flight to
    /// cover misses to the last-level cache, few enough that what they load
    /// is still in the L1 cache when the next pass reads it, and at most 64
    /// (one bit each in a mask).
    private static let chunkSize = 64

    /// What the first pass of the batch path found for a chunk: per detector
    /// a row of ``chunkSize`` raw keys (0 where the detector does not apply or
    /// the event is excluded), in one half of scratch memory for two chunks;
    /// which events are excluded; and the latest event time.
    private struct ChunkKeys {
        let keys: UnsafeMutableBufferPointer<UInt64>
        /// Bit `offset` is set when event `offset` is excluded.
        var excluded: UInt64 = 0
        /// The latest time of the chunk's events: while it is before the next
        /// bucket boundary, no event of the chunk crosses it.
        var latestTime: Int64 = .min

        init(keys: UnsafeMutableBufferPointer<UInt64>, half: Int) {
            self.keys = UnsafeMutableBufferPointer(rebasing: keys[(keys.count / 2) * half..<(keys.count / 2) * (half + 1)])
        }

        /// The raw key of event `offset` for `detector`.
        @inline(__always)
        func rawKey(detector: Int, offset: Int) -> UInt64 { keys[detector &* chunkSize &+ offset] }

        @inline(__always)
        func isExcluded(_ offset: Int) -> Bool { excluded &>> offset & 1 != 0 }
    }

    /// What the batch path reads of one detector's counts, through pointers
    /// that stay in registers (no retain per use). Like the pointer of
    /// `withUnsafeBufferPointer`, valid only until the counts change or are
    /// copied: ``readDetectors(into:)`` takes new ones after anything that may
    /// change them.
    private struct DetectorReaders {
        /// The key set of the bucket in progress at the finest scale.
        let keySet: BoundedKeyTable<Float>.Reader
        /// The finest scale's sketch, for the miss path's prefetches when
        /// there is no coarser scale.
        let sketch: CountMinSketch.Reader
        /// The next coarser scale's key set and sketch, for the miss path's prefetches.
        let coarser: (keySet: BoundedKeyTable<Float>.Reader, sketch: CountMinSketch.Reader)?

        /// Prefetches what the miss path reads for `key`. With a coarser
        /// scale: the key's slot in its key set, which usually holds the key's
        /// score there (the key was seen earlier in the day), and its counters
        /// in its sketch, read when it does not. That score is usually below
        /// the threshold, which spares the finest sketch (see
        /// ``firstScoreInBucket(of:detector:at:needsScore:)``). Without one,
        /// its counters in the finest sketch.
        @inline(__always)
        func prefetchMissPath(of key: KeyHash) {
            if let coarser {
                coarser.keySet.prefetch(key)
                coarser.sketch.prefetch(key)
            } else {
                sketch.prefetch(key)
            }
        }
    }

    /// Points `readers` at each detector's counts: at the start of a batch
    /// and after anything that may change them.
    @inline(__always)
    private func readDetectors(into readers: UnsafeMutableBufferPointer<DetectorReaders>) {
        for detector in detectors.indices {
            let finest = baseline.countsIndex(detector: detector, scale: 0)
            readers.initializeElement(at: detector, to: DetectorReaders(
                keySet: baseline.counts[finest].present.reader,
                sketch: baseline.counts[finest].sketch.reader,
                coarser: countFactors.count > 1
                    ? (baseline.counts[finest + 1].present.reader, baseline.counts[finest + 1].sketch.reader) : nil
            ))
        }
    }

    /// The first pass over a chunk: which events are excluded (counted here),
    /// their latest time, and their keys, with a prefetch of the slot where
    /// each key's lookup begins.
    @inline(never)
    private mutating func computeKeys(
        of events: Span<ScoringEvent>, into chunk: inout ChunkKeys,
        prefetchingIn readers: UnsafeMutableBufferPointer<DetectorReaders>
    ) {
        // A local copy: its fields stay in registers across the loop.
        let exclusionFilter = exclusionFilter
        var (excluded, latestTime): (UInt64, Int64) = (0, .min)
        for offset in 0..<events.count {
            excluded |= UInt64(exclusionFilter.excludes(events[offset]) ? 1 : 0) &<< offset
            latestTime = max(latestTime, events[offset].timestamp.nanosecondsSinceEpoch)
        }
        (chunk.excluded, chunk.latestTime) = (excluded, latestTime)
        excludedEvents &+= UInt64(excluded.nonzeroBitCount)
        for detector in detectors.indices {
            let row = UnsafeMutableBufferPointer(rebasing: chunk.keys[detector &* Self.chunkSize..<(detector &+ 1) &* Self.chunkSize])
            // Each case passes its kind as a constant, so that the loop is
            // compiled for that detector's key alone.
            switch detectors[detector] {
            case .rareProcess: computeKeys(.rareProcess, of: events, excluded: excluded, into: row, prefetchingIn: readers[detector].keySet)
            case .rarePort: computeKeys(.rarePort, of: events, excluded: excluded, into: row, prefetchingIn: readers[detector].keySet)
            }
        }
    }

    /// One detector's keys of a chunk's events (0 where it does not apply or
    /// the event is excluded), with a prefetch of each one's first slot.
    @inline(__always)
    private func computeKeys(
        _ kind: Detector, of events: Span<ScoringEvent>, excluded: UInt64,
        into row: UnsafeMutableBufferPointer<UInt64>, prefetchingIn keySet: BoundedKeyTable<Float>.Reader
    ) {
        for offset in 0..<events.count {
            let key = excluded &>> offset & 1 != 0 ? nil : kind.key(for: events[offset], seed: seed, ports: destinationPorts)
            row[offset] = key?.rawValue ?? 0
            if let key { keySet.prefetch(key) }
        }
    }

    /// The second and third passes over a chunk whose keys the first found,
    /// calling `body` with the offset in the chunk and each verdict that needs action.
    @inline(__always)
    private mutating func scoreChunk(
        _ events: Span<ScoringEvent>, keys chunk: ChunkKeys, readers: UnsafeMutableBufferPointer<DetectorReaders>,
        marked: UnsafeMutableBufferPointer<UInt64>, counting scored: UnsafeMutableBufferPointer<UInt64>,
        _ body: (_ offset: Int, _ verdict: Verdict) -> Void
    ) {
        // The first event (not excluded) at or past the next bucket boundary.
        var boundary = events.count
        if chunk.latestTime >= nextBoundary {
            for offset in 0..<events.count where !chunk.isExcluded(offset) && boundary == events.count {
                if events[offset].timestamp.nanosecondsSinceEpoch >= nextBoundary { boundary = offset }
            }
        }
        lookUpKeys(count: boundary, chunk, in: readers, marking: marked, counting: scored)
        var pending = marked.reduce(0, |)
        while pending != 0 {
            let offset = pending.trailingZeroBitCount
            pending &= pending &- 1
            let time = events[offset].timestamp.nanosecondsSinceEpoch
            for detector in marked.indices where marked[detector] & (1 << offset) != 0 {
                let key = KeyHash(rawValue: chunk.rawKey(detector: detector, offset: offset))
                if let verdict = verdict(for: key, detector: detector, at: time, reportingEveryVerdict: false) {
                    body(offset, verdict)
                }
            }
        }
        for offset in boundary..<events.count where !chunk.isExcluded(offset) {
            score(events[offset], keys: chunk, offset: offset, counting: scored) { body(offset, $0) }
        }
        // The counts may have been emptied or copied (copy-on-write).
        readDetectors(into: readers)
    }

    /// The second pass over the first `count` events of a chunk: counts the
    /// keys as scored and looks each up; marks, in a detector's mask, the
    /// events whose key needs more than its cached score (absent, unknown,
    /// recently alerted, or over the threshold after learning), with a
    /// prefetch of what the miss path reads for a key not there.
    @inline(never)
    private func lookUpKeys(
        count: Int, _ chunk: ChunkKeys, in readers: UnsafeMutableBufferPointer<DetectorReaders>,
        marking marked: UnsafeMutableBufferPointer<UInt64>, counting scored: UnsafeMutableBufferPointer<UInt64>
    ) {
        // A cached score needs no action when it is positive (not marked
        // recently alerted) and below the threshold (any, while learning). Over
        // the bits of a Float that is one unsigned comparison: non-negative
        // floats order as their bits do, and negative ones and NaN (unknown, or
        // absent here) have bits above those of +infinity.
        let noActionBelow = (isLearningCached ? Float.infinity : threshold).bitPattern
        for detector in detectors.indices {
            let keySet = readers[detector].keySet
            var (mask, keyCount): (UInt64, UInt64) = (0, 0)
            for offset in 0..<count where chunk.rawKey(detector: detector, offset: offset) != 0 {
                let key = KeyHash(rawValue: chunk.rawKey(detector: detector, offset: offset))
                keyCount &+= 1
                let cached = keySet.value(for: key) ?? .nan
                if cached.bitPattern < noActionBelow { continue }
                mask |= 1 << offset
                if cached.isNaN { readers[detector].prefetchMissPath(of: key) }
            }
            marked[detector] = mask
            scored[detector] &+= keyCount
        }
    }

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
        _ event: ScoringEvent, counting scored: UnsafeMutableBufferPointer<UInt64>,
        reportingEveryVerdict: Bool, _ body: (Verdict) -> Void
    ) {
        if exclusionFilter.excludes(event) {
            excludedEvents += 1
            return
        }
        let (seed, ports) = (seed, destinationPorts)
        score(event, reportingEveryVerdict: reportingEveryVerdict, counting: scored, key: { $1.key(for: event, seed: seed, ports: ports) }, body)
    }

    /// Scores an event of a chunk of the batch path whose keys the first pass computed.
    @inline(__always)
    private mutating func score(
        _ event: ScoringEvent, keys chunk: ChunkKeys, offset: Int,
        counting scored: UnsafeMutableBufferPointer<UInt64>, _ body: (Verdict) -> Void
    ) {
        score(event, reportingEveryVerdict: false, counting: scored, key: { index, _ in
            let key = chunk.rawKey(detector: index, offset: offset)
            return key == 0 ? nil : KeyHash(rawValue: key)
        }, body)
    }

    /// Scores an event that is not excluded, with its key for each detector
    /// (by index and kind; nil when the detector does not apply).
    @inline(__always)
    private mutating func score(
        _ event: ScoringEvent, reportingEveryVerdict: Bool, counting scored: UnsafeMutableBufferPointer<UInt64>,
        key: (_ index: Int, _ detector: Detector) -> KeyHash?, _ body: (Verdict) -> Void
    ) {
        let time = event.timestamp.nanosecondsSinceEpoch
        if time >= nextBoundary { advanceClock(to: event.timestamp) }
        for index in detectors.indices {
            guard let key = key(index, detectors[index]) else { continue }
            scored[index] += 1
            if let verdict = verdict(for: key, detector: index, at: time, reportingEveryVerdict: reportingEveryVerdict) {
                body(verdict)
            }
        }
    }

    /// The verdict on `key` for one detector at `time` (nil when it needs no
    /// action and `reportingEveryVerdict` is false): the key's cached score,
    /// or its first score in the bucket, then suppression, learning and the
    /// threshold.
    private mutating func verdict(for key: KeyHash, detector index: Int, at time: Int64, reportingEveryVerdict: Bool) -> Verdict? {
        let cached = baseline.counts[baseline.countsIndex(detector: index, scale: 0)].present.value(for: key) ?? .nan
        let isBelowThreshold = cached.bitPattern == Self.belowThresholdScore.bitPattern
        if isBelowThreshold && !reportingEveryVerdict { return nil }
        var score = if !cached.isNaN && !isBelowThreshold {
            cached
        } else {
            firstScoreInBucket(of: key, detector: index, at: time, needsScore: reportingEveryVerdict)
        }
        let decision: Decision
        if score.sign == .minus {
            // Marked by `alertDecision`: re-alerted no sooner than the bucket's end.
            score = -score
            statistics[index].suppressedRecentlyAlerted += 1
            decision = .suppressed(.recentlyAlerted)
        } else if isLearningCached {
            guard reportingEveryVerdict else { return nil }
            decision = .learning
        } else if score < threshold {
            guard reportingEveryVerdict else { return nil }
            decision = .belowThreshold
        } else {
            decision = alertDecision(for: key, score: score, detector: index, at: time)
        }
        return Verdict(detector: detectors[index], key: key, score: Double(score), decision: decision)
    }

    /// Cached in the finest key set in place of a key's score when its
    /// coarser scales already put it below the threshold (the score is the
    /// lowest over the scales) and the caller needed only the decision: the
    /// finest sketch is then not read. The smallest positive `Float`, which no
    /// score rounds to (a positive score is 100 · ln q / ln q_new, at least about
    /// 10⁻¹⁵ in `Double`).
    static let belowThresholdScore = Float(bitPattern: 1)

    /// The miss path, once per key per bucket: the key's score at each scale
    /// (from the coarser scales' key sets when cached there, else from the
    /// sketches), cached with the key at every scale it is marked present in;
    /// records the first sighting of a key without history (score 100).
    ///
    /// The coarser scales come first: unless the caller `needsScore`, a key
    /// they put below the threshold is cached as ``belowThresholdScore``
    /// without reading the finest sketch. That is the common case of a
    /// key's first sighting in a bucket (a key seen earlier in the day), and
    /// the finest sketch's counters, one cache line per row, its main cost.
    private mutating func firstScoreInBucket(of key: KeyHash, detector index: Int, at time: Int64, needsScore: Bool) -> Float {
        var lowest = Float.infinity
        for scale in countFactors.indices.dropFirst().reversed() {
            let cached = baseline.counts[baseline.countsIndex(detector: index, scale: scale)].present.value(for: key)
            if let cached, !cached.isNaN {
                lowest = min(lowest, cached)
                continue
            }
            let score = scaleScore(of: key, detector: index, scale: scale)
            if !baseline.counts[baseline.countsIndex(detector: index, scale: scale)].markPresent(key, score: score) {
                statistics[index].keyTableOverflows += 1
            }
            lowest = min(lowest, score)
        }
        lowest = if !needsScore && lowest < threshold {
            Self.belowThresholdScore
        } else {
            min(lowest, scaleScore(of: key, detector: index, scale: 0))
        }
        if !baseline.counts[baseline.countsIndex(detector: index, scale: 0)].markPresent(key, score: lowest) {
            statistics[index].keyTableOverflows += 1
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
        let suppression = gates[index].admit(key, score: score, at: time)
        // Alerted now or in its open episode (not held back by the cap): quiet
        // until its re-alert time; the score holds for the rest of the bucket.
        if suppression.map({ $0 == .recentlyAlerted }) ?? true,
           let realertTime = gates[index].realertTime(of: key, score: score), realertTime >= nextBoundary {
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
