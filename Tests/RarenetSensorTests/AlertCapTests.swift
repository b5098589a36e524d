import RarenetTestSupport
import Testing

extension SensorTests {
    /// The alert cap, live: what the scoring stage does when the scorer holds an alert back.
    @Suite("Alert cap")
    struct AlertCap {
        @Test(
            "when the cap holds alerts back, the sensor counts them, writes one notice per window and keeps running",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(2)))
        func capNoticeIsWrittenOnceAndTheSensorGoesOn() throws {
            try SensorTests.requireRootAndExecutable()
            let traffic = try SteadyTraffic()
            let directory = try TemporaryDirectory()
            let sensor = try SensorProcess(
                in: directory, EndToEnd.fastBaseline + ["--alert-cap", "1", "--alert-cap-window", "1h"])
            try sensor.waitUntilRunning()
            try sensor.waitUntilBaselineExceeds(buckets: EndToEnd.learningBuckets)

            // Three binaries never seen: at most one rare_process alert fits
            // the cap (another process on the machine may take it first), so
            // at least two are held back, the first of them with a notice.
            for name in ["rarenet-capped-1", "rarenet-capped-2", "rarenet-capped-3"] {
                _ = try traffic.connectOnce(with: try directory.copyExecutable("/usr/bin/bash", as: name))
            }
            let held = try sensor.waitForMetric(
                "rarenet_alerts_suppressed_total", ["detector": "rare_process", "reason": "cap"], within: .seconds(10)
            ) { $0 >= 2 }
            #expect(held != nil, "the cap held back fewer than 2 alerts; the sensor's log:\n\(sensor.log())")

            let notices = try sensor.alerts().filter { $0.string("rule.name") == "rarenet: alert cap suppressing" }
            #expect(notices.count(where: { $0.string("rarenet.detector") == "rare_process" }) == 1)
            #expect(try sensor.alerts().count(where: {
                $0.string("rarenet.detector") == "rare_process" && $0.string("rule.name") != "rarenet: alert cap suppressing"
            }) <= 1)
            #expect(try sensor.stop() == .exited(0))
        }
    }
}
