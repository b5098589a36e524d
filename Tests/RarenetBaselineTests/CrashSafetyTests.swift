import Foundation
import RarenetBaseline
import RarenetTestSupport
import Testing

/// The baseline survives the process that writes it (issue 6, "Crash safety"):
/// `kill -9` in the middle of a snapshot write, and a disk too full for the
/// next snapshot, both leave the previous snapshot whole and loadable.
@Suite struct CrashSafetyTests {
    /// The scoring flags of every run: one detector with the default sketch
    /// (a 2 MiB snapshot, written in milliseconds) and a fixed seed.
    static let scoring = ["--detector", "rare_process", "--sketch-width", "65536", "--sketch-depth", "4", "--sketch-seed", "42"]

    /// `rarenet learn` killed with SIGKILL while it saves, over the same
    /// state, at each ``KillPoint`` twice: when `baseline.snapshot.tmp` is
    /// created, once it holds some bytes, and once its write returned. Run
    /// `k` learns bucket `k`, so a baseline saved by run `k` has `k` completed
    /// buckets. Whenever the kill lands before the rename, the snapshot is
    /// unchanged byte for byte; every run loads the baseline of the last run
    /// whose save completed; and a run that completes removes the leftover
    /// temporary file.
    @Test(.timeLimit(.minutes(3)))
    func killDuringASnapshotWriteLeavesThePreviousBaseline() throws {
        try #require(SensorProcess.isBuilt, "build the rarenet binary first (swift build)")
        let scratch = try ScratchDirectory()
        let state = scratch.child("state")
        let snapshot = state + "/" + SnapshotStore.snapshotFileName
        let temporary = state + "/" + SnapshotStore.temporaryFileName
        let first = try LearnRun(scratch: scratch, state: state, bucket: 0)
        #expect(first.waitForExit() == 0, "\(first.standardError)")
        var lastSavedBucket: Int64 = 0
        var interrupted: [String] = []

        let killPoints = KillPoint.allCases + KillPoint.allCases
        for (index, killPoint) in killPoints.enumerated() {
            let bucket = Int64(index + 1)
            let before = try Data(contentsOf: URL(fileURLWithPath: snapshot))
            let watch = try TemporaryFileWatch(directory: state, name: SnapshotStore.temporaryFileName)
            let run = try LearnRun(scratch: scratch, state: state, bucket: bucket)
            let reached = watch.wait(for: killPoint, within: .seconds(60)) { run.isRunning }
            kill(run.pid, SIGKILL)
            try #require(reached, "run \(bucket) never reached \(killPoint): \(run.standardError)")
            // A late kill finds the run finished: then its save completed, which the checks below allow.
            let status = run.waitForExit()
            #expect(status == nil || status == 0, "run \(bucket) failed: \(run.standardError)")
            #expect(run.loadedBuckets == lastSavedBucket, "run \(bucket) did not load the last saved baseline: \(run.standardError)")

            let after = try Data(contentsOf: URL(fileURLWithPath: snapshot))
            if FileManager.default.fileExists(atPath: temporary) {
                #expect(after == before, "run \(bucket): the snapshot changed although its save was interrupted")
                let size = try #require(FileManager.default.attributesOfItem(atPath: temporary)[.size] as? Int)
                interrupted.append("\(killPoint): \(size) of \(before.count) bytes")
            } else {
                #expect(after != before, "run \(bucket): the save completed but the snapshot is the old one")
                lastSavedBucket = bucket
            }
        }
        print("rarenet crash safety: kill -9 interrupted \(interrupted.count) of \(killPoints.count) snapshot writes "
            + "(temporary file at the kill: \(interrupted.joined(separator: "; ")))")
        #expect(!interrupted.isEmpty, "no kill landed before the rename: the snapshot write was never interrupted")

        let last = try LearnRun(scratch: scratch, state: state, bucket: Int64(killPoints.count + 1))
        #expect(last.waitForExit() == 0, "\(last.standardError)")
        #expect(last.loadedBuckets == lastSavedBucket, "\(last.standardError)")
        #expect(try scratch.entries(state) == [SnapshotStore.snapshotFileName], "the leftover temporary file was not removed")
        #expect(try scratch.mode(of: snapshot) == 0o600)
    }

