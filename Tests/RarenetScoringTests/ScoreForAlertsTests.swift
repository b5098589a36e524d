import Testing
import RarenetEvents
@testable import RarenetScoring

@Suite("Alerts-only scoring")
struct ScoreForAlertsTests {
    /// Learning ends 4 hours into the stream, and a cap of 5 alerts per
    /// window: both kinds of suppression happen.
    private static let alerting: ScoringConfiguration = {
        var configuration = ScoringConfiguration()
        configuration.learningPeriod = .seconds(4 * 3600)
        configuration.alertCap = 5
        return configuration
    }()

    /// `scorer` has learned the same baseline and counted the same as `reference`.
    private static func expectSameState(
        _ scorer: RarityScorer, as reference: RarityScorer, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(scorer.baseline.encoded() == reference.baseline.encoded(), sourceLocation: sourceLocation)
        for detector in reference.configuration.detectors {
            #expect(scorer.statistics(for: detector) == reference.statistics(for: detector), sourceLocation: sourceLocation)
        }
    }

    /// Two days of connects from the shared process stream, to 300 ports.
    private static func connects(_ configuration: ScoringConfiguration, seed: UInt64) -> [ScoringEvent] {
        ProcessStream.generate(days: 2, seed: seed, eventsPerBucket: 60).enumerated().map { index, event in
            ScoringEvent(
                timestamp: EventTimestamp(nanosecondsSinceEpoch: event.time), action: .connect,
                process: configuration.processKey(executable: nil, comm: event.name, user: nil),
                pid: 1, uid: 0, destinationAddress: IPAddress("198.51.100.7"), destinationPort: UInt16(index % 300 + 1)
            )
        }
    }

    @Test("scoreForAlerts reports exactly the alert and suppressed verdicts of score, and leaves the same baseline")
    func sameDecisionsAsScore() throws {
        let configuration = Self.alerting
        var everyVerdict = try RarityScorer(configuration: configuration)
        var alertsOnly = try RarityScorer(configuration: configuration)
        var expected: [Verdict] = []
        var reported: [Verdict] = []
        var belowThreshold = 0
        for scoringEvent in Self.connects(configuration, seed: 5) {
            everyVerdict.score(scoringEvent) { verdict in
                switch verdict.decision {
                case .alert, .suppressed: expected.append(verdict)
                case .belowThreshold: belowThreshold += 1
                case .learning: break
                }
            }
            alertsOnly.scoreForAlerts(scoringEvent) { reported.append($0) }
        }
        #expect(belowThreshold > 0)
        #expect(expected.contains { $0.alert != nil })
        #expect(expected.contains { if case .suppressed = $0.decision { true } else { false } })
        #expect(reported == expected)
        Self.expectSameState(alertsOnly, as: everyVerdict)
    }

    @Test("a batch reports the verdicts of one call per event, with each event's index, and leaves the same baseline")
    func batchesMatchSingleCalls() throws {
        let configuration = Self.alerting
        // Binds (which rare_port skips) and loopback connects (excluded) among the connects.
        let events = Self.connects(configuration, seed: 9).enumerated().map { index, event in
            var event = event
            if index % 7 == 3 { event.action = .bind }
            if index % 11 == 5 { event.destinationAddress = IPAddress("127.0.0.1") }
            return event
        }
        var single = try RarityScorer(configuration: configuration)
        var batched = try RarityScorer(configuration: configuration)
        var expected: [(index: Int, verdict: Verdict)] = []
        var reported: [(index: Int, verdict: Verdict)] = []
        for (index, event) in events.enumerated() {
            single.scoreForAlerts(event) { expected.append((index, $0)) }
        }
        // Uneven batches, so that batch ends fall at every offset of a chunk;
        // and copies of the scorer kept now and then, as a snapshot export
        // does, so that batches start on state shared with a copy (copy-on-write).
        let sizes = [1, 2, 3, 17, 100, 4_096]
        var (start, batch) = (0, 0)
        var copies: [RarityScorer] = []
        while start < events.count {
            let end = min(start + sizes[batch % sizes.count], events.count)
            if batch % 5 == 4 { copies.append(batched) }
            batched.scoreForAlerts(events.span.extracting(start..<end)) { reported.append((start + $0, $1)) }
            (start, batch) = (end, batch + 1)
        }
        #expect(copies.count > 3)
        #expect(expected.count > 100)
        #expect(batched.excludedEvents > 0)
        #expect(reported.map(\.index) == expected.map(\.index))
        #expect(reported.map(\.verdict) == expected.map(\.verdict))
        Self.expectSameState(batched, as: single)
    }

