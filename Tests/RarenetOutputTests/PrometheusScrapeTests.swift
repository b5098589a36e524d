import Foundation
import RarenetMetrics
import RarenetTestSupport
import Testing

/// A real Prometheus server scrapes the metrics endpoint and sees a counter rise.
@Suite("Prometheus scrape")
struct PrometheusScrapeTests {
    @Test("a real Prometheus server scrapes /metrics and sees rarenet_events_total rise",
          .enabled(if: ExternalTool.prometheus.testsShouldRun, "needs /usr/bin/prometheus (Debian prometheus)"),
          .timeLimit(.minutes(2)))
    func prometheusSeesCounterRise() async throws {
        try ExternalTool.prometheus.require()
        try await MetricsServerTests.withServer { port, metrics in
            let prometheus = try PrometheusProcess(scraping: port)
            defer { prometheus.stop() }

            try await prometheus.waitUntil(#"up{job="rarenet"}"#, equals: 1)
            let query = #"rarenet_events_total{action="connect",attach_mode="tracepoint"}"#
            metrics.recordEvents(5, action: .connect, attachMode: .tracepoint)
            try await prometheus.waitUntil(query, equals: 5)
            metrics.recordEvents(7, action: .connect, attachMode: .tracepoint)
            try await prometheus.waitUntil(query, equals: 12)
        }
    }
}
