import Foundation
import RarenetBaseline
import RarenetEvents
import RarenetScoring
import Testing

/// Builds recorded event streams for replay tests.
enum Streams {
    static let start: Int64 = 1_718_668_800 * 1_000_000_000
    static let bucket: Int64 = 900 * 1_000_000_000

    /// A small, fast configuration: 15m buckets, 2h of learning.
    static var configuration: ScoringConfiguration {
        var configuration = ScoringConfiguration()
        configuration.learningPeriod = .seconds(2 * 3600)
        configuration.sketch = SketchParameters(depth: 4, width: 1024, seed: 7)
        configuration.bucketKeyCapacity = 64
        configuration.firstSeenCapacity = 256
        return configuration
    }

    /// One connect to `port`.
    static func connect(_ name: String, at time: Int64, port: UInt16 = 443, host: String = "web-1") -> NetworkEvent {
        NetworkEvent(
            timestamp: EventTimestamp(nanosecondsSinceEpoch: time), action: .connect, pid: 100, uid: 0, comm: name,
            executable: "/usr/bin/\(name)", transport: .tcp, destinationAddress: IPAddress("192.0.2.1"),
            destinationPort: port, host: host
        )
    }

    /// `services` processes connecting to 443 in every bucket of `buckets`.
    static func steady(services: Int = 4, buckets: Range<Int64>, host: String = "web-1") -> [NetworkEvent] {
        buckets.flatMap { bucket in
            (0..<services).map { connect("svc\($0)", at: start + bucket * Self.bucket + Int64($0) * 1_000_000_000, host: host) }
        }
    }

    /// The events as an event file's text.
    static func file(_ events: [NetworkEvent]) -> String {
        events.map(EventLineEncoder.line(for:)).joined()
    }
}

/// Replays events in memory and collects the output lines.
struct ReplayRun {
    var replay: EventReplay
    var lines: [String] = []

    init(configuration: ScoringConfiguration = Streams.configuration, writesAlerts: Bool = true) throws {
        replay = EventReplay(scorer: try RarityScorer(configuration: configuration), writesAlerts: writesAlerts)
    }

    init(scorer: RarityScorer) {
        replay = EventReplay(scorer: scorer, writesAlerts: true)
    }

    mutating func score(_ events: [NetworkEvent]) throws {
        for event in events {
            try replay.score(event) { lines.append(String(decoding: $0, as: UTF8.self)) }
        }
    }

    /// The output lines parsed as JSON objects.
    var objects: [[String: Any]] {
        get throws {
            try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        }
    }
}

extension [String: Any] {
    /// The value at a dotted ECS path (`rarenet.score`).
    subscript(path path: String) -> Any? {
        var value: Any? = self
        for part in path.split(separator: ".") {
            value = (value as? [String: Any])?[String(part)]
        }
        return value
    }
}

@Suite struct EventReplayTests {
    @Test func alertsANeverSeenProcessOnlyAfterLearning() throws {
        var run = try ReplayRun()
        try run.score(Streams.steady(buckets: 0..<96))
        #expect(run.lines.isEmpty)
        let planted = Streams.connect("implant", at: Streams.start + 96 * Streams.bucket, port: 4444)
        try run.score([planted])
        let alerts = try run.objects
        #expect(alerts.map { $0[path: "rarenet.detector"] as? String } == ["rare_process", "rare_port"])
        for alert in alerts {
            #expect(alert[path: "process.executable"] as? String == "/usr/bin/implant")
            #expect(alert[path: "destination.port"] as? Int == 4444)
            #expect(alert[path: "rarenet.score"] as? Double == 100)
            #expect(alert[path: "rarenet.scale"] as? String == "15m")
            #expect(alert[path: "@timestamp"] as? String == "2024-06-19T00:00:00.000000000Z")
            #expect(alert[path: "host.name"] as? String == "web-1")
        }
        let summary = run.replay.summary
        #expect(summary.events == 4 * 96 + 1)
        #expect(summary.detectors.map(\.keys) == [5, 2])
        #expect(summary.detectors.map(\.alerts) == [1, 1])
        #expect(!summary.isLearning)
    }

