import Foundation
import RarenetBaseline
import RarenetEvents
import RarenetScoring
import RarenetTestSupport
import Testing

/// An attacker who floods the sensor with distinct keys, to fill the sketch
/// until their real binary looks seen or to exhaust the alert cap before it
/// runs (issue 6, "Saturation"), at the scorer's default sizes.
@Suite struct SaturationTests {
    /// The scorer's defaults (sketch, threshold, alert cap) with a learning
    /// period of 20 buckets, Elastic's minimum, instead of 96 to keep the test short.
    static var configuration: ScoringConfiguration {
        var configuration = ScoringConfiguration()
        configuration.learningPeriod = .seconds(20 * 15 * 60)
        return configuration
    }

    /// The learning period's ordinary traffic: 8 services in every 15-minute bucket.
    static let ordinaryTraffic = Streams.steady(services: 8, buckets: 0..<20)

    /// After a flood of 10⁴ distinct executables and ports, a binary planted
    /// in the next bucket is still alerted at the default sketch size; the
    /// flood fills the sketch measurably, and once the cap of 100 alerts per
    /// window is reached a notice says that alerts are being suppressed.
    @Test func aBinaryPlantedAfterATenThousandKeyFloodIsStillReported() throws {
        var run = try ReplayRun(configuration: Self.configuration)
        try run.score(Self.ordinaryTraffic)
        #expect(run.lines.isEmpty)
        let before = try #require(run.replay.scorer.health(of: .rareProcess))

        let flood = Flood.events(keys: 0..<10_000, bucket: 20)
        try run.score(flood)
        let floodLines = try run.objects
        for detector in ["rare_process", "rare_port"] {
            let lines = floodLines.filter { $0[path: "rarenet.detector"] as? String == detector }
            #expect(lines.filter { $0[path: "event.action"] as? String == "connection_attempted" }.count == 100, "\(detector)")
            let notices = lines.filter { $0[path: "event.action"] as? String == "alert_cap_suppressing" }
            #expect(notices.count == 1, "\(detector): one cap notice in the window")
            #expect(lines.firstIndex { $0[path: "event.action"] as? String == "alert_cap_suppressing" } == 100,
                    "\(detector): the notice comes with the first suppressed alert")
        }

        let planted = Streams.connect("implant", at: Streams.start + 21 * Streams.bucket)
        run.lines.removeAll()
        try run.score([planted])
        let after = try #require(run.replay.scorer.health(of: .rareProcess))
        let alert = try #require(try run.objects.first { $0[path: "rarenet.detector"] as? String == "rare_process" })
        #expect(alert[path: "process.executable"] as? String == "/usr/bin/implant")
        let score = try #require(alert[path: "rarenet.score"] as? Double)
        #expect(score >= 50)

        // 10⁴ keys in 65 536 counters per row fill about 1 − e^(−10⁴/65 536) ≈ 14 % of each row.
        #expect(after.fillRatio > before.fillRatio + 0.12 && after.fillRatio < 0.17, "fill \(before.fillRatio) -> \(after.fillRatio)")
        #expect(!after.isSaturated)
        print("rarenet saturation: 10000 flooded keys at the default sketch: fill \(before.fillRatio) -> \(after.fillRatio), "
            + "never-seen looks seen with p = \(after.neverSeenLooksSeenProbability); planted binary scored \(score)")
    }

    /// A flood big enough to saturate the default sketch (48 000 executables
    /// over three buckets) is announced once with a "baseline saturated"
    /// notice before anything that follows it, and the cap notice comes in
    /// every window the flood fills; a binary planted afterwards is still reported.
    @Test func aFloodThatSaturatesTheDefaultSketchIsAnnounced() throws {
        var run = try ReplayRun(configuration: Self.configuration)
        try run.score(Self.ordinaryTraffic)
        for bucket in Int64(20)..<23 {
            let first = Int(bucket - 20) * 16_000
            try run.score(Flood.events(keys: first..<first + 16_000, bucket: bucket))
        }
        // Ordinary traffic goes on; the sketch's health is checked as buckets complete.
        try run.score(Streams.steady(services: 8, buckets: 23..<28))
        try run.score([Streams.connect("implant", at: Streams.start + 28 * Streams.bucket)])

        let objects = try run.objects
        let saturated = objects.indices.filter { objects[$0][path: "event.action"] as? String == "baseline_saturated" }
        let processNotices = saturated.filter { objects[$0][path: "rarenet.detector"] as? String == "rare_process" }
        #expect(processNotices.count == 1, "one notice, not one per check")
        let notice = try #require(processNotices.first.map { objects[$0] })
        #expect(notice[path: "rule.name"] as? String == "rarenet: baseline saturated")
        let fill = try #require(notice[path: "rarenet.fill_ratio"] as? Double)
        #expect(fill > 0.47)
        let health = try #require(run.replay.scorer.health(of: .rareProcess))
        #expect(health.isSaturated)

        let planted = try #require(objects.lastIndex { $0[path: "process.executable"] as? String == "/usr/bin/implant" })
        #expect(processNotices[0] < planted, "the notice comes before what follows the flood")
        #expect(try #require(objects[planted][path: "rarenet.score"] as? Double) >= 50)

        let capNotices = objects.filter { $0[path: "event.action"] as? String == "alert_cap_suppressing" }
        #expect(capNotices.count == 6, "one per detector in each of the three flooded windows")
        print("rarenet saturation: 48000 flooded keys at the default sketch: notice at fill \(fill), "
            + "never-seen looks seen with p = \(health.neverSeenLooksSeenProbability)")
    }

    /// 5 · 10⁴ distinct executables and ports through `rarenet replay`, with
    /// alerting on from the start: its resident memory after the flood is
    /// within a few MiB of what it was after the first bucket of it. The one
    /// structure that grows is the replay summary's set of distinct keys (at
    /// most 2²⁰ per detector, 8 bytes a key in a table at most ¾ full).
    @Test(.timeLimit(.minutes(2)))
    func aFiftyThousandKeyFloodLeavesReplayMemoryFlat() throws {
        let figures = try MemoryFlood(keys: 50_000).run()
        #expect(figures.afterFlood - figures.afterWarmUp < 8 << 10, "\(figures)")
        #expect(figures.afterFlood < 256 << 10, "\(figures)")
        print("rarenet saturation: \(figures)")
    }
}

