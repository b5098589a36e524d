import Foundation
import Testing
import RarenetEvents
@testable import RarenetScoring

@Suite("Rarity scorer semantics")
struct ScorerSemanticsTests {
    let configuration = ScoringConfiguration()

    /// A scorer that has seen `daemon` in every bucket of `days` days.
    func scorer(after days: Int64, configuration: ScoringConfiguration = ScoringConfiguration()) throws -> RarityScorer {
        var scorer = try RarityScorer(configuration: configuration)
        for bucket in 0..<(days * 96) {
            _ = scorer.verdicts(ScoringEvent.connect(configuration, "daemon", at: TestTime.at(minutes: bucket * 15 + 1)))
        }
        return scorer
    }

    @Test("a process seen in every bucket is never alerted")
    func everyBucketNeverAlerted() throws {
        var scorer = try RarityScorer(configuration: ScoringConfiguration())
        var verdicts: [Verdict] = []
        for bucket in Int64(0)..<(6 * 96) {
            for second in [30, 400] as [Int64] {
                let event = ScoringEvent.connect(configuration, "sshd", at: TestTime.at(minutes: bucket * 15, seconds: second))
                verdicts += scorer.verdicts(event).filter { $0.detector == .rareProcess }
            }
        }
        #expect(verdicts.count == 2 * 6 * 96)
        #expect(verdicts.allSatisfy { $0.alert == nil })
        #expect(verdicts.last!.score < 1)
    }

    @Test("a never-seen process after learning scores 100 and is alerted with its evidence")
    func neverSeenAlerted() throws {
        var scorer = try scorer(after: 2)
        #expect(!scorer.isLearning)
        let time = TestTime.at(day: 2, minutes: 7)
        let scored = scorer.verdict(ScoringEvent.connect(configuration, "nc", at: time))
        let verdict = try #require(scored)
        #expect(verdict.score == 100)
        let alert = try #require(verdict.alert)
        #expect(alert.detector == .rareProcess)
        #expect(alert.seenBuckets == 0)
        #expect(abs(alert.baselineBuckets - scorer.baseline.baselineBuckets[0]) < 1e-9)
        #expect(alert.baselineBuckets > 180 && alert.baselineBuckets < 192)
        #expect(alert.probability == 0.5 / (alert.baselineBuckets + 1))
        #expect(alert.firstSeen == time)
        #expect(alert.scale == .seconds(900))
    }

    @Test("DESIGN.md example: seen in 10 of 960 buckets scores 60 at the 15-minute scale")
    func designExample() {
        #expect(abs(RarityFormula.score(count: 10, buckets: 960) - 60) < 0.5)
        #expect(RarityFormula.score(count: 0, buckets: 960) == 100)
        #expect(RarityFormula.score(count: 960, buckets: 960) < 0.01)
    }

    @Test("nothing alerts during learning, not even a never-seen process")
    func nothingDuringLearning() throws {
        var scorer = try RarityScorer(configuration: ScoringConfiguration())
        var decisions: [Decision] = []
        for minute in stride(from: Int64(0), to: 24 * 60, by: 7) {
            decisions += scorer.verdicts(ScoringEvent.connect(configuration, "new-\(minute)", at: TestTime.at(minutes: minute), port: UInt16(minute))).map(\.decision)
        }
        #expect(decisions.count > 300)
        #expect(decisions.allSatisfy { $0 == .learning })
        let afterLearning = scorer.verdict(ScoringEvent.connect(configuration, "late", at: TestTime.at(day: 1, minutes: 1)))
        let first = try #require(afterLearning)
        #expect(first.alert != nil, "the learning period ends once the baseline spans 24 hours")
    }

