import Testing
import RarenetEvents
@testable import RarenetScoring

@Suite("Sketch scorer against the exact reference")
struct ScorerAgreementTests {
    @Test("scores agree within 2 points for at least 99 % of events over 5 days", arguments: [UInt64(11), 12])
    func agreesWithExactReference(seed: UInt64) throws {
        var configuration = ScoringConfiguration()
        configuration.detectors = [.rareProcess]
        var scorer = try RarityScorer(configuration: configuration)
        var reference = ExactRarityReference()
        let events = ProcessStream.generate(days: 5, seed: seed)
        var agreeing = 0
        var worst = 0.0
        for event in events {
            let scoring = ScoringEvent(
                timestamp: EventTimestamp(nanosecondsSinceEpoch: event.time), action: .bind,
                process: configuration.processKey(executable: nil, comm: event.name, user: nil), pid: 1, uid: 0
            )
            let verdict = scorer.verdict(scoring)
            let sketchScore = try #require(verdict).score
            let exactScore = reference.score(event.name, at: event.time)
            let difference = abs(sketchScore - exactScore)
            worst = max(worst, difference)
            if difference <= 2 { agreeing += 1 }
        }
        #expect(events.count > 50_000)
        #expect(Double(agreeing) / Double(events.count) >= 0.99, "worst difference \(worst)")
    }

    @Test("the sketch's decayed counts never fall below the exact decayed counts")
    func neverBelowExactCounts() throws {
        var configuration = ScoringConfiguration()
        configuration.detectors = [.rareProcess]
        configuration.keyMode = .name
        var scorer = try RarityScorer(configuration: configuration)
        var reference = ExactRarityReference()
        let events = ProcessStream.generate(days: 3, seed: 13, eventsPerBucket: 40)
        for event in events {
            let time = EventTimestamp(nanosecondsSinceEpoch: event.time)
            _ = scorer.verdicts(ScoringEvent(timestamp: time, action: .bind, process: configuration.processKey(executable: nil, comm: event.name, user: nil), pid: 1, uid: 0))
            _ = reference.score(event.name, at: event.time)
        }
        for name in Set(events.map(\.name)) {
            let key = configuration.processKey(executable: nil, comm: name, user: nil).hash
            for scale in 0..<2 {
                let estimate = try #require(scorer.baseline.estimate(key, detector: .rareProcess, scaleIndex: scale))
                #expect(estimate >= reference.count(name, scale: scale) * (1 - 1e-4), "\(name) at scale \(scale)")
            }
        }
    }
}