extension SaturationTests {
    /// The slow version of the memory test, for `make soak` (SOAK.md).
    @Suite struct Soak {
        /// The soak version: 10⁶ keys (a few minutes in a debug build). The bound
        /// covers the summary's whole table (2²¹ slots of 8 bytes for 10⁶ keys)
        /// and one rehash of it.
        @Test(.enabled(if: SoakGate.isEnabled, SoakGate.skipMessage), .timeLimit(.minutes(20)))
        func aMillionKeyFloodLeavesReplayMemoryFlat() throws {
            let figures = try MemoryFlood(keys: 1_000_000).run()
            #expect(figures.afterFlood - figures.afterWarmUp < 48 << 10, "\(figures)")
            #expect(figures.afterFlood < 256 << 10, "\(figures)")
            print("rarenet saturation (soak): \(figures)")
        }
    }
}

/// The slow tests that run only in `make soak` (`RARENET_SOAK=1`); see SOAK.md.
enum SoakGate {
    static var isEnabled: Bool { ProcessInfo.processInfo.environment["RARENET_SOAK"] == "1" }
    static let skipMessage: Comment = "a soak test: run with RARENET_SOAK=1 (make soak)"
}

/// The attacker's connects: each key a distinct executable path and a
/// pseudo-random destination port, as a fixed function of its index.
enum Flood {
    /// The connects of `keys`, one a millisecond from the start of `bucket`.
    static func events(keys: Range<Int>, bucket: Int64) -> [NetworkEvent] {
        keys.map { index in event(index, at: Streams.start + bucket * Streams.bucket + Int64(index - keys.lowerBound) * 1_000_000) }
    }

    static func event(_ index: Int, at time: Int64) -> NetworkEvent {
        // An odd multiplier is a bijection on 64 bits: distinct indexes give distinct names.
        let scrambled = UInt64(index) &* 0x9E37_79B9_7F4A_7C15
        var event = Streams.connect("f", at: time, port: UInt16(1024 + (scrambled >> 40) % 64_512))
        event.executable = "/tmp/.cache/" + String(scrambled, radix: 16)
        event.pid = UInt32(10_000 + index % 20_000)
        return event
    }
}

/// `rarenet replay` reading a flood from a pipe, alerting from the start:
/// `keys` distinct keys at 25 000 per 15-minute bucket, with its resident
/// memory read from /proc once the first bucket and once all of them have
/// been written to it.
struct MemoryFlood: CustomStringConvertible {
    let keys: Int
    static let keysPerBucket = 25_000
    /// Resident set size, in KiB, after the first bucket of the flood, and after all of it.
    private(set) var afterWarmUp = 0
    private(set) var afterFlood = 0

    init(keys: Int) {
        self.keys = keys
    }

    func run() throws -> MemoryFlood {
        try #require(SensorProcess.isBuilt, "build the rarenet binary first (swift build)")
        let scratch = try ScratchDirectory()
        let process = Process()
        let input = Pipe()
        process.executableURL = URL(fileURLWithPath: SensorProcess.executablePath)
        process.arguments = ["replay", "--events", "-", "--learning-period", "0s"]
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        let errorPath = scratch.child("stderr")
        #expect(FileManager.default.createFile(atPath: errorPath, contents: nil))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        var figures = self
        let inspection = ProcessInspection(pid: process.processIdentifier)
        for bucket in 0..<(keys + Self.keysPerBucket - 1) / Self.keysPerBucket {
            let first = bucket * Self.keysPerBucket
            let events = Flood.events(keys: first..<min(first + Self.keysPerBucket, keys), bucket: Int64(bucket))
            input.fileHandleForWriting.write(Data(Streams.file(events).utf8))
            // A write returns once the pipe holds the rest: replay has read all but 64 KiB of it.
            if bucket == 0 { figures.afterWarmUp = try #require(try inspection.status().residentKilobytes) }
        }
        figures.afterFlood = try #require(try inspection.status().residentKilobytes)
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let summary = try String(contentsOfFile: errorPath, encoding: .utf8)
        #expect(process.terminationStatus == 0, "\(summary)")
        #expect(summary.contains("rare_process: keys: \(keys), alerts: "), "\(summary)")
        return figures
    }

    var description: String {
        "\(keys) flooded keys through rarenet replay: VmRSS \(afterWarmUp) KiB after \(Self.keysPerBucket) keys, "
            + "\(afterFlood) KiB after \(keys) (+\(afterFlood - afterWarmUp) KiB)"
    }
}