    @Test("a nightly job stops alerting once days are in the baseline, thanks to the daily scale")
    func nightlyJob() throws {
        var configuration = ScoringConfiguration()
        configuration.learningPeriod = .seconds(2 * 3600)
        var scorer = try RarityScorer(configuration: configuration)
        var nightly: [Verdict] = []
        for day in Int64(0)..<6 {
            for bucket in Int64(0)..<96 {
                _ = scorer.verdicts(ScoringEvent.connect(configuration, "daemon", at: TestTime.at(day: day, minutes: bucket * 15 + 1)))
                if bucket == 12 {
                    nightly += scorer.verdicts(ScoringEvent.connect(configuration, "backup", at: TestTime.at(day: day, minutes: 182)))
                        .filter { $0.detector == .rareProcess }
                }
            }
        }
        #expect(nightly[0].alert != nil, "the first night is new")
        #expect(nightly.dropFirst().allSatisfy { $0.alert == nil && $0.score < 25 })
        let fifteenMinuteScale = RarityFormula.score(count: 5, buckets: scorer.baseline.baselineBuckets[0])
        #expect(fifteenMinuteScale > 50, "rare per 15 minutes, established per day")
    }

    @Test("loopback and unspecified destinations are ignored", arguments: [
        "127.0.0.1", "127.0.0.53", "127.1.2.3", "0.0.0.0", "::1", "::", "::ffff:127.0.0.1",
    ])
    func loopbackIgnored(destination: String) throws {
        var scorer = try scorer(after: 2)
        let excludedBefore = scorer.excludedEvents
        let event = ScoringEvent.connect(configuration, "probe", at: TestTime.at(day: 2, minutes: 3), to: destination, port: 9)
        let ignored = scorer.verdicts(event)
        #expect(ignored.isEmpty)
        #expect(scorer.excludedEvents == excludedBefore + 1)
        let outside = ScoringEvent.connect(configuration, "probe", at: TestTime.at(day: 2, minutes: 4))
        let later = scorer.verdict(outside)
        #expect(later?.score == 100, "the ignored connect left no trace")
    }

    @Test("user exclusions: names, executables, users by id and name, CIDRs, the sensor itself")
    func userExclusions() throws {
        var configuration = ScoringConfiguration()
        configuration.exclusions.processNames = ["chronyd"]
        configuration.exclusions.executables = ["/opt/agent/bin/agent"]
        configuration.exclusions.users = [.id(998), .name("backup")]
        configuration.exclusions.destinations += [AddressRange("10.0.0.0/8")!, AddressRange("fd00::/8")!]
        configuration.exclusions.sensorProcessID = 777
        var scorer = try scorer(after: 2, configuration: configuration)
        let time = TestTime.at(day: 2, minutes: 5)
        func process(_ executable: String, _ comm: String, user: String? = nil) -> ProcessKey {
            configuration.processKey(executable: executable, comm: comm, user: user)
        }
        let excluded = [
            ScoringEvent(timestamp: time, action: .connect, process: process("/usr/sbin/chronyd", "chronyd"), pid: 1, uid: 0),
            ScoringEvent(timestamp: time, action: .connect, process: process("/opt/agent/bin/agent", "agent"), pid: 1, uid: 0),
            ScoringEvent(timestamp: time, action: .connect, process: process("/bin/x", "x"), pid: 1, uid: 998),
            ScoringEvent(timestamp: time, action: .connect, process: process("/bin/x", "x", user: "backup"), pid: 1, uid: 34),
            ScoringEvent(timestamp: time, action: .connect, process: process("/bin/x", "x"), pid: 1, uid: 0, destinationAddress: IPAddress("10.1.2.3")),
            ScoringEvent(timestamp: time, action: .connect, process: process("/bin/x", "x"), pid: 1, uid: 0, destinationAddress: IPAddress("fd12::1")),
            ScoringEvent(timestamp: time, action: .connect, process: process("/bin/x", "x"), pid: 777, uid: 0),
        ]
        for event in excluded {
            let verdicts = scorer.verdicts(event)
            #expect(verdicts.isEmpty)
        }
        #expect(scorer.excludedEvents == UInt64(excluded.count))
        let kept = ScoringEvent(timestamp: time, action: .connect, process: process("/bin/x", "x"), pid: 1, uid: 0, destinationAddress: IPAddress("11.1.2.3"))
        let result = scorer.verdict(kept)
        #expect(result?.alert != nil)
    }

