import Foundation
import RarenetTestSupport
import Testing

extension SensorTests {
    /// Learning, alerting and the baseline's persistence, live.
    @Suite("End to end")
    struct EndToEnd {
        /// 1 s buckets and a 3 s learning period: the baseline is ready in seconds.
        static let fastBaseline = ["--bucket-span", "1s", "--learning-period", "3s"]
        static let learningBuckets = 3

        @Test(
            "after learning, a binary at a new path that connects out gives one alert within a second; the steady clients none",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(2)))
        func newBinaryIsAlerted() throws {
            try SensorTests.requireRootAndExecutable()
            let traffic = try SteadyTraffic()
            let directory = try TemporaryDirectory()
            let sensor = try SensorProcess(in: directory, Self.fastBaseline)
            try sensor.waitUntilRunning()
            try sensor.waitUntilBaselineExceeds(buckets: Self.learningBuckets)

            let newcomer = try directory.copyExecutable("/usr/bin/bash", as: "rarenet-newcomer")
            let started = ContinuousClock.now
            let pid = try traffic.connectOnce(with: newcomer)
            // The issue asks for the alert within 1 s of the connect: the
            // deadline runs from before the process was even spawned.
            let alert = try sensor.waitForAlert(within: .seconds(1) - started.duration(to: .now)) { $0.pid == pid }
            try #require(alert != nil, "no alert for pid \(pid) within 1 s; the sensor's log:\n\(sensor.log())")
            let latency = started.duration(to: .now)
            print("rarenet e2e: alert for a new binary \(latency) after its spawn")

            #expect(alert?.string("process.executable") == resolvedPath(newcomer))
            #expect(alert?.number("process.parent.pid") == Double(getpid()))
            #expect(alert?["process.args"] as? [String] == [newcomer, "-c", ": 3<>/dev/tcp/\(traffic.serverAddress)/\(traffic.server.port)"])
            #expect(alert?.string("event.action") == "connection_attempted")
            #expect(alert?.string("destination.ip") == traffic.serverAddress)
            #expect(alert?.number("destination.port") == Double(traffic.server.port))
            #expect(alert?.string("rarenet.detector") == "rare_process")
            #expect(try #require(alert?.number("rarenet.score")) >= 50)

            // A second newcomer is a barrier: once its alert is written, every
            // event before it has been scored.
            let barrier = try directory.copyExecutable("/usr/bin/bash", as: "rarenet-barrier")
            let barrierPID = try traffic.connectOnce(with: barrier)
            #expect(try sensor.waitForAlert(within: .seconds(5)) { $0.pid == barrierPID } != nil)
            let alerts = try sensor.alerts()
            #expect(alerts.filter { $0.pid == pid }.count == 1, "exactly one alert for the new binary")
            for client in traffic.clientPIDs {
                #expect(!alerts.contains { $0.pid == client }, "steady client \(client) was alerted")
            }
            try expectNoPerProcessLabels(
                in: sensor.metrics(),
                values: [pid, barrierPID, getpid()].map(String.init) + traffic.clientPIDs.map(String.init)
                    + [resolvedPath(newcomer), resolvedPath(barrier), traffic.serverAddress, traffic.hostAddress,
                       String(traffic.server.port)])
            #expect(try sensor.stop() == .exited(0))
        }