    @Test("a rare_port alert on a dynamic port names its class; a service port's names none")
    func dynamicPortAlertsNameTheirClass() throws {
        var run = try ReplayRun()
        try run.score(Streams.steady(buckets: 0..<96))
        try run.score([Streams.connect("svc0", at: Streams.start + 96 * Streams.bucket, port: 45_700)])
        try run.score([Streams.connect("svc1", at: Streams.start + 96 * Streams.bucket + 1, port: 4444)])
        let alerts = try run.objects
        #expect(alerts.map { $0[path: "destination.port"] as? Int } == [45_700, 4444])
        #expect(alerts.map { $0[path: "rarenet.port_class"] as? String } == ["dynamic-public", nil])
    }

    @Test func alertsNothingWhileLearning() throws {
        var run = try ReplayRun()
        try run.score(Streams.steady(buckets: 0..<4))
        try run.score([Streams.connect("implant", at: Streams.start + 4 * Streams.bucket, port: 4444)])
        #expect(run.lines.isEmpty)
        #expect(run.replay.summary.isLearning)
    }

    @Test func ignoresLoopbackDestinations() throws {
        var run = try ReplayRun()
        try run.score(Streams.steady(buckets: 0..<96))
        var local = Streams.connect("implant", at: Streams.start + 96 * Streams.bucket)
        local.destinationAddress = IPAddress("127.0.0.53")
        try run.score([local])
        #expect(run.lines.isEmpty)
        #expect(run.replay.summary.excludedEvents == 1)
    }

    /// The same file replayed twice gives the same bytes.
    @Test func isDeterministic() throws {
        var events = Streams.steady(buckets: 0..<40)
        for index in 0..<30 {
            events.append(Streams.connect("new\(index)", at: Streams.start + Int64(40 + index) * Streams.bucket, port: UInt16(9000 + index)))
        }
        let text = Streams.file(events)
        let first = try replayFile(text)
        let second = try replayFile(text)
        #expect(first.output == second.output)
        #expect(!first.output.isEmpty)
        #expect(first.summary == second.summary)
    }

    /// Bad lines are counted and skipped without shifting the other lines' results.
    @Test func skipsBadLinesWithoutChangingTheRest() throws {
        var events = Streams.steady(buckets: 0..<12)
        events.append(Streams.connect("implant", at: Streams.start + 12 * Streams.bucket, port: 4444))
        let clean = Streams.file(events)
        var lines = clean.split(separator: "\n").map(String.init)
        lines.insert(#"{"ts":1,"action":"connect","pid":1,"uid":0,"comm":"x","dport":70000}"#, at: 10)
        lines.insert("garbage", at: 20)
        let dirty = lines.joined(separator: "\n") + "\n"
        let expected = try replayFile(clean)
        let result = try replayFile(dirty)
        #expect(result.output == expected.output)
        #expect(result.summary.badLines == 2)
        #expect(result.summary.events == expected.summary.events)
        #expect(result.badLines.map(\.lineNumber) == [11, 21])
        #expect(result.badLines.first?.description == #"events.jsonl:11: field "dport": 70000 is not a port (0–65535)"#)
    }

    @Test func stopsAtTheFirstBadLineWhenStrict() throws {
        let text = Streams.file(Streams.steady(buckets: 0..<2)) + "garbage\n" + Streams.file(Streams.steady(buckets: 2..<4))
        #expect {
            try replayFile(text, strict: true)
        } throws: { error in
            guard case .badLine(let bad) = error as? ReplayError else { return false }
            return bad.lineNumber == 9
                && "\(error)" == "events.jsonl:9: column 1: expected '{' at the start of the line (stopping: --strict)"
        }
    }

    /// Learning a baseline, saving it and replaying on top of it gives the
    /// same alerts as one replay over all the events.
    @Test func learnedBaselineRoundTripsThroughTheStore() throws {
        let history = Streams.steady(buckets: 0..<96)
        var later = Streams.steady(buckets: 96..<100)
        later.append(Streams.connect("implant", at: Streams.start + 100 * Streams.bucket, port: 4444))

        var whole = try ReplayRun()
        try whole.score(history + later)

        let scratch = try ScratchDirectory()
        let store = try SnapshotStore(directory: scratch.path)
        var learn = try ReplayRun(writesAlerts: false)
        try learn.score(history)
        #expect(learn.lines.isEmpty)
        try store.save(learn.replay.scorer.baseline)

        let (scorer, load) = try store.restoreScorer(configuration: Streams.configuration, resettingInvalid: false)
        guard case .loaded(let baseline) = load else {
            Issue.record("expected the learned baseline")
            return
        }
        #expect(baseline.completedBuckets == 95)
        var resumed = ReplayRun(scorer: scorer)
        try resumed.score(later)
        #expect(resumed.lines == whole.lines)
        #expect(resumed.lines.count == 2)
    }

