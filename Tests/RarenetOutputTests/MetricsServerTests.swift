import Logging
import RarenetMetrics
import RarenetTestSupport
import ServiceLifecycle
import Testing

extension Logger {
    /// A logger that drops everything, to keep test output readable.
    static let silent = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
}

@Suite("MetricsServer")
struct MetricsServerTests {
    /// Binds a server on an ephemeral loopback port, runs it while `body` runs, then cancels it.
    static func withServer(
        limits: MetricsServer.Limits = MetricsServer.Limits(),
        metrics: SensorMetrics = SensorMetrics(version: "test", detectors: ["rare_process", "rare_port"]),
        _ body: (_ port: Int, _ metrics: SensorMetrics) async throws -> Void
    ) async throws {
        let server = try await MetricsServer.bind(
            host: "127.0.0.1", port: 0, limits: limits, logger: Logger.silent
        ) { metrics.exposition() }
        let running = Task { try await server.run() }
        do {
            try await body(server.port, metrics)
        } catch {
            running.cancel()
            try await running.value
            throw error
        }
        running.cancel()
        try await running.value
    }

    @Test("GET /metrics serves the exposition, and promtool accepts it",
          .enabled(if: ExternalTool.promtool.testsShouldRun, "needs /usr/bin/promtool (Debian prometheus)"))
    func metricsPassPromtool() async throws {
        try ExternalTool.promtool.require()
        try await Self.withServer { port, metrics in
            metrics.recordEvents(42, action: .connect, attachMode: .tracepoint)
            metrics.recordBatch(records: 42, scoringDuration: .microseconds(80))
            metrics.recordAttach(mode: .tracepoint, fellBack: true)
            metrics.detector("rare_port").setSketchFillRatio(0.5)
            let response = try LoopbackHTTP.request(port: port, path: "/metrics")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            let exposition = Exposition(response.body)
            #expect(exposition.value("rarenet_events_total", ["action": "connect", "attach_mode": "tracepoint"]) == 42)

            let check = try ExternalTool.promtool.run(["check", "metrics"], input: Array(response.body.utf8))
            #expect(check.status == 0, "promtool check metrics: \(check.output)")
        }
    }

    @Test("GET /healthz answers ok; a query string is ignored")
    func healthz() async throws {
        try await Self.withServer { port, _ in
            let response = try LoopbackHTTP.request(port: port, path: "/healthz")
            #expect(response.status == 200)
            #expect(response.body == "ok\n")
            #expect(try LoopbackHTTP.request(port: port, path: "/metrics?name=x").status == 200)
        }
    }

    @Test("an unknown path is 404, a method other than GET is 405 with Allow: GET")
    func notFoundAndMethodNotAllowed() async throws {
        try await Self.withServer { port, _ in
            #expect(try LoopbackHTTP.request(port: port, path: "/").status == 404)
            #expect(try LoopbackHTTP.request(port: port, path: "/metricsx").status == 404)
            for method in ["POST", "PUT", "DELETE", "HEAD"] {
                let response = try LoopbackHTTP.request(method, port: port, path: "/metrics")
                #expect(response.status == 405, "\(method)")
                #expect(response.headers["allow"] == "GET")
            }
        }
    }

    @Test("a request body over the limit gets 413, a header section over the limit gets 400")
    func requestSizeIsBounded() async throws {
        let limits = MetricsServer.Limits(maximumHeaderBytes: 1024, maximumBodyBytes: 100)
        try await Self.withServer(limits: limits) { port, _ in
            let bigBody = String(repeating: "x", count: 1000)
            let tooLarge = try LoopbackHTTP.request("GET", port: port, path: "/metrics", body: bigBody)
            #expect(tooLarge.status == 413)
            let bigHeader = "X-Padding: " + String(repeating: "y", count: 4000)
            let badRequest = try LoopbackHTTP.request(port: port, path: "/metrics", extraHeaders: [bigHeader])
            #expect(badRequest.status == 400)
            // The server is still fine.
            let healthy = try LoopbackHTTP.request(port: port, path: "/healthz")
            #expect(healthy.status == 200)
        }
    }

    @Test("an idle connection is closed after the idle timeout")
    func idleConnectionIsClosed() async throws {
        try await Self.withServer(limits: MetricsServer.Limits(idleTimeout: .milliseconds(200))) { port, _ in
            let connection = try LoopbackHTTP.Connection(port: port)
            // Nothing is sent; the server must hang up on its own (the read would time out after 10 s).
            #expect(try connection.readUntilClosed().isEmpty)
        }
    }

    @Test("connections beyond the limit are closed on accept")
    func connectionsAreBounded() async throws {
        try await Self.withServer(limits: MetricsServer.Limits(maximumConnections: 1)) { port, _ in
            let first = try LoopbackHTTP.Connection(port: port)
            first.send(Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(try first.read(endingWith: "ok\n").hasSuffix("ok\n"))  // admitted, kept alive
            let second = try LoopbackHTTP.Connection(port: port)
            second.send(Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(try second.readUntilClosed().isEmpty)
        }
    }

    @Test("a port in use is a clear error naming the address")
    func portInUse() async throws {
        try await Self.withServer { port, _ in
            let error = await #expect(throws: MetricsServerError.self) {
                _ = try await MetricsServer.bind(host: "127.0.0.1", port: port, logger: Logger.silent) { [] }
            }
            #expect(error == .addressInUse(host: "127.0.0.1", port: port))
            #expect(error?.description.contains("127.0.0.1:\(port) is already in use") == true)
        }
    }

    @Test("graceful shutdown through a ServiceGroup closes kept-alive connections and stops listening")
    func gracefulShutdown() async throws {
        let metrics = SensorMetrics(version: "test", detectors: [])
        // An address of its own: once freed, the port may go to another test's
        // listener on 127.0.0.1, which would make "stops listening" look false.
        let host: UInt8 = 77
        let server = try await MetricsServer.bind(host: "127.0.0.\(host)", port: 0, logger: Logger.silent) {
            metrics.exposition()
        }
        let port = server.port
        let group = ServiceGroup(services: [server], logger: Logger.silent)
        let running = Task { try await group.run() }

        let kept = try LoopbackHTTP.Connection(port: port, host: host)
        kept.send(Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(try kept.read(endingWith: "ok\n").hasSuffix("ok\n"))

        await group.triggerGracefulShutdown()
        try await running.value
        #expect(try kept.readUntilClosed().isEmpty)
        #expect(throws: LoopbackHTTP.Failure.self) { try LoopbackHTTP.Connection(port: port, host: host) }
    }
}
