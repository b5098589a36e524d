import Foundation
import RarenetTestSupport
import Testing

extension SensorTests {
    /// A burst far beyond what the ring buffer holds.
    @Suite("Overload")
    struct Overload {
        /// The smallest ring the sensor accepts: one page, a few dozen records.
        static let ringBufferSize = "4096"
        static let burstBinds = 20_000
        /// How much the sensor's resident memory may grow over the burst: its
        /// queues and tables are bounded, so a burst leaves it about flat.
        static let residentGrowthBoundKilobytes = 16 * 1024

        @Test(
            "a burst that overflows a one-page ring: the kernel's drops show on /metrics, the sensor stays up with flat memory, then alerts again",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(2)))
        func burstOverflowsRing() throws {
            try SensorTests.requireRootAndExecutable()
            let traffic = try SteadyTraffic()
            let directory = try TemporaryDirectory()
            let sensor = try SensorProcess(in: directory, [
                "--ring-buffer-size", Self.ringBufferSize, "--bucket-span", "1s", "--learning-period", "2s",
            ])
            try sensor.waitUntilRunning()
            try sensor.waitUntilBaselineExceeds(buckets: 2)
            let process = ProcessInspection(pid: sensor.pid)
            let residentBefore = try #require(try process.status().residentKilobytes)

            // Binds are the cheapest events to make: a socket, a bind to port 0, a close.
            for _ in 0..<Self.burstBinds {
                _ = try TestSocket.bound(type: SOCK_DGRAM, to: .ipv4Loopback)
            }
            let drops = try sensor.waitForMetric("rarenet_kernel_dropped_records_total", ["kind": "network"]) { $0 > 0 }
            try #require(drops != nil, "no kernel drops after \(Self.burstBinds) binds; log:\n\(sensor.log())")
            #expect(sensor.isRunning)
            #expect(try LoopbackHTTP.request(port: #require(sensor.metricsPort), path: "/healthz").status == 200)
            let residentAfter = try #require(try process.status().residentKilobytes)
            print("rarenet overload: \(Self.burstBinds) binds, \(Int(drops ?? 0)) network records dropped, VmRSS \(residentBefore) kB -> \(residentAfter) kB")
            #expect(residentAfter - residentBefore < Self.residentGrowthBoundKilobytes)

            // Scoring resumes. The ring is a page, so the machine's own
            // activity (builds, other tests) may still overflow it: a few new
            // binaries are tried, and one alert shows scoring goes on.
            var alerted = false
            for attempt in 1...5 where !alerted {
                let newcomer = try directory.copyExecutable("/usr/bin/bash", as: "rarenet-after-burst-\(attempt)")
                let pid = try traffic.connectOnce(with: newcomer)
                alerted = try sensor.waitForAlert(within: .seconds(2)) { $0.pid == pid } != nil
            }
            #expect(alerted, "no new binary was alerted after the burst; log:\n\(sensor.log())")
            #expect(try sensor.stop() == .exited(0))
        }
    }
}
