import Testing
import RarenetEvents
@testable import RarenetScoring

@Suite("Baseline snapshots")
struct BaselineSnapshotTests {
    static let configuration: ScoringConfiguration = {
        var configuration = ScoringConfiguration()
        configuration.sketch = SketchParameters(depth: 4, width: 4096, seed: 99)
        return configuration
    }()

    static func events(days: Int, seed: UInt64) -> [ScoringEvent] {
        ProcessStream.generate(days: days, seed: seed, eventsPerBucket: 40).enumerated().map { index, event in
            ScoringEvent(
                timestamp: EventTimestamp(nanosecondsSinceEpoch: event.time), action: .connect,
                process: configuration.processKey(executable: nil, comm: event.name, user: nil),
                pid: 1, uid: 0, destinationAddress: IPAddress("198.51.100.7"), destinationPort: UInt16(index % 97 * 211)
            )
        }
    }

    /// A baseline learned from two days of events.
    static let learned: (scorer: RarityScorer, bytes: [UInt8]) = {
        var scorer = try! RarityScorer(configuration: configuration)
        for event in events(days: 2, seed: 21) { scorer.score(event) { _ in } }
        return (scorer, scorer.baseline.encoded())
    }()

    @Test("a round trip gives identical scores and identical bytes")
    func roundTrip() throws {
        var original = Self.learned.scorer
        let decoded = try Baseline(decoding: Self.learned.bytes, expecting: BaselineParameters(Self.configuration))
        #expect(decoded.encoded() == Self.learned.bytes)
        var restored = try RarityScorer(configuration: Self.configuration)
        try restored.restore(decoded)
        #expect(restored.baseline.completedBuckets == original.baseline.completedBuckets)
        Self.expectSameScoresOnTheThirdDay(&original, &restored)
    }

    /// Scores the third day of events with both scorers and expects the same
    /// scores from each, over more than 10 000 verdicts.
    static func expectSameScoresOnTheThirdDay(_ original: inout RarityScorer, _ restored: inout RarityScorer) {
        var compared = 0
        for event in events(days: 3, seed: 22) where event.timestamp.nanosecondsSinceEpoch >= TestTime.origin + 2 * TestTime.day {
            var (originalScores, restoredScores): ([Double], [Double]) = ([], [])
            original.score(event) { originalScores.append($0.score) }
            restored.score(event) { restoredScores.append($0.score) }
            #expect(originalScores == restoredScores)
            compared += originalScores.count
        }
        #expect(compared > 10_000)
    }

    @Test("restored at a larger key-table capacity, a snapshot gives identical scores and takes the new capacity")
    func largerCapacity() throws {
        var original = Self.learned.scorer
        var configuration = Self.configuration
        (configuration.bucketKeyCapacity, configuration.firstSeenCapacity) = (1 << 16, 1 << 17)
        var restored = try RarityScorer(configuration: configuration)
        try restored.restore(Baseline(decoding: Self.learned.bytes, expecting: nil))
        #expect(restored.baseline.bucketKeyCapacity == 1 << 16 && restored.baseline.firstSeenCapacity == 1 << 17)
        #expect(restored.baseline.counts.map(\.present.count) == original.baseline.counts.map(\.present.count))
        #expect(restored.baseline.firstSeen.map(\.count) == original.baseline.firstSeen.map(\.count))
        Self.expectSameScoresOnTheThirdDay(&original, &restored)
    }

    @Test("restored at a smaller key-table capacity, the keys that do not fit are still counted when their bucket completes")
    func smallerCapacity() throws {
        var original = Self.learned.scorer
        var configuration = Self.configuration
        (configuration.bucketKeyCapacity, configuration.firstSeenCapacity) = (2, 2)
        var restored = try RarityScorer(configuration: configuration)
        try restored.restore(Baseline(decoding: Self.learned.bytes, expecting: nil))
        #expect(restored.baseline.counts.allSatisfy { $0.present.count <= 2 } && restored.baseline.firstSeen.allSatisfy { $0.count <= 2 })
        var present: [KeyHash] = []
        original.baseline.counts[original.baseline.countsIndex(detector: 0, scale: 0)].present.forEach { key, _ in present.append(key) }
        #expect(present.count > 2)
        let nextBucket = EventTimestamp(nanosecondsSinceEpoch: original.baseline.nextBoundary)
        original.advanceClock(to: nextBucket)
        restored.advanceClock(to: nextBucket)
        for key in present {
            // The overflow bitmap adds with plain update, which never counts below conservative update.
            let (restoredCount, originalCount) = (
                restored.baseline.estimate(key, detector: .rareProcess, scaleIndex: 0) ?? 0,
                original.baseline.estimate(key, detector: .rareProcess, scaleIndex: 0) ?? .infinity
            )
            #expect(restoredCount >= originalCount * (1 - 1e-6))
        }
    }