    /// The running sensor with its state on a tmpfs that holds the old
    /// snapshot but not a second one: every periodic save fails with a
    /// logged error and `rarenet_snapshot_failures_total`, the sensor keeps
    /// running and stops cleanly, and the old snapshot stays as it was.
    @Test(.enabled(if: Privileges.testsShouldRun, Privileges.skipMessage), .timeLimit(.minutes(2)))
    func aFullDiskKeepsTheSensorRunningAndTheOldSnapshot() throws {
        try Privileges.requireRoot()
        try #require(SensorProcess.isBuilt, "build the rarenet binary first (swift build)")
        let small = ["--sketch-width", "1024", "--sketch-seed", "42"]
        let scratch = try ScratchDirectory()
        let learned = try LearnRun(scratch: scratch, state: scratch.child("learned"), bucket: 0, scoring: small)
        #expect(learned.waitForExit() == 0, "\(learned.standardError)")
        let old = try Data(contentsOf: URL(fileURLWithPath: scratch.child("learned/baseline.snapshot")))

        let directory = try TemporaryDirectory()
        // Keep the directory until the tmpfs is unmounted (defers run last-declared first).
        defer { withExtendedLifetime(directory) {} }
        let state = try directory.makeDirectory("state")
        // Room for the old snapshot and half of another.
        let size = (old.count * 3 / 2 + 4095) / 4096 * 4096
        guard mount("tmpfs", state, "tmpfs", 0, "size=\(size),mode=0700") == 0 else {
            Issue.record("mounting a tmpfs failed: \(String(cString: strerror(errno)))")
            return
        }
        defer { umount2(state, Int32(MNT_DETACH)) }
        let snapshot = state + "/baseline.snapshot"
        #expect(FileManager.default.createFile(atPath: snapshot, contents: old, attributes: [.posixPermissions: 0o600]))

        let sensor = try SensorProcess(in: directory, small + ["--snapshot-interval", "1s"])
        defer { _ = try? sensor.stop(signal: SIGKILL) }
        try sensor.waitUntilRunning()
        #expect(sensor.log().contains("restored the baseline"), "\(sensor.log())")
        let failures = try sensor.waitForMetric("rarenet_snapshot_failures_total", within: .seconds(20)) { $0 >= 2 }
        try #require(failures != nil, "no failed snapshot was counted; the sensor's log:\n\(sensor.log())")
        #expect(sensor.isRunning)
        #expect(try LoopbackHTTP.request(port: try #require(sensor.metricsPort), path: "/healthz").status == 200)
        #expect(sensor.log().contains("cannot save the baseline; the previous snapshot is kept"), "\(sensor.log())")
        #expect(sensor.log().contains("no space left"), "the error names the cause: \(sensor.log())")
        #expect(try Data(contentsOf: URL(fileURLWithPath: snapshot)) == old)
        #expect(try scratch.entries(state) == ["baseline.snapshot"])

        #expect(try sensor.stop() == .exited(0), "\(sensor.log())")
        #expect(try Data(contentsOf: URL(fileURLWithPath: snapshot)) == old)
        #expect(try scratch.entries(state) == ["baseline.snapshot"])
        print("rarenet crash safety: full tmpfs of \(size) bytes, snapshot of \(old.count) bytes: \(Int(failures ?? 0)) saves failed, the sensor kept running")
    }
}

/// `rarenet learn` over a few services' connects in one 15-minute bucket
/// (`bucket` after the streams' start), running as a child whose standard
/// error goes to a file.
private final class LearnRun {
    private let process = Process()
    private let errorPath: String