    @Test("with no maximum quiet time, a key is not re-alerted within 45 minutes, and is again afterwards while still rare")
    func realertInterval() throws {
        var configuration = configuration
        configuration.maximumQuietTime = .zero
        var scorer = try scorer(after: 2, configuration: configuration)
        let alertAt: (Int64) -> Decision? = { minutes in
            scorer.verdict(ScoringEvent.connect(configuration, "nc", at: TestTime.at(day: 2, minutes: minutes)))?.decision
        }
        #expect(alertAt(1).flatMap { if case .alert = $0 { true } else { nil } } == true)
        // The rest of the bucket, then the next buckets.
        #expect(alertAt(2) == .suppressed(.recentlyAlerted))
        #expect(alertAt(14) == .suppressed(.recentlyAlerted))
        #expect(alertAt(20) == .suppressed(.recentlyAlerted))
        #expect(alertAt(45) == .suppressed(.recentlyAlerted))
        let later = try #require(alertAt(47))
        guard case .alert(let alert) = later else { Issue.record("expected an alert, got \(later)"); return }
        #expect(alert.seenBuckets >= 1 && alert.score >= 50)
        #expect(alert.firstSeen == TestTime.at(day: 2, minutes: 1))
        #expect(scorer.statistics(for: .rareProcess).suppressedRecentlyAlerted == 4)
    }

    @Test("a re-alert interval shorter than a bucket re-alerts within the bucket")
    func shortRealertInterval() throws {
        var configuration = configuration
        configuration.realertInterval = .seconds(5 * 60)
        var scorer = try scorer(after: 2, configuration: configuration)
        let decisions = [1, 3, 5, 7].map { minutes in
            scorer.verdict(ScoringEvent.connect(configuration, "nc", at: TestTime.at(day: 2, minutes: Int64(minutes))))?.decision
        }
        #expect(decisions.map { if case .alert = $0 { true } else { false } } == [true, false, false, true])
        #expect(decisions[1] == .suppressed(.recentlyAlerted) && decisions[2] == .suppressed(.recentlyAlerted))
    }

    @Test("at most 100 alerts per 15 minutes per detector, the rest counted as suppressed")
    func alertCap() throws {
        var configuration = ScoringConfiguration()
        configuration.detectors = [.rareProcess]
        var scorer = try scorer(after: 2, configuration: configuration)
        var decisions: [Decision] = []
        for index in Int64(0)..<150 {
            decisions += scorer.verdicts(ScoringEvent.connect(configuration, "new-\(index)", at: TestTime.at(day: 2, minutes: 1, seconds: index))).map(\.decision)
        }
        let alerts = decisions.filter { if case .alert = $0 { true } else { false } }
        #expect(alerts.count == 100)
        #expect(decisions[100] == .suppressed(.alertCap(startsWindow: true)))
        #expect(decisions[101...].allSatisfy { $0 == .suppressed(.alertCap(startsWindow: false)) })
        let statistics = scorer.statistics(for: .rareProcess)
        #expect(statistics.alerts == 100 && statistics.suppressedByCap == 50 && statistics.suppressed == 50)
        let nextWindow = scorer.verdict(ScoringEvent.connect(configuration, "new-next", at: TestTime.at(day: 2, minutes: 16)))
        #expect(nextWindow?.alert != nil)
    }

    @Test("rare_port scores the destination port of connects, not binds")
    func rarePort() throws {
        var scorer = try scorer(after: 2)
        let connect = ScoringEvent.connect(configuration, "daemon", at: TestTime.at(day: 2, minutes: 2), port: 4444)
        let verdicts = scorer.verdicts(connect)
        #expect(verdicts.map(\.detector) == [.rareProcess, .rarePort])
        let port = try #require(verdicts.last?.alert)
        #expect(port.key == KeyHash(port: 4444, seed: scorer.configuration.sketch.seed) && port.score == 100)
        #expect(verdicts.first!.score < 1, "the daemon itself is common")
        var bind = connect
        bind.action = .bind
        bind.destinationAddress = nil
        let result = scorer.verdicts(bind)
        #expect(result.map(\.detector) == [.rareProcess])
    }

