import Foundation
import RarenetBaseline
import RarenetEvents
import Testing

/// The `rarenet replay`, `learn` and `merge` commands, run as the built binary.
@Suite struct ReplayCommandTests {
    /// The options that make the commands use ``Streams/configuration``.
    static let small = ["--learning-period", "2h", "--sketch-width", "1024"]

    struct Outcome {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs the `rarenet` binary built next to the test bundle; its output
    /// goes to files (no pipe can fill up and block it).
    static func rarenet(_ arguments: [String]) throws -> Outcome {
        let directory = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .deletingLastPathComponent()
        let binary = directory.appendingPathComponent("rarenet")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the rarenet binary first (swift build)")
        let scratch = try ScratchDirectory()
        let outputPath = scratch.child("stdout")
        let errorPath = scratch.child("stderr")
        #expect(FileManager.default.createFile(atPath: outputPath, contents: nil))
        #expect(FileManager.default.createFile(atPath: errorPath, contents: nil))
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            standardOutput: try String(contentsOfFile: outputPath, encoding: .utf8),
            standardError: try String(contentsOfFile: errorPath, encoding: .utf8)
        )
    }

    static func eventFile(in scratch: ScratchDirectory, badLine: Bool = false) throws -> String {
        var events = Streams.steady(buckets: 0..<12)
        events.append(Streams.connect("implant", at: Streams.start + 12 * Streams.bucket, port: 4444))
        var text = Streams.file(events)
        if badLine { text = "{\"ts\":1}\n" + text }
        let path = scratch.child("events.jsonl")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        return path
    }

    @Test func replayWritesTheSameAlertsEveryRun() throws {
        let scratch = try ScratchDirectory()
        let events = try Self.eventFile(in: scratch)
        let first = try Self.rarenet(["replay", "--events", events] + Self.small)
        let second = try Self.rarenet(["replay", "--events", events] + Self.small)
        #expect(first.status == 0)
        #expect(first.standardOutput == second.standardOutput)
        #expect(first.standardOutput.split(separator: "\n").count == 2)
        #expect(first.standardOutput.contains(#""executable":"/usr/bin/implant""#))
        #expect(first.standardError.contains("events: 49, bad lines: 0, excluded: 0"))
        #expect(first.standardError.contains("rare_process: keys: 5, alerts: 1, suppressed: 0"))
    }

    @Test func replayReportsBadLinesAndStrictStops() throws {
        let scratch = try ScratchDirectory()
        let events = try Self.eventFile(in: scratch, badLine: true)
        let lenient = try Self.rarenet(["replay", "--events", events] + Self.small)
        #expect(lenient.status == 0)
        #expect(lenient.standardError.contains(#"\#(events):1: field "action": is required but missing"#))
        #expect(lenient.standardError.contains("bad lines: 1"))
        let strict = try Self.rarenet(["replay", "--strict", "--events", events] + Self.small)
        #expect(strict.status != 0)
        #expect(strict.standardOutput.isEmpty)
        #expect(strict.standardError.contains("(stopping: --strict)"))
    }

    @Test func replayWritesAlertsToAPrivateFile() throws {
        let scratch = try ScratchDirectory()
        let events = try Self.eventFile(in: scratch)
        let alerts = scratch.child("alerts.jsonl")
        let outcome = try Self.rarenet(["replay", "--events", events, "--alerts", alerts] + Self.small)
        #expect(outcome.status == 0)
        #expect(outcome.standardOutput.isEmpty)
        #expect(try String(contentsOfFile: alerts, encoding: .utf8).split(separator: "\n").count == 2)
        #expect(try scratch.mode(of: alerts) == 0o600)
    }

    @Test(arguments: [
        (["--bucket-span", "15x"], "--bucket-span (scoring.bucket_span): must be a duration like 90s, 15m, 24h or 14d"),
        (["--half-life", "1.5d"], "--half-life (scoring.half_life): must be a duration"),
        (["--sketch-width", "1000"], "--sketch-width (scoring.sketch.width): must be a power of two from 256 to 16777216 (got \"1000\")"),
        (["--detector", "nope"], "--detector (scoring.detectors): must be one of rare_process, rare_port (got \"nope\")"),
        (["--key", "inode"], "--key (scoring.key): must be one of executable, name (got \"inode\")"),
    ])
    func rejectsBadOptionsClearly(_ options: [String], _ message: String) throws {
        let scratch = try ScratchDirectory()
        let events = try Self.eventFile(in: scratch)
        let outcome = try Self.rarenet(["replay", "--events", events] + options)
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains(message))
    }

    @Test func learnThenReplayWithStateAndMerge() throws {
        let scratch = try ScratchDirectory()
        let events = try Self.eventFile(in: scratch)
        let noState = try Self.rarenet(["learn", "--events", events])
        #expect(noState.status != 0)
        #expect(noState.standardError.contains("learn needs --state DIR"))

        let history = scratch.child("history.jsonl")
        let later = scratch.child("later.jsonl")
        var laterEvents = Streams.steady(buckets: 12..<14)
        laterEvents.append(Streams.connect("implant", at: Streams.start + 14 * Streams.bucket, port: 4444))
        #expect(FileManager.default.createFile(atPath: history, contents: Data(Streams.file(Streams.steady(buckets: 0..<12)).utf8)))
        #expect(FileManager.default.createFile(atPath: later, contents: Data(Streams.file(laterEvents).utf8)))

        let state = scratch.child("state")
        let learned = try Self.rarenet(["learn", "--events", history, "--state", state] + Self.small)
        #expect(learned.status == 0)
        #expect(learned.standardOutput.isEmpty)
        #expect(learned.standardError.contains("saved the baseline to \(state)/baseline.snapshot"))
        #expect(try scratch.mode(of: state + "/baseline.snapshot") == 0o600)

        // On top of the learned baseline, the later file alerts on the implant only.
        let replayed = try Self.rarenet(["replay", "--events", later, "--state", state] + Self.small)
        #expect(replayed.status == 0)
        #expect(replayed.standardError.contains("loaded the baseline of \(state)/baseline.snapshot (11 completed buckets)"))
        let alerts = replayed.standardOutput.split(separator: "\n")
        #expect(alerts.count == 2)
        #expect(alerts.allSatisfy { $0.contains(#""executable":"/usr/bin/implant""#) })
        // Without the learned history, the later file is still learning: no alerts.
        let fresh = try Self.rarenet(["replay", "--events", later] + Self.small)
        #expect(fresh.status == 0 && fresh.standardOutput.isEmpty)

        let mismatch = try Self.rarenet(["replay", "--events", events, "--state", state])
        #expect(mismatch.status != 0)
        #expect(mismatch.standardError.contains("sketch width 1024, but this scorer uses 65536"))

        let fleet = scratch.child("fleet")
        let merged = try Self.rarenet(["merge", "--output", fleet, state, state + "/baseline.snapshot"])
        #expect(merged.status == 0)
        #expect(merged.standardError.contains("merged 2 baselines"))
        #expect(try SnapshotStore(directory: fleet, createIfMissing: false).load() != nil)
    }
}