    var pid: pid_t { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var standardError: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    init(scratch: ScratchDirectory, state: String, bucket: Int64, scoring: [String] = CrashSafetyTests.scoring) throws {
        let events = scratch.child("events-\(bucket).jsonl")
        errorPath = scratch.child("learn-\(bucket).stderr")
        try Data(Streams.file(Streams.steady(buckets: bucket..<bucket + 1)).utf8).write(to: URL(fileURLWithPath: events))
        #expect(FileManager.default.createFile(atPath: errorPath, contents: nil))
        process.executableURL = URL(fileURLWithPath: SensorProcess.executablePath)
        process.arguments = ["learn", "--events", events, "--state", state] + scoring
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
    }

    /// Waits for the run to end: its exit status, or nil when a signal ended it.
    func waitForExit() -> Int32? {
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : nil
    }

    /// The completed buckets of the baseline the run loaded (zero when there
    /// was none), from its message `loaded the baseline of <path> (N completed buckets)`.
    var loadedBuckets: Int64? {
        let text = standardError
        if text.contains("no baseline in") { return 0 }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("loaded the baseline of ") }),
              let open = line.lastIndex(of: "(") else { return nil }
        return Int64(line[line.index(after: open)...].prefix { $0.isNumber })
    }
}

/// Where in a save the writer is killed.
private enum KillPoint: String, CaseIterable, CustomStringConvertible {
    /// As soon as the temporary file is created, before any byte is written.
    case created
    /// As soon as the temporary file is seen to hold some bytes: during the write, if it is slow enough.
    case partlyWritten = "partly written"
    /// When a write to the temporary file has returned: before its fsync and rename.
    case written

    var description: String { rawValue }
}

/// inotify on a directory, for the steps of writing one file in it.
private final class TemporaryFileWatch {
    private let descriptor: Int32
    private let path: String
    private let name: String

    init(directory: String, name: String) throws {
        self.path = directory + "/" + name
        self.name = name
        descriptor = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard descriptor >= 0 else { throw TestSystemError(operation: "inotify_init1", errno: errno) }
        guard inotify_add_watch(descriptor, directory, UInt32(IN_CREATE | IN_MODIFY)) >= 0 else {
            let code = errno
            close(descriptor)
            throw TestSystemError(operation: "inotify_add_watch \(directory)", errno: code)
        }
    }

    deinit { close(descriptor) }

    /// True as soon as the file reaches `point`; false when `timeout` passes
    /// or `condition` stops holding first.
    func wait(for point: KillPoint, within timeout: Duration, while condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        switch point {
        case .created:
            return waitForEvent(UInt32(IN_CREATE), until: deadline, while: condition)
        case .written:
            return waitForEvent(UInt32(IN_MODIFY), until: deadline, while: condition)
        case .partlyWritten:
            guard waitForEvent(UInt32(IN_CREATE), until: deadline, while: condition) else { return false }
            // Spin on the size: the write is a few milliseconds long.
            var status = stat()
            while ContinuousClock.now < deadline && condition() {
                if stat(path, &status) != 0 || status.st_size > 0 { return true }
            }
            return false
        }
    }

    private func waitForEvent(_ mask: UInt32, until deadline: ContinuousClock.Instant, while condition: () -> Bool) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 10) > 0 {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 && Self.events(in: buffer[..<count]).contains(where: { $0.mask & mask != 0 && $0.name == name }) {
                    return true
                }
            } else if !condition() {
                return false
            }
        }
        return false
    }

    /// The mask and file name of each `inotify_event` record in `bytes`.
    private static func events(in bytes: ArraySlice<UInt8>) -> [(mask: UInt32, name: String)] {
        var events: [(mask: UInt32, name: String)] = []
        var offset = bytes.startIndex
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= bytes.endIndex {
            func field(at position: Int) -> UInt32 {
                bytes[(offset + position)..<(offset + position + 4)].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            }
            let length = Int(field(at: 12))
            let name = bytes[(offset + header)..<min(offset + header + length, bytes.endIndex)]
            events.append((field(at: 4), String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)))
            offset += header + length
        }
        return events
    }
}
