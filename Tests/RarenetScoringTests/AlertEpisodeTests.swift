import Testing
import RarenetEvents
@testable import RarenetScoring

/// One alert per novelty: a key that alerted stays quiet while it is in use,
/// and alerts again when it has become rarer or after the maximum quiet time.
@Suite("Alert episodes")
struct AlertEpisodeTests {
    /// A scorer that has seen `daemon` in every bucket of two days.
    static func learnedScorer(_ configuration: ScoringConfiguration) throws -> RarityScorer {
        var scorer = try RarityScorer(configuration: configuration)
        for bucket in Int64(0)..<(2 * 96) {
            _ = scorer.verdicts(ScoringEvent.connect(configuration, "daemon", at: TestTime.at(minutes: bucket * 15 + 1)))
        }
        return scorer
    }

    /// Connects of `name` every `step` minutes over `range` (minutes since the
    /// test epoch), with the daemon's steady traffic; the rare_process alerts of `name`.
    static func alerts(
        of name: String, every step: Int64 = 5, over range: Range<Int64>, scorer: inout RarityScorer, _ configuration: ScoringConfiguration
    ) -> [Alert] {
        let key = configuration.processKey(executable: "/usr/bin/\(name)", comm: name, user: nil).hash
        var alerts: [Alert] = []
        for minute in stride(from: range.lowerBound, to: range.upperBound, by: Int(step)) {
            if minute % 15 == 1 { _ = scorer.verdicts(ScoringEvent.connect(configuration, "daemon", at: TestTime.at(minutes: minute))) }
            for verdict in scorer.verdicts(ScoringEvent.connect(configuration, name, at: TestTime.at(minutes: minute, seconds: 7)))
            where verdict.detector == .rareProcess && verdict.key == key {
                if let alert = verdict.alert { alerts.append(alert) }
            }
        }
        return alerts
    }

    /// The daemon alone, every bucket of `range` (minutes), so that time passes in the baseline.
    static func idle(over range: Range<Int64>, scorer: inout RarityScorer, _ configuration: ScoringConfiguration) {
        for minute in stride(from: range.lowerBound, to: range.upperBound, by: 15) {
            _ = scorer.verdicts(ScoringEvent.connect(configuration, "daemon", at: TestTime.at(minutes: minute + 1)))
        }
    }

    static let day: Int64 = 24 * 60

    @Test("a new long-running program alerts once over a whole day of use")
    func aNewLongRunningKeyAlertsOnce() throws {
        let configuration = ScoringConfiguration()
        var scorer = try Self.learnedScorer(configuration)
        let alerts = Self.alerts(of: "vscode-node", over: (2 * Self.day)..<(3 * Self.day), scorer: &scorer, configuration)
        #expect(alerts.count == 1)
        #expect(alerts.first?.score == 100)
        let suppressed = scorer.statistics(for: .rareProcess).suppressedRecentlyAlerted
        #expect(suppressed > 0, "the later rare events were held back as the open episode")
    }

    @Test("without episodes (no maximum quiet time) the same program alerts every 45 minutes while rare")
    func withoutEpisodesItRepeats() throws {
        var configuration = ScoringConfiguration()
        configuration.maximumQuietTime = .zero
        var scorer = try Self.learnedScorer(configuration)
        let alerts = Self.alerts(of: "vscode-node", over: (2 * Self.day)..<(3 * Self.day), scorer: &scorer, configuration)
        #expect(alerts.count > 3)
    }

    @Test("a key that alerted and keeps occurring does not alert again, even past the maximum quiet time, once it is common")
    func aKeyInUseStaysQuiet() throws {
        var configuration = ScoringConfiguration()
        configuration.maximumQuietTime = .seconds(2 * 86_400)
        var scorer = try Self.learnedScorer(configuration)
        let alerts = Self.alerts(of: "agent", every: 15, over: (2 * Self.day)..<(9 * Self.day), scorer: &scorer, configuration)
        #expect(alerts.count == 1, "alerted at \(alerts.map(\.score))")
    }

    @Test("a key absent for weeks and back alerts again, on the default maximum quiet time")
    func aKeyBackAfterWeeksAlertsAgain() throws {
        let configuration = ScoringConfiguration()
        var scorer = try Self.learnedScorer(configuration)
        let first = Self.alerts(of: "restic", over: (2 * Self.day)..<(2 * Self.day + 60), scorer: &scorer, configuration)
        Self.idle(over: (2 * Self.day + 60)..<(23 * Self.day), scorer: &scorer, configuration)
        let back = Self.alerts(of: "restic", over: (23 * Self.day)..<(23 * Self.day + 60), scorer: &scorer, configuration)
        #expect(first.count == 1 && back.count == 1)
        #expect(try #require(back.first).seenBuckets > 0, "it is known, but rare again")
    }

    @Test("a key alerts again, before the maximum quiet time, once it has become rarer than when it alerted")
    func aKeyThatBecameRarerAlertsAgain() throws {
        var configuration = ScoringConfiguration()
        configuration.maximumQuietTime = .seconds(365 * 86_400)
        var scorer = try RarityScorer(configuration: configuration)
        // Seen in a few buckets while learning, so that it first alerts under 100.
        let learning = Self.alerts(of: "report", every: 15, over: 0..<45, scorer: &scorer, configuration)
        Self.idle(over: 45..<(10 * Self.day), scorer: &scorer, configuration)
        #expect(learning.isEmpty)
        let alerted = Self.alerts(of: "report", every: 15, over: (10 * Self.day)..<(10 * Self.day + 60), scorer: &scorer, configuration)
        let inUse = Self.alerts(of: "report", every: 15, over: (10 * Self.day + 60)..<(10 * Self.day + 120), scorer: &scorer, configuration)
        Self.idle(over: (10 * Self.day + 120)..<(40 * Self.day), scorer: &scorer, configuration)
        let rarer = Self.alerts(of: "report", every: 15, over: (40 * Self.day)..<(40 * Self.day + 15), scorer: &scorer, configuration)
        let last = try #require(alerted.last)
        #expect(last.score < 100)
        #expect(inUse.isEmpty)
        let again = try #require(rarer.first)
        #expect(again.score >= last.score)
    }

    @Test("a flood of novelties beyond the gate's capacity only makes an old key alert again")
    func episodesAreBounded() throws {
        var configuration = ScoringConfiguration()
        configuration.alertCap = 100_000
        configuration.alertCapWindow = .seconds(86_400)
        configuration.detectors = [.rareProcess]
        configuration.bucketKeyCapacity = 1 << 18
        var scorer = try Self.learnedScorer(configuration)
        let first = Self.alerts(of: "victim", over: (2 * Self.day)..<(2 * Self.day + 1), scorer: &scorer, configuration)
        var flooded = 0
        for index in 0..<(AlertGate.capacity + 10) {
            let event = ScoringEvent.connect(configuration, "flood-\(index)", at: TestTime.at(minutes: 2 * Self.day + 2, seconds: 0))
            flooded += scorer.verdicts(event).filter { $0.alert != nil }.count
        }
        let again = Self.alerts(of: "victim", over: (2 * Self.day + 3)..<(2 * Self.day + 4), scorer: &scorer, configuration)
        #expect(first.count == 1 && flooded == AlertGate.capacity + 10)
        #expect(again.count == 0, "the rest of its alert's bucket stays quiet (the bucket's mark)")
        let later = Self.alerts(of: "victim", over: (2 * Self.day + 50)..<(2 * Self.day + 51), scorer: &scorer, configuration)
        #expect(later.count == 1, "its episode was forgotten to bound memory: it alerts again rather than never")
    }
}
