import Foundation
import RarenetTestSupport
import Testing

extension SensorTests {
    /// SIGHUP reopens the alert file, as log rotation expects.
    @Suite("Alert file rotation")
    struct LogRotation {
        @Test(
            "after the alert file is moved away and SIGHUP is sent, alerts go to a new 0600 file at the same path",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(2)))
        func sighupReopensTheAlertFile() throws {
            try SensorTests.requireRootAndExecutable()
            let traffic = try SteadyTraffic()
            let directory = try TemporaryDirectory()
            let sensor = try SensorProcess(in: directory, EndToEnd.fastBaseline)
            try sensor.waitUntilRunning()
            try sensor.waitUntilBaselineExceeds(buckets: EndToEnd.learningBuckets)

            let before = try traffic.connectOnce(with: directory.copyExecutable("/usr/bin/bash", as: "rarenet-before-rotation"))
            #expect(try sensor.waitForAlert(within: .seconds(5)) { $0.pid == before } != nil)

            // Rotate: move the file away, then tell the sensor.
            let rotated = sensor.alertFile + ".1"
            try FileManager.default.moveItem(atPath: sensor.alertFile, toPath: rotated)
            #expect(kill(sensor.pid, SIGHUP) == 0)
            #expect(Polling.until(within: .seconds(10)) { FileManager.default.fileExists(atPath: sensor.alertFile) },
                    "the sensor did not reopen the alert file; its log:\n\(sensor.log())")

            let after = try traffic.connectOnce(with: directory.copyExecutable("/usr/bin/bash", as: "rarenet-after-rotation"))
            #expect(try sensor.waitForAlert(within: .seconds(5)) { $0.pid == after } != nil)
            let mode = try #require(FileManager.default.attributesOfItem(atPath: sensor.alertFile)[.posixPermissions] as? Int)
            #expect(mode == 0o600)

            // The old file kept what was written before the rotation, and only that.
            let old = try String(contentsOfFile: rotated, encoding: .utf8).split(separator: "\n").map { try SensorAlert(line: String($0)) }
            #expect(old.contains { $0.pid == before })
            #expect(!old.contains { $0.pid == after })
            #expect(!(try sensor.alerts()).contains { $0.pid == before })
            #expect(try sensor.stop() == .exited(0))
        }
    }
}
