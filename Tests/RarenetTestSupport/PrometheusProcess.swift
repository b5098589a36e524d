import Foundation
import Testing

/// A Prometheus server on a free loopback port with a temporary configuration and storage.
public final class PrometheusProcess {
    private let process = Process()
    private let directory: URL
    private let log: URL
    /// The port of its web API on 127.0.0.1.
    public let port: Int

    /// Starts a server that scrapes 127.0.0.1:`targetPort` every second as job `rarenet`.
    public init(scraping targetPort: Int) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rarenet-prometheus-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configuration = directory.appendingPathComponent("prometheus.yml")
        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: rarenet
                scrape_interval: 1s
                scrape_timeout: 1s
                static_configs:
                  - targets: ["127.0.0.1:\(targetPort)"]
            """.write(to: configuration, atomically: true, encoding: .utf8)
        port = try LoopbackHTTP.freePort()
        log = directory.appendingPathComponent("prometheus.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: ExternalTool.prometheus.path)
        process.arguments = [
            "--config.file=\(configuration.path)",
            "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(port)",
            "--log.level=warn",
        ]
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
    }

    /// Kills the server and removes its files.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The value of an instant query with one result, or nil when it has none (yet).
    public func query(_ promQL: String) throws -> Double? {
        var components = URLComponents()
        components.path = "/api/v1/query"
        components.queryItems = [URLQueryItem(name: "query", value: promQL)]
        let path = components.percentEncodedQuery.map { "\(components.path)?\($0.replacingOccurrences(of: "+", with: "%2B"))" }!
        let response = try LoopbackHTTP.request(port: port, path: path)
        guard response.status == 200,
              let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
              let data = json["data"] as? [String: Any],
              let result = data["result"] as? [[String: Any]],
              let sample = result.first?["value"] as? [Any],
              let text = sample.last as? String
        else { return nil }
        return Double(text)
    }

    /// Polls the query until it returns `expected`; fails with the server's log after 60 s.
    public func waitUntil(_ promQL: String, equals expected: Double) async throws {
        _ = try await waitUntil(promQL, "== \(expected)") { $0 == expected }
    }

    /// Polls the query until its value satisfies `condition` (described by
    /// `expectation` in the failure); returns that value. Fails with the
    /// server's log after 60 s.
    @discardableResult
    public func waitUntil(
        _ promQL: String, _ expectation: String, _ condition: (Double) -> Bool
    ) async throws -> Double {
        let deadline = ContinuousClock.now + .seconds(60)
        var last: Double?
        while ContinuousClock.now < deadline {
            guard process.isRunning else { break }
            last = try? query(promQL)  // connection refused while Prometheus starts
            if let last, condition(last) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        let serverLog = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        Issue.record("Prometheus never saw \(promQL) \(expectation) (last: \(String(describing: last))); log:\n\(serverLog)")
        throw CancellationError()
    }
}
