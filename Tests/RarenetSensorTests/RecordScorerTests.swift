import RarenetCapture
import RarenetEvents
import RarenetScoring
import RarenetSensor
import Testing

/// The scoring thread's per-record work, fed records as the capture thread
/// decodes them (no kernel involved: the records are built here).
@Suite("RecordScorer: attribution and scoring of captured records")
struct RecordScorerTests {
    /// A pid above any pid_max: the table never finds it in /proc.
    private let pid: UInt32 = 0x4000_0001
    private let processStart: UInt64 = 5_000_000_000
    private let configuration: ScoringConfiguration = {
        var configuration = ScoringConfiguration()
        configuration.learningPeriod = .zero
        return configuration
    }()

    private func header(at bootNanoseconds: UInt64) -> CapturedRecordHeader {
        CapturedRecordHeader(bootTimeNanoseconds: bootNanoseconds, pid: pid, tid: pid, processStartBootTimeNanoseconds: processStart)
    }

    private func exec(_ path: String, at bootNanoseconds: UInt64) -> CapturedRecord {
        .exec(CapturedExecRecord(
            header: header(at: bootNanoseconds), ppid: 1, uid: 1000, gid: 1000, cgroupID: 1, comm: "client",
            executablePath: path, arguments: [path], isPathTruncated: false, isExecutableDeleted: false,
            areArgumentsTruncated: false))
    }

    private func connect(port: UInt16, at bootNanoseconds: UInt64) -> CapturedRecord {
        .network(CapturedNetworkRecord(
            header: header(at: bootNanoseconds), ppid: 1, uid: 1000, gid: 1000, action: .connect, family: .ipv4,
            transport: .tcp, sourceAddress: IPAddress(ipv4: 10, 0, 0, 1), sourcePort: 40_000,
            destinationAddress: IPAddress(ipv4: 198, 51, 100, 7), destinationPort: port, hook: .tracepoint,
            cgroupID: 1, taskName: TaskName("client")))
    }

    @Test func execAndExitRecordsYieldNoEvent() throws {
        var scoring = RecordScorer(scorer: try RarityScorer(configuration: configuration))
        #expect(scoring.attribute(exec("/usr/bin/first", at: 1)) == nil)
        #expect(scoring.attribute(.exit(CapturedExitRecord(header: header(at: 2), ppid: 1, exitStatus: 0))) == nil)
        #expect(scoring.table.count == 1)
    }

    @Test func connectsAreAttributedToTheExecutableOfTheLatestExec() throws {
        var scoring = RecordScorer(scorer: try RarityScorer(configuration: configuration))
        _ = scoring.attribute(exec("/usr/bin/first", at: 1))
        let firstEvent = scoring.attribute(connect(port: 443, at: 2))
        let first = try #require(firstEvent)
        #expect(first.process.executable?.path == "/usr/bin/first")
        #expect(first.key == configuration.processKey(executable: "/usr/bin/first", comm: "client", user: nil))
        #expect(first.process.derived == first.scored, "the key is kept in the process's record")

        _ = scoring.attribute(exec("/usr/bin/second", at: 3))
        let secondEvent = scoring.attribute(connect(port: 443, at: 4))
        let second = try #require(secondEvent)
        #expect(second.process === first.process)
        #expect(second.key == configuration.processKey(executable: "/usr/bin/second", comm: "client", user: nil))
        #expect(second.key != first.key)
    }

    @Test func eachConnectIsScoredAtItsWallClockTimeAndOnlyActionsAreHandedOver() throws {
        let offset: Int64 = 1_767_225_600 * 1_000_000_000
        var scoring = RecordScorer(
            scorer: try RarityScorer(configuration: configuration), bootClock: BootClock(offsetNanoseconds: offset))
        var scorer = try RarityScorer(configuration: configuration)
        _ = scoring.attribute(exec("/usr/bin/first", at: 1))

        for (bootTime, expectAlerts) in [(UInt64(10), true), (UInt64(20), false)] {
            let attributed = scoring.attribute(connect(port: 8443, at: bootTime))
            let key = try #require(attributed).key
            var handedOver: [Verdict] = []
            scoring.process(CapturedRecordBatch([connect(port: 8443, at: bootTime)])) { event, verdict, time in
                #expect(time.nanosecondsSinceEpoch == offset + Int64(bootTime))
                #expect(event.record.header.bootTimeNanoseconds == bootTime && event.key == key)
                handedOver.append(verdict)
            }
            var expected: [Verdict] = []
            scorer.scoreForAlerts(ScoringEvent(
                timestamp: EventTimestamp(nanosecondsSinceEpoch: offset + Int64(bootTime)), action: .connect,
                process: key, pid: pid, uid: 1000, destinationAddress: IPAddress(ipv4: 198, 51, 100, 7),
                destinationPort: 8443)) { expected.append($0) }
            #expect(handedOver == expected)
            // A never-seen process and port alert on both detectors; the repeat is suppressed.
            #expect(handedOver.map(\.detector) == [.rareProcess, .rarePort])
            #expect(handedOver.allSatisfy {
                if case .alert = $0.decision { expectAlerts } else { !expectAlerts && $0.decision == .suppressed(.recentlyAlerted) }
            })
        }
    }

    @Test func anExecBetweenConnectsOfABatchAttributesEachConnectToTheImageItCameFrom() throws {
        var scoring = RecordScorer(scorer: try RarityScorer(configuration: configuration))
        let records = [
            exec("/usr/bin/first", at: 1), connect(port: 443, at: 2), connect(port: 443, at: 3),
            exec("/usr/bin/second", at: 4), connect(port: 443, at: 5),
        ]
        let batch = CapturedRecordBatch(records)
        #expect(Array(batch) == records)
        #expect(batch.runs.map { if case .network(let range) = $0 { "\(range)" } else { "other" } }
            == ["other", "0..<2", "other", "2..<3"])
        var alerted: [(path: String?, boot: UInt64)] = []
        scoring.process(batch) { event, verdict, _ in
            if verdict.detector == .rareProcess, case .alert = verdict.decision {
                alerted.append((event.process.executable?.path, event.record.header.bootTimeNanoseconds))
            }
        }
        // Both images are new: one alert each, for the first connect of each.
        #expect(alerted.map(\.path) == ["/usr/bin/first", "/usr/bin/second"])
        #expect(alerted.map(\.boot) == [2, 5])
        #expect(scoring.scorer.statistics(for: .rareProcess).eventsScored == 3)
    }
}
