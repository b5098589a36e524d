import Foundation
import RarenetMetrics
import RarenetTestSupport
import Testing

/// The files in deploy/: Prometheus rules and scrape config, the Grafana dashboard, the systemd unit.
@Suite("Deploy")
struct DeployTests {
    static let deploy = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy")

    static func text(_ path: String) throws -> String {
        try String(contentsOf: deploy.appendingPathComponent(path), encoding: .utf8)
    }

    /// The metric families the sensor exports.
    static let exportedFamilies: Set<String> = {
        let metrics = SensorMetrics(version: "test", detectors: ["rare_process"])
        metrics.recordAttach(mode: .tracepoint, fellBack: false)
        return Set(Exposition(metrics.exposition()).types.keys)
    }()

    /// The `rarenet_` names a text mentions, histogram series mapped to their family.
    static func metricNames(in text: String) -> Set<String> {
        let regex = /rarenet_[a-z_]+/
        return Set(text.matches(of: regex).map { match in
            var name = String(match.output)
            for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) && !exportedFamilies.contains(name) {
                name.removeLast(suffix.count)
            }
            return name
        })
    }

    @Test("promtool accepts the rules, their unit tests pass, and the scrape config is valid",
          .enabled(if: ExternalTool.promtool.testsShouldRun, "needs /usr/bin/promtool (Debian prometheus)"))
    func prometheusFiles() throws {
        try ExternalTool.promtool.require()
        let prometheus = Self.deploy.appendingPathComponent("prometheus")
        for arguments in [
            ["check", "rules", prometheus.appendingPathComponent("rules.yml").path],
            ["test", "rules", prometheus.appendingPathComponent("rules_test.yml").path],
            ["check", "config", prometheus.appendingPathComponent("scrape.yml").path],
        ] {
            let result = try ExternalTool.promtool.run(arguments)
            #expect(result.status == 0, "promtool \(arguments.joined(separator: " ")): \(result.output)")
        }
    }

    @Test("the rules and the dashboard only use metrics the sensor exports, and the dashboard shows them all")
    func filesUseExportedMetrics() throws {
        let rules = Self.metricNames(in: try Self.text("prometheus/rules.yml"))
        #expect(rules.subtracting(Self.exportedFamilies).isEmpty, "unknown in rules.yml: \(rules.subtracting(Self.exportedFamilies))")

        let dashboard = try Self.text("grafana/rarenet-dashboard.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(dashboard.utf8)) as? [String: Any])
        let panels = try #require(json["panels"] as? [[String: Any]])
        var expressions: [String] = []
        for panel in panels {
            let targets = try #require(panel["targets"] as? [[String: Any]], "\(panel["title"] ?? "?") has no targets")
            expressions += targets.compactMap { $0["expr"] as? String }
        }
        let shown = Self.metricNames(in: expressions.joined(separator: "\n"))
        #expect(shown.subtracting(Self.exportedFamilies).isEmpty, "unknown in the dashboard: \(shown.subtracting(Self.exportedFamilies))")
        #expect(Self.exportedFamilies.subtracting(shown).isEmpty, "not in the dashboard: \(Self.exportedFamilies.subtracting(shown))")

        // No two panels overlap on the 24-column grid.
        var cells: Set<[Int]> = []
        for panel in panels {
            let grid = try #require(panel["gridPos"] as? [String: Int])
            let (x, y, w, h) = (grid["x"]!, grid["y"]!, grid["w"]!, grid["h"]!)
            #expect(x + w <= 24)
            for column in x..<(x + w) {
                for row in y..<(y + h) {
                    #expect(cells.insert([column, row]).inserted, "\(panel["title"] ?? "?") overlaps another panel")
                }
            }
        }
    }

    @Test("the systemd unit is hardened: bounded capabilities, read-only system, private state")
    func unitHardening() throws {
        var settings: [String: String] = [:]
        for line in try Self.text("rarenet.service").split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            settings[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        #expect(settings["CapabilityBoundingSet"] == "CAP_BPF CAP_PERFMON CAP_SYS_ADMIN CAP_SYS_PTRACE")
        // Root takes its capabilities from the bounding set; ambient ones only matter with User=.
        #expect(settings["AmbientCapabilities"] == nil)
        #expect(settings["LimitMEMLOCK"] == "infinity", "kernels before 5.11 charge BPF maps to it, and the unit has no CAP_SYS_RESOURCE")
        #expect(settings["IPAddressDeny"] == "any")
        #expect(settings["IPAddressAllow"] == "localhost")
        for (key, value) in [
            ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
            ("StateDirectory", "rarenet"), ("StateDirectoryMode", "0700"), ("LogsDirectoryMode", "0700"),
            ("UMask", "0077"), ("MemoryMax", "512M"), ("ExecReload", "/bin/kill -HUP $MAINPID"),
        ] {
            #expect(settings[key] == value, "\(key)")
        }
        #expect(settings["ProtectProc"] == nil, "the sensor must see every process in /proc")
        #expect(settings["ExecStart"]?.hasPrefix("/usr/local/bin/rarenet run ") == true)
    }

    @Test("systemd-analyze verify accepts the unit (when systemd-analyze is installed)",
          .enabled(if: ExternalTool.systemdAnalyze.isInstalled, "no systemd-analyze"))
    func unitVerifies() throws {
        // The binary is not installed here: verify a copy that starts /bin/true instead.
        let directory = try TemporaryDirectory()
        let unit = try Self.text("rarenet.service").replacingOccurrences(of: "/usr/local/bin/rarenet", with: "/bin/true")
        let path = try directory.write(unit, to: "rarenet.service", mode: 0o644)
        let result = try ExternalTool.systemdAnalyze.run(["verify", path])
        #expect(result.status == 0, "systemd-analyze verify: \(result.output)")
        // It only warns (status 0) about unknown keys and bad values.
        #expect(!result.output.contains("rarenet.service:"), "systemd-analyze verify: \(result.output)")
    }
}