    @Test func refusesOrResetsASnapshotOfOtherParameters() throws {
        let scratch = try ScratchDirectory()
        let store = try SnapshotStore(directory: scratch.path)
        var learn = try ReplayRun(writesAlerts: false)
        try learn.score(Streams.steady(buckets: 0..<8))
        try store.save(learn.replay.scorer.baseline)
        var wider = Streams.configuration
        wider.sketch.width = 2048
        #expect {
            _ = try store.restoreScorer(configuration: wider, resettingInvalid: false)
        } throws: { error in
            "\(error)".hasPrefix("\(store.snapshotPath): not a usable baseline snapshot: baseline snapshot was built with sketch width 1024, but this scorer uses 2048")
        }
        let (scorer, load) = try store.restoreScorer(configuration: wider, resettingInvalid: true)
        guard case .reset(let movedTo, _) = load else {
            Issue.record("expected a reset")
            return
        }
        #expect(movedTo.contains("baseline.snapshot.corrupt-"))
        #expect(scorer.baseline.completedBuckets == 0)
        #expect(try store.load() == nil)
    }

    @Test func writesOneNoticeWhenTheAlertCapEngages() throws {
        var configuration = Streams.configuration
        configuration.alertCap = 2
        configuration.detectors = [.rareProcess]
        var run = try ReplayRun(configuration: configuration)
        try run.score(Streams.steady(buckets: 0..<96))
        let time = Streams.start + 96 * Streams.bucket
        try run.score((0..<6).map { Streams.connect("new\($0)", at: time + Int64($0) * 1_000_000_000) })
        let objects = try run.objects
        #expect(objects.map { $0[path: "event.action"] as? String } == [
            "connection_attempted", "connection_attempted", "alert_cap_suppressing",
        ])
        let notice = try #require(objects.last)
        #expect(notice[path: "rule.name"] as? String == "rarenet: alert cap suppressing")
        #expect(notice[path: "rarenet.cap"] as? Int == 2)
        #expect(notice[path: "rarenet.window_seconds"] as? Int == 900)
        #expect(notice[path: "rarenet.detector"] as? String == "rare_process")
        #expect(run.replay.summary.detectors.first?.suppressed == 4)
    }

    /// A flood of distinct executables fills a small sketch: one saturation
    /// notice, not one per check.
    @Test func writesOneNoticeWhenTheSketchSaturates() throws {
        var configuration = Streams.configuration
        configuration.sketch = SketchParameters(depth: 2, width: 64, seed: 7)
        configuration.detectors = [.rareProcess]
        var run = try ReplayRun(configuration: configuration)
        try run.score(Streams.steady(buckets: 0..<8))
        #expect(run.lines.isEmpty)
        for bucket in Int64(8)..<Int64(24) {
            let time = Streams.start + bucket * Streams.bucket
            try run.score((0..<40).map { Streams.connect("flood\(bucket)-\($0)", at: time + Int64($0)) })
        }
        let notices = try run.objects.filter { $0[path: "event.action"] as? String == "baseline_saturated" }
        #expect(notices.count == 1)
        let notice = try #require(notices.first)
        #expect(notice[path: "rule.name"] as? String == "rarenet: baseline saturated")
        #expect(try #require(notice[path: "rarenet.fill_ratio"] as? Double) > 0.5)
    }

    /// Replays `text` as the file `events.jsonl` through ``EventReplay/run``.
    func replayFile(_ text: String, strict: Bool = false) throws -> (output: [UInt8], summary: ReplaySummary, badLines: [BadEventLine]) {
        let scratch = try ScratchDirectory()
        let path = scratch.child("events.jsonl")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        let descriptor = open(path, O_RDONLY)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        var reader = EventLineReader(fileDescriptor: descriptor, source: "events.jsonl")
        var replay = EventReplay(scorer: try RarityScorer(configuration: Streams.configuration), writesAlerts: true)
        var output: [UInt8] = []
        var badLines: [BadEventLine] = []
        try replay.run(&reader, strict: strict, write: { output += $0 }, reportBadLine: { badLines.append($0) })
        return (output, replay.summary, badLines)
    }
}
