import Testing
import RarenetEvents
@testable import RarenetScoring

@Suite("Fleet baseline merge")
struct BaselineMergeTests {
    /// Hosts that each learned a day of their own stream, clocks aligned.
    static func hosts(_ configuration: ScoringConfiguration, count: Int = 3)
        -> (baselines: [Baseline], references: [ExactRarityReference], names: Set<String>)
    {
        var baselines: [Baseline] = []
        var references: [ExactRarityReference] = []
        var names: Set<String> = []
        for host in 0..<count {
            var scorer = try! RarityScorer(configuration: configuration)
            var reference = ExactRarityReference()
            for event in ProcessStream.generate(days: 1, seed: 100 + UInt64(host), eventsPerBucket: 30) {
                let key = configuration.processKey(executable: nil, comm: event.name, user: nil)
                scorer.score(ScoringEvent(timestamp: EventTimestamp(nanosecondsSinceEpoch: event.time), action: .bind, process: key, pid: 1, uid: 0)) { _ in }
                _ = reference.score(event.name, at: event.time)
                names.insert(event.name)
            }
            let end = TestTime.at(day: 1, minutes: 30)
            scorer.advanceClock(to: end)
            _ = reference.score("clock", at: end.nanosecondsSinceEpoch)
            baselines.append(scorer.baseline)
            references.append(reference)
        }
        return (baselines, references, names)
    }

    static func configuration(width: Int, seed: UInt64 = 7) -> ScoringConfiguration {
        var configuration = ScoringConfiguration()
        configuration.detectors = [.rareProcess]
        configuration.sketch = SketchParameters(depth: 4, width: width, seed: seed)
        return configuration
    }

    @Test("merged estimates are never below the true combined count, and in every row the hosts' sum", arguments: [1024, 65536])
    func bounds(width: Int) throws {
        let configuration = Self.configuration(width: width)
        let (baselines, references, names) = Self.hosts(configuration)
        let merged = try Baseline.merged(baselines)
        #expect(merged.baselineBuckets[0] == baselines.map { $0.baselineBuckets[0] }.reduce(0, +))
        var aboveHostEstimates = 0
        for name in names {
            let key = configuration.processKey(executable: nil, comm: name, user: nil).hash
            for scale in 0..<2 {
                let estimate = try #require(merged.estimate(key, detector: .rareProcess, scaleIndex: scale))
                let truth = references.map { $0.count(name, scale: scale) }.reduce(0, +)
                #expect(estimate >= truth * (1 - 1e-4), "\(name): \(estimate) < \(truth)")
                let rows = try baselines.map { try #require($0.rowCounters(key, detector: .rareProcess, scaleIndex: scale)) }
                for row in 0..<4 {
                    #expect(estimate <= rows.map { $0[row] }.reduce(0, +) * (1 + 1e-4))
                }
                let hostEstimates = try baselines.map { try #require($0.estimate(key, detector: .rareProcess, scaleIndex: scale)) }
                if estimate > hostEstimates.reduce(0, +) * (1 + 1e-4) { aboveHostEstimates += 1 }
            }
        }
        if width == 65536 {
            #expect(aboveHostEstimates == 0, "at the default width the merged estimate is the sum of the hosts' estimates")
        }
    }

    @Test("merging other parameters, seeds or clocks is refused with the mismatch named")
    func refusals() throws {
        let base = Self.hosts(Self.configuration(width: 1024), count: 1).baselines[0]
        let wider = Self.hosts(Self.configuration(width: 2048), count: 1).baselines[0]
        let reseeded = Self.hosts(Self.configuration(width: 1024, seed: 8), count: 1).baselines[0]
        var later = try RarityScorer(configuration: Self.configuration(width: 1024))
        try later.restore(base)
        later.advanceClock(to: TestTime.at(day: 1, minutes: 50))
        #expect(throws: BaselineMergeError.parameterMismatch(index: 1, parameter: "sketch width", first: "1024", other: "2048")) {
            try Baseline.merged([base, wider])
        }
        #expect(throws: BaselineMergeError.parameterMismatch(index: 1, parameter: "sketch seed", first: "7", other: "8")) {
            try Baseline.merged([base, reseeded])
        }
        #expect(throws: BaselineMergeError.clockMismatch(index: 1, scale: .seconds(900), first: "bucket \(TestTime.origin / TestTime.bucket + 98)", other: "bucket \(TestTime.origin / TestTime.bucket + 99)")) {
            try Baseline.merged([base, later.baseline])
        }
        #expect(throws: BaselineMergeError.noBaselines) { try Baseline.merged([]) }
    }
}