    @Test("key mode: executable path by default, comm with .name")
    func keyMode() {
        var configuration = ScoringConfiguration()
        configuration.keyMode = .name
        let seed = configuration.sketch.seed
        #expect(ScoringConfiguration().processKey(executable: "/usr/bin/python3", comm: "python3", user: nil).hash
            == KeyHash("host:system:/usr/bin/python<version> stdin", seed: seed))
        #expect(ScoringConfiguration().processKey(executable: nil, comm: "python3", user: nil).hash == KeyHash("name:python3", seed: seed))
        #expect(configuration.processKey(executable: "/usr/bin/python3", comm: "python3", user: nil).hash == KeyHash("name:python3", seed: seed))
    }

    @Test("idle buckets count as history")
    func idleBucketsCount() throws {
        var scorer = try RarityScorer(configuration: ScoringConfiguration())
        _ = scorer.verdicts(ScoringEvent.connect(configuration, "daemon", at: TestTime.at(minutes: 1)))
        scorer.advanceClock(to: TestTime.at(day: 1, minutes: 1))
        #expect(scorer.baseline.completedBuckets == 96)
        #expect(!scorer.isLearning)
        let halfLifeDecay = pow(2.0, -1.0 / (14 * 96))
        let expected = (1 - pow(halfLifeDecay, 96)) / (1 - halfLifeDecay)
        #expect(abs(scorer.baseline.baselineBuckets[0] - expected) < 1e-6)
        #expect(scorer.baseline.baselineBuckets[1] == 1)
    }

    @Test("sketch health: fill ratio and saturation")
    func health() throws {
        var configuration = ScoringConfiguration()
        configuration.sketch = SketchParameters(depth: 4, width: 64, seed: 5)
        configuration.detectors = [.rareProcess]
        var scorer = try RarityScorer(configuration: configuration)
        _ = scorer.verdicts(ScoringEvent.connect(configuration, "one", at: TestTime.at(minutes: 1)))
        scorer.advanceClock(to: TestTime.at(minutes: 16))
        let quiet = try #require(scorer.health(of: .rareProcess))
        #expect(quiet.fillRatio == 1.0 / 64 && !quiet.isSaturated)
        for index in 0..<500 {
            _ = scorer.verdicts(ScoringEvent.connect(configuration, "key-\(index)", at: TestTime.at(minutes: 17)))
        }
        scorer.advanceClock(to: TestTime.at(minutes: 31))
        let full = try #require(scorer.health(of: .rareProcess))
        #expect(full.fillRatio > 0.9 && full.neverSeenLooksSeenProbability > 0.5 && full.isSaturated)
        #expect(scorer.health(of: .rarePort) == nil)
    }

    @Test("more distinct keys in a bucket than its key set holds are still counted")
    func bucketOverflow() throws {
        var configuration = ScoringConfiguration()
        configuration.bucketKeyCapacity = 8
        configuration.detectors = [.rareProcess]
        var scorer = try RarityScorer(configuration: configuration)
        for index in 0..<40 {
            for second in [1, 2] as [Int64] {
                _ = scorer.verdicts(ScoringEvent.connect(configuration, "key-\(index)", at: TestTime.at(minutes: 1, seconds: second)))
            }
        }
        scorer.advanceClock(to: TestTime.at(minutes: 16))
        #expect(scorer.statistics(for: .rareProcess).keyTableOverflows >= 32)
        for index in 0..<40 {
            let key = configuration.processKey(executable: "/usr/bin/key-\(index)", comm: "key-\(index)", user: nil).hash
            #expect(try #require(scorer.baseline.estimate(key, detector: .rareProcess, scaleIndex: 0)) >= 1 - 1e-6)
        }
    }

    @Test("invalid settings are refused with the setting's name")
    func validation() {
        var configuration = ScoringConfiguration()
        configuration.sketch.width = 1000
        #expect(throws: ConfigurationError.self) { try RarityScorer(configuration: configuration) }
        do {
            _ = try RarityScorer(configuration: configuration)
        } catch {
            #expect(error.setting == "sketch.width")
        }
    }
}