    @Test("scores cached with the keys of a bucket equal scores computed afresh, also when a coarser bucket ends mid-bucket or an alerts-only call cached only the decision")
    func cachedScoresStayExact() throws {
        var configuration = ScoringConfiguration()
        // 7-minute buckets: the hourly scale completes in the middle of one.
        configuration.bucketSpan = .seconds(7 * 60)
        configuration.longBucketSpan = .seconds(3_600)
        configuration.learningPeriod = .zero
        var scorer = try RarityScorer(configuration: configuration)
        var mismatches: [String] = []
        var decisionsOnly = 0
        for (index, event) in Self.connects(configuration, seed: 11).enumerated() {
            scorer.advanceClock(to: event.timestamp)
            var fresh: [Detector: Double] = [:]
            for detector in configuration.detectors {
                guard let key = detector.key(for: event, seed: configuration.sketch.seed, ports: configuration.destinationPorts) else { continue }
                let scores = configuration.scales.indices.map { scale in
                    RarityFormula.score(
                        count: scorer.baseline.estimate(key, detector: detector, scaleIndex: scale) ?? .nan,
                        buckets: scorer.baseline.baselineBuckets[scale])
                }
                fresh[detector] = Double(Float(scores.min()!))
            }
            // Every other event is first scored for alerts only (counting it
            // in its bucket is idempotent): a key that its coarser scale puts
            // below the threshold is then cached without its score, which the
            // call for every verdict must compute.
            if index % 2 == 0 {
                scorer.scoreForAlerts(event) { _ in }
                decisionsOnly += configuration.detectors.indices.count { detector in
                    guard let key = configuration.detectors[detector].key(for: event, seed: configuration.sketch.seed, ports: configuration.destinationPorts) else { return false }
                    let cached = scorer.baseline.counts[scorer.baseline.countsIndex(detector: detector, scale: 0)].present.value(for: key)
                    return cached?.bitPattern == RarityScorer.belowThresholdScore.bitPattern
                }
            }
            scorer.score(event) { verdict in
                if verdict.score != fresh[verdict.detector] {
                    mismatches.append("event \(index) \(verdict.detector): cached \(verdict.score), fresh \(fresh[verdict.detector] ?? .nan)")
                }
            }
        }
        #expect(decisionsOnly > 100)
        #expect(mismatches.count == 0, "first: \(mismatches.prefix(3))")
    }

    @Test("a baseline restored from a scorer with another threshold alerts as its snapshot does")
    func restoredAcrossThresholds() throws {
        var configuration = Self.alerting
        configuration.alertCap = 1_000
        let events = Self.connects(configuration, seed: 13)
        let half = events.count / 2 + 7
        var learner = try RarityScorer(configuration: configuration)
        learner.scoreForAlerts(events.span.extracting(0..<half)) { _, _ in }
        configuration.threshold = 5
        var fromMemory = try RarityScorer(configuration: configuration)
        try fromMemory.restore(learner.baseline)
        var fromSnapshot = try RarityScorer(configuration: configuration)
        try fromSnapshot.restore(Baseline(decoding: learner.baseline.encoded(), expecting: learner.baseline.parameters))
        var (expected, reported): ([Verdict], [Verdict]) = ([], [])
        fromSnapshot.scoreForAlerts(events.span.extracting(half..<events.count)) { expected.append($1) }
        fromMemory.scoreForAlerts(events.span.extracting(half..<events.count)) { reported.append($1) }
        #expect(expected.contains { $0.alert.map { $0.score < 50 } ?? false })
        // Compared element by element: a failure names the first difference, not thousands of verdicts.
        #expect(reported.count == expected.count)
        let firstDifference = zip(reported, expected).enumerated().first { $1.0 != $1.1 }?.offset
        #expect(firstDifference == nil, "first differing verdict: \(firstDifference.map { "\(reported[$0]) instead of \(expected[$0])" } ?? "")")
    }
}