        @Test(
            "SIGTERM exits 0 with a 0600 snapshot; a restart on the same state still knows the binary seen before",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(2)))
        func restartKeepsBaseline() throws {
            try SensorTests.requireRootAndExecutable()
            let traffic = try SteadyTraffic()
            let directory = try TemporaryDirectory()
            let onceSeen = try directory.copyExecutable("/usr/bin/bash", as: "rarenet-once-seen")

            // First run: the binary is new, so it is alerted with score 100.
            let first = try SensorProcess(in: directory, Self.fastBaseline)
            try first.waitUntilRunning()
            try first.waitUntilBaselineExceeds(buckets: Self.learningBuckets)
            let firstPID = try traffic.connectOnce(with: onceSeen)
            let firstAlert = try #require(try first.waitForAlert(within: .seconds(5)) { $0.pid == firstPID })
            #expect(firstAlert.number("rarenet.score") == 100)
            let firstBaseline = try #require(firstAlert.number("rarenet.baseline_buckets"))
            // Its presence counts once its bucket is complete: the final
            // snapshot advances the clock to the shutdown time, so stop only
            // after the bucket of its connect (1 s) has ended.
            let connectTime = try #require(Self.date(firstAlert.string("@timestamp")))
            #expect(Polling.until(within: .seconds(5)) { Date().timeIntervalSince(connectTime) > 1.5 })

            #expect(try first.stop() == .exited(0))
            let snapshot = first.stateDirectory + "/baseline.snapshot"
            #expect(fileMode(snapshot) == 0o600)
            #expect(fileMode(first.alertFile) == 0o600)
            for file in try FileManager.default.contentsOfDirectory(atPath: first.stateDirectory) {
                #expect(fileMode(first.stateDirectory + "/" + file) == 0o600, "\(file) in the state directory")
            }

            // Second run, threshold 90. The once-seen binary has a count of 1
            // over B completed buckets: q = (1 + 0.5)/(B + 1) against
            // q_new = 0.5/(B + 1) for a never-seen key, so its score is
            // 100 · ln q / ln q_new = 100 · (ln(B+1) − ln 1.5)/(ln(B+1) + ln 2):
            // 52 at B = 4, 64 at B = 10, 79 at B = 100, and below 90 for any
            // B under 29 000 buckets (8 hours of 1 s buckets). A never-seen
            // binary scores 100. So with threshold 90 the old binary gives no
            // alert and a control new binary gives one, whatever B the test
            // reaches; had the baseline been lost, both would score 100.
            let second = try SensorProcess(in: directory, Self.fastBaseline + ["--threshold", "90"])
            try second.waitUntilRunning()
            #expect(second.log().contains("restored the baseline"))
            let againPID = try traffic.connectOnce(with: onceSeen)
            let control = try directory.copyExecutable("/usr/bin/bash", as: "rarenet-never-seen")
            let controlPID = try traffic.connectOnce(with: control)
            let controlAlert = try #require(
                try second.waitForAlert(within: .seconds(5)) { $0.pid == controlPID },
                "no alert for the control binary; the sensor's log:\n\(second.log())")
            #expect(controlAlert.number("rarenet.score") == 100)
            #expect(controlAlert.string("process.executable") == resolvedPath(control))
            // The restored history, not a fresh one: more buckets than at the first alert.
            #expect(try #require(controlAlert.number("rarenet.baseline_buckets")) > firstBaseline)
            // The control was scored after the old binary (ring order): no alert for it came.
            #expect(!(try second.alerts()).contains { $0.pid == againPID }, "the once-seen binary looked new again")
            #expect(try second.stop() == .exited(0))
        }

        private static func date(_ timestamp: String?) -> Date? {
            // RFC 3339 with nanoseconds; second precision is enough here.
            guard let timestamp, timestamp.count >= 19 else { return nil }
            let formatter = ISO8601DateFormatter()
            return formatter.date(from: String(timestamp.prefix(19)) + "Z")
        }
    }
}

/// The permission bits of `path`, or nil when it cannot be stat'ed.
func fileMode(_ path: String) -> mode_t? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return status.st_mode & 0o7777
}

/// Records an issue for every label value of `exposition` that is one of
/// `values` (pids, paths, addresses, ports the test used): labels must take
/// their values from closed sets, never from processes or addresses.
func expectNoPerProcessLabels(in exposition: Exposition, values: [String]) {
    let forbidden = Set(values)
    for sample in exposition.samples {
        for (label, value) in sample.labels where forbidden.contains(value) {
            Issue.record("\(sample.name) has label \(label)=\"\(value)\", a per-process or per-address value")
        }
    }
    #expect(!exposition.samples.isEmpty)
}
