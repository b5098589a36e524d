import Testing
import RarenetEvents
@testable import RarenetScoring

@Suite("Alerts-only scoring")
struct ScoreForAlertsTests {
    @Test("scoreForAlerts reports exactly the alert and suppressed verdicts of score, and leaves the same baseline")
    func sameDecisionsAsScore() throws {
        var configuration = ScoringConfiguration()
        configuration.learningPeriod = .seconds(4 * 3600)
        configuration.alertCap = 5
        var everyVerdict = try RarityScorer(configuration: configuration)
        var alertsOnly = try RarityScorer(configuration: configuration)
        var expected: [Verdict] = []
        var reported: [Verdict] = []
        var belowThreshold = 0
        for (index, event) in ProcessStream.generate(days: 2, seed: 5, eventsPerBucket: 60).enumerated() {
            let scoringEvent = ScoringEvent(
                timestamp: EventTimestamp(nanosecondsSinceEpoch: event.time), action: .connect,
                process: configuration.processKey(executable: nil, comm: event.name, user: nil),
                pid: 1, uid: 0, destinationAddress: IPAddress("198.51.100.7"), destinationPort: UInt16(index % 300 + 1)
            )
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
        #expect(alertsOnly.baseline.encoded() == everyVerdict.baseline.encoded())
        for detector in configuration.detectors {
            #expect(alertsOnly.statistics(for: detector) == everyVerdict.statistics(for: detector))
        }
    }
}
