import Foundation
import RarenetBaseline
import RarenetEvents
import RarenetScoring
import Testing

@Suite struct BaselineMergingTests {
    /// Learns `events` into a state directory `name` under `scratch`.
    static func learn(_ events: [NetworkEvent], into directory: String, configuration: ScoringConfiguration = Streams.configuration) throws {
        var run = try ReplayRun(configuration: configuration, writesAlerts: false)
        try run.score(events)
        try SnapshotStore(directory: directory).save(run.replay.scorer.baseline)
    }

    /// Two hosts, each running its own services: the fleet baseline knows both
    /// hosts' processes, so neither alerts on the other's.
    @Test func mergesHostsIntoAFleetBaseline() throws {
        let scratch = try ScratchDirectory()
        let hostA = Streams.steady(services: 3, buckets: 0..<96, host: "a")
        let hostB = Streams.steady(buckets: 0..<96, host: "b").map { event in
            var event = event
            event.executable = event.executable.map { $0 + "-b" }
            return event
        }
        try Self.learn(hostA, into: scratch.child("a"))
        try Self.learn(hostB, into: scratch.child("b"))
        let merged = try BaselineMerging.merge(snapshotPaths: [scratch.child("a"), scratch.child("b") + "/baseline.snapshot"])
        #expect(merged.completedBuckets == 95)

        var fleet = try RarityScorer(configuration: Streams.configuration)
        try fleet.restore(merged)
        var run = ReplayRun(scorer: fleet)
        let time = Streams.start + 96 * Streams.bucket
        try run.score([
            Streams.connect("svc1", at: time),
            NetworkEvent(
                timestamp: EventTimestamp(nanosecondsSinceEpoch: time + 1), action: .connect, pid: 1, uid: 0, comm: "svc2",
                executable: "/usr/bin/svc2-b", destinationAddress: IPAddress("192.0.2.1"), destinationPort: 443
            ),
            Streams.connect("stranger", at: time + 2, port: 443),
        ])
        let alerted = try run.objects.map { $0[path: "process.executable"] as? String }
        #expect(alerted == ["/usr/bin/stranger"])
    }

    @Test func refusesBaselinesOfOtherParameters() throws {
        let scratch = try ScratchDirectory()
        var wider = Streams.configuration
        wider.sketch.width = 2048
        try Self.learn(Streams.steady(buckets: 0..<8), into: scratch.child("a"))
        try Self.learn(Streams.steady(buckets: 0..<8), into: scratch.child("b"), configuration: wider)
        #expect {
            _ = try BaselineMerging.merge(snapshotPaths: [scratch.child("a"), scratch.child("b")])
        } throws: { error in
            "\(error)" == "\(scratch.child("b"))/baseline.snapshot: cannot merge baseline #2: sketch width is 2048, the first "
                + "baseline's is 1024 (the first baseline is \(scratch.child("a"))/baseline.snapshot)"
        }
    }

    @Test func refusesBaselinesOfOtherClocks() throws {
        let scratch = try ScratchDirectory()
        try Self.learn(Streams.steady(buckets: 0..<8), into: scratch.child("a"))
        try Self.learn(Streams.steady(buckets: 0..<9), into: scratch.child("b"))
        #expect {
            _ = try BaselineMerging.merge(snapshotPaths: [scratch.child("a"), scratch.child("b")])
        } throws: { error in
            guard case .incompatible(let path, _, .clockMismatch) = error as? BaselineMergingError else { return false }
            return path == scratch.child("b") + "/baseline.snapshot"
        }
    }

    @Test func namesAnUnreadableOrCorruptSnapshot() throws {
        let scratch = try ScratchDirectory()
        try Self.learn(Streams.steady(buckets: 0..<8), into: scratch.child("a"))
        let missing = scratch.child("missing.snapshot")
        #expect {
            _ = try BaselineMerging.merge(snapshotPaths: [scratch.child("a"), missing])
        } throws: { error in
            "\(error)" == "\(missing): open failed: No such file or directory"
        }
        var bytes = try #require(FileManager.default.contents(atPath: scratch.child("a") + "/baseline.snapshot"))
        bytes[bytes.count / 2] ^= 0xFF
        let corrupt = scratch.child("corrupt.snapshot")
        #expect(FileManager.default.createFile(atPath: corrupt, contents: bytes))
        #expect {
            _ = try BaselineMerging.merge(snapshotPaths: [scratch.child("a"), corrupt])
        } throws: { error in
            guard case .invalid(let path, .checksumMismatch) = error as? BaselineMergingError else { return false }
            return path == corrupt && "\(error)".hasPrefix("\(corrupt): baseline snapshot is corrupt: checksum")
        }
        #expect {
            _ = try BaselineMerging.merge(snapshotPaths: [])
        } throws: { error in
            "\(error)" == "no snapshots to merge"
        }
    }
}