    @Test("the default size round-trips too")
    func defaultSizeRoundTrip() throws {
        var scorer = try RarityScorer(configuration: ScoringConfiguration())
        scorer.score(.connect(ScoringConfiguration(), "curl", at: TestTime.at(minutes: 3))) { _ in }
        scorer.advanceClock(to: TestTime.at(minutes: 20))
        let bytes = scorer.baseline.encoded()
        #expect(bytes.count > 4 * (1 << 20))
        let decoded = try Baseline(decoding: bytes, expecting: BaselineParameters(ScoringConfiguration()))
        let key = ScoringConfiguration().processKey(executable: "/usr/bin/curl", comm: "curl", user: nil).hash
        #expect(decoded.estimate(key, detector: .rareProcess, scaleIndex: 0) == scorer.baseline.estimate(key, detector: .rareProcess, scaleIndex: 0))
        #expect(decoded.baselineBuckets == scorer.baseline.baselineBuckets)
    }

    /// Every kind of damage, and the error it must give.
    static func damaged() -> [(name: String, bytes: [UInt8], expected: (SnapshotError) -> Bool)] {
        let bytes = learned.bytes
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x10
        var olderVersion = bytes
        olderVersion[8] = 1
        var versionTwo = bytes
        versionTwo[8] = 2
        return [
            ("flipped byte", flipped, { if case .checksumMismatch = $0 { true } else { false } }),
            ("flipped checksum", bytes.dropLast() + [bytes.last! ^ 1], { if case .checksumMismatch = $0 { true } else { false } }),
            ("truncated", Array(bytes.dropLast(100)), { if case .truncated = $0 { true } else { false } }),
            ("truncated header", Array(bytes.prefix(12)), { if case .truncated = $0 { true } else { false } }),
            ("older version", olderVersion, { $0 == .unsupportedVersion(found: 1, supported: 3) }),
            ("version before identity keys", versionTwo, { $0 == .keyDerivationChanged }),
            ("foreign file", Array("{\"ts\": 1, \"action\": \"connect\"}\n".utf8), { $0 == .notASnapshot }),
            ("empty file", [], { $0 == .notASnapshot }),
        ]
    }

    @Test("each kind of damage is refused with its own error", arguments: damaged().indices)
    func damageRefused(index: Int) {
        let damage = Self.damaged()[index]
        do {
            _ = try Baseline(decoding: damage.bytes, expecting: BaselineParameters(Self.configuration))
            Issue.record("\(damage.name) was accepted")
        } catch {
            #expect(damage.expected(error), "\(damage.name) gave \(error)")
        }
    }

    @Test("other parameters are refused, naming the parameter")
    func parametersRefused() throws {
        var other = Self.configuration
        other.sketch.width = 8192
        #expect(throws: SnapshotError.parameterMismatch(parameter: "sketch width", snapshot: "4096", expected: "8192")) {
            try Baseline(decoding: Self.learned.bytes, expecting: BaselineParameters(other))
        }
        other = Self.configuration
        other.halfLife = .seconds(7 * 24 * 3600)
        let decoded = try Baseline(decoding: Self.learned.bytes, expecting: nil)
        var scorer = try RarityScorer(configuration: other)
        #expect(throws: SnapshotError.self) { try scorer.restore(decoded) }
        do { try scorer.restore(decoded) } catch {
            guard case .parameterMismatch(let parameter, _, _) = error else { Issue.record("\(error)"); return }
            #expect(parameter == "half-life")
        }
    }

    @Test("every refusal has its own message")
    func distinctMessages() {
        let errors: [SnapshotError] = [
            .notASnapshot, .unsupportedVersion(found: 2, supported: 1), .truncated(expectedBytes: 10, foundBytes: 5),
            .checksumMismatch(stored: 1, computed: 2), .parameterMismatch(parameter: "sketch width", snapshot: "1", expected: "2"),
            .malformed("x"),
        ]
        let kinds = errors.map { $0.description.split(separator: ":").first ?? "" }
        #expect(Set(kinds).count == errors.count)
    }
}
