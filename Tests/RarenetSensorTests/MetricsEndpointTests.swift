import Foundation
import RarenetTestSupport
import Testing

extension SensorTests {
    /// The running sensor's `/metrics`, as promtool and Prometheus see it.
    @Suite("Metrics endpoint")
    struct MetricsEndpoint {
        @Test(
            "/metrics passes promtool check metrics, and a real Prometheus sees rarenet_events_total rise with the test's connects",
            .enabled(if: SensorTests.privilegedTestsShouldRun && ExternalTool.prometheus.testsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(2)))
        func prometheusScrapesSensor() async throws {
            try SensorTests.requireRootAndExecutable()
            try ExternalTool.promtool.require()
            try ExternalTool.prometheus.require()
            let directory = try TemporaryDirectory()
            let sensor = try SensorProcess(in: directory)
            try sensor.waitUntilRunning()

            let exposition = try sensor.metricsText()
            let check = try ExternalTool.promtool.run(["check", "metrics"], input: Array(exposition.utf8))
            #expect(check.status == 0, "promtool check metrics:\n\(check.output)")

            let prometheus = try PrometheusProcess(scraping: try #require(sensor.metricsPort))
            defer { prometheus.stop() }
            try await prometheus.waitUntil(#"up{job="rarenet"}"#, equals: 1)
            // Every connect is counted, loopback ones too (they are only
            // excluded from scoring). Other processes can only add to the sum.
            let query = #"sum(rarenet_events_total{action="connect"})"#
            let before = try await prometheus.waitUntil(query, "to exist") { _ in true }
            let connects = 50
            let listener = try AcceptingListener(TestSocket.listening(on: .ipv4Loopback))
            for _ in 0..<connects {
                _ = try TestSocket.connected(to: listener.endpoint)
            }
            try await prometheus.waitUntil(query, ">= \(before + Double(connects))") { $0 >= before + Double(connects) }
            #expect(try sensor.stop() == .exited(0))
        }

        @Test(
            "--attach auto falls back to tracepoints on this kernel, says so in the log, and /metrics shows the mode and the fallback",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(1)))
        func autoAttachFallsBack() throws {
            try SensorTests.requireRootAndExecutable()
            try #require(!KernelSupport.hasKprobes, "this kernel has kprobes: auto would not fall back")
            let directory = try TemporaryDirectory()
            let sensor = try SensorProcess(in: directory, ["--attach", "auto"])
            try sensor.waitUntilRunning()
            let fallback = sensor.log().split(separator: "\n").first { $0.contains("hook fell back") }
            #expect(fallback?.contains("CONFIG_KPROBES") == true, "log:\n\(sensor.log())")
            let metrics = try sensor.metrics()
            #expect(metrics.value("rarenet_build_info", ["version": Self.version(metrics), "attach_mode": "tracepoint"]) == 1)
            #expect(!metrics.samples.contains { $0.name == "rarenet_build_info" && $0.labels["attach_mode"] == "kprobe" })
            #expect(metrics.value("rarenet_attach_fallbacks_total") == 1)
            #expect(try sensor.stop() == .exited(0))
        }

        @Test(
            "the events of a key that finds no room in a bucket's table are counted in rarenet_bucket_table_overflows_total",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(1)))
        func bucketTableOverflowsAreCounted() throws {
            try SensorTests.requireRootAndExecutable()
            // Two steady clients (bash and perl) and a table for one key: the
            // second process's connects find no room.
            let traffic = try SteadyTraffic()
            let directory = try TemporaryDirectory()
            let config = try directory.write("scoring:\n  bucket_key_capacity: 1\n", to: "rarenet.yaml")
            let sensor = try SensorProcess(in: directory, ["--config", config])
            try sensor.waitUntilRunning()
            let overflows = try sensor.waitForMetric(
                "rarenet_bucket_table_overflows_total", ["detector": "rare_process"], within: .seconds(20)
            ) { $0 > 0 }
            #expect(overflows != nil, "no overflow counted with \(traffic.clients.count) clients; the sensor's log:\n\(sensor.log())")
            #expect(try sensor.stop() == .exited(0))
        }

        private static func version(_ metrics: Exposition) -> String {
            metrics.samples.first { $0.name == "rarenet_build_info" }?.labels["version"] ?? ""
        }
    }
}

/// What the running kernel offers to the probes.
enum KernelSupport {
    /// Whether kprobes are available: only then is there a kprobe PMU or a
    /// `kprobe_events` file in tracefs.
    static var hasKprobes: Bool {
        [
            "/sys/bus/event_source/devices/kprobe",
            "/sys/kernel/tracing/kprobe_events", "/sys/kernel/debug/tracing/kprobe_events",
        ].contains {
            FileManager.default.fileExists(atPath: $0)
        }
    }
}
