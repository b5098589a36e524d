import Foundation
import RarenetConfig
import RarenetScoring
import RarenetEvents
import RarenetMetrics
import RarenetTestSupport
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    static let examplePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/rarenet.yaml").path

    @Test("deploy/rarenet.yaml documents every field and parses to exactly the built-in defaults")
    func exampleIsTheDefaults() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        #expect(try SensorConfiguration.parse(yaml: text, file: "rarenet.yaml") == SensorConfiguration())
        for field in ConfigurationField.allCases {
            let name = field.rawValue.split(separator: ".").last!
            #expect(text.contains("\n\(String(repeating: " ", count: 2 * (field.rawValue.split(separator: ".").count - 1)))\(name):"),
                    "the example does not show \(field.rawValue)")
        }
    }

    @Test("an empty file is the defaults")
    func emptyFileIsTheDefaults() throws {
        #expect(try SensorConfiguration.parse(yaml: "", file: "empty.yaml") == SensorConfiguration())
        #expect(try SensorConfiguration.parse(yaml: "# nothing\nscoring:\n", file: "empty.yaml") == SensorConfiguration())
    }

    @Test("every field is read into its value")
    func everyFieldIsRead() throws {
        let yaml = """
            capture: {attach: tracepoint, ring_buffer_size: 64MiB}
            outputs: {alerts: /var/log/rarenet/alerts.jsonl, metrics_address: "[::1]:9500"}
            state: {directory: /srv/rarenet, snapshot_interval: 1h30m}
            scoring:
              key: name
              detectors: [rare_port]
              bucket_span: 5m
              learning_period: 0s
              threshold: 72.5
              half_life: 7d
              bucket_key_capacity: 100000
              dynamic_ports: 49152-65535
              sketch: {width: 1048576, depth: 6, seed: 42}
            alerting: {realert_interval: 2h, max_quiet_time: 3d, cap: 10, cap_window: 1h}
            process_table: {capacity: 4096}
            exclusions:
              process_names: [chronyd]
              executables: [/usr/sbin/chronyd]
              users: [backup, "998"]
              cidrs: [10.0.0.0/8, "2001:db8::1/32", 192.0.2.7]
            """
        var expected = SensorConfiguration()
        expected.capture.attach = .tracepoint
        expected.capture.ringBufferSize = 64 << 20
        expected.outputs.alerts = .file(path: "/var/log/rarenet/alerts.jsonl")
        expected.outputs.metricsAddress = .listen(host: "::1", port: 9500)
        expected.state.directory = "/srv/rarenet"
        expected.state.snapshotInterval = .seconds(5400)
        expected.scoring.key = .name
        expected.scoring.detectors = [.rarePort]
        expected.scoring.bucketSpan = .seconds(300)
        expected.scoring.learningPeriod = .zero
        expected.scoring.threshold = 72.5
        expected.scoring.halfLife = .seconds(7 * 86_400)
        expected.scoring.bucketKeyCapacity = 100_000
        expected.scoring.dynamicPorts = 49_152...65_535
        expected.scoring.sketch.width = 1 << 20
        expected.scoring.sketch.depth = 6
        expected.scoring.sketch.seed = 42
        expected.alerting.realertInterval = .seconds(7200)
        expected.alerting.maximumQuietTime = .seconds(3 * 86_400)
        expected.alerting.cap = 10
        expected.alerting.capWindow = .seconds(3600)
        expected.processTable.capacity = 4096
        expected.exclusions.processNames = ["chronyd"]
        expected.exclusions.executables = ["/usr/sbin/chronyd"]
        expected.exclusions.users = ["backup", "998"]
        expected.exclusions.cidrs = [
            AddressRange("10.0.0.0/8")!, AddressRange("2001:db8::/32")!, AddressRange("192.0.2.7/32")!,
        ]
        #expect(try SensorConfiguration.parse(yaml: yaml, file: "all.yaml") == expected)
        let outputs = try SensorConfiguration.parse(yaml: "outputs: {alerts: '-', metrics_address: '0'}", file: "x").outputs
        #expect(outputs.alerts == .standardOutput)
        #expect(outputs.metricsAddress == .disabled)
        #expect(try SensorConfiguration.parse(yaml: "scoring: {dynamic_ports: none}", file: "x").scoring.dynamicPorts == nil)
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        var yaml: String
        var line: Int?
        var field: String?
        var reason: String
        var testDescription: String { yaml.debugDescription }
    }

    static let badCases: [BadCase] = [
        BadCase(yaml: "scorin:\n  threshold: 60", line: 1, field: "scorin",
                reason: "unknown field (expected one of: alerting, capture, exclusions, identity, outputs, process_table, scoring, state)"),
        BadCase(yaml: "scoring:\n  treshold: 60", line: 2, field: "scoring.treshold",
                reason: "unknown field (expected one of: bucket_key_capacity, bucket_span, detectors, dynamic_ports, half_life, key, learning_period, sketch, threshold)"),
        BadCase(yaml: "scoring:\n  sketch:\n    size: 3", line: 3, field: "scoring.sketch.size", reason: "unknown field"),
        BadCase(yaml: "scoring:\n  threshold: 150", line: 2, field: "scoring.threshold",
                reason: #"must be a number from 0 to 100 (got "150")"#),
        BadCase(yaml: "scoring:\n  threshold: high", line: 2, field: "scoring.threshold", reason: "must be a number"),
        BadCase(yaml: "scoring:\n  threshold: [50]", line: 2, field: "scoring.threshold",
                reason: "must be a single value, not a list"),
        BadCase(yaml: "scoring:\n  threshold:", line: 2, field: "scoring.threshold", reason: "has no value"),
        BadCase(yaml: "scoring:\n\n  bucket_span: 7m", line: 3, field: "scoring.bucket_span",
                reason: "must divide a day evenly (got 7m)"),
        BadCase(yaml: "scoring: {bucket_span: 15x}", line: 1, field: "scoring.bucket_span",
                reason: "must be a duration like 90s, 15m, 24h or 14d, from 1s to 1d"),
        BadCase(yaml: "scoring: {bucket_span: 0s}", line: 1, field: "scoring.bucket_span", reason: "must be from 1s to 1d"),
        BadCase(yaml: "scoring: {half_life: 1.5d}", line: 1, field: "scoring.half_life", reason: "must be a duration"),
        BadCase(yaml: "scoring:\n  dynamic_ports: 32768", line: 2, field: "scoring.dynamic_ports",
                reason: #"must be a port range LOW-HIGH from 1 to 65535, or none (got "32768")"#),
        BadCase(yaml: "scoring: {dynamic_ports: 60000-50000}", line: 1, field: "scoring.dynamic_ports", reason: "must be a port range"),
        BadCase(yaml: "scoring: {dynamic_ports: 0-65535}", line: 1, field: "scoring.dynamic_ports", reason: "must be a port range"),
        BadCase(yaml: "scoring: {dynamic_ports: 32768-70000}", line: 1, field: "scoring.dynamic_ports", reason: "must be a port range"),
        BadCase(yaml: "scoring:\n  sketch: {width: 1000}", line: 2, field: "scoring.sketch.width",
                reason: "must be a power of two from 256 to 16777216"),
        BadCase(yaml: "scoring:\n  sketch: {depth: 9}", line: 2, field: "scoring.sketch.depth",
                reason: "must be an integer from 1 to 8"),
        BadCase(yaml: "scoring:\n  sketch: {seed: -1}", line: 2, field: "scoring.sketch.seed",
                reason: "must be an unsigned 64-bit integer"),
        BadCase(yaml: "capture:\n  ring_buffer_size: 3MiB", line: 2, field: "capture.ring_buffer_size",
                reason: "must be a power of two from 4KiB to 1GiB (got 3MiB)"),
        BadCase(yaml: "capture:\n  ring_buffer_size: 16 MB", line: 2, field: "capture.ring_buffer_size",
                reason: "must be a size like 16MiB"),
        BadCase(yaml: "capture:\n  attach: fentry", line: 2, field: "capture.attach",
                reason: #"must be one of auto, kprobe, tracepoint (got "fentry")"#),
        BadCase(yaml: "scoring:\n  key: path", line: 2, field: "scoring.key", reason: "must be one of executable, name"),
        BadCase(yaml: "scoring:\n  detectors: []", line: 2, field: "scoring.detectors", reason: "must name at least one detector"),
        BadCase(yaml: "scoring:\n  detectors: rare_process", line: 2, field: "scoring.detectors", reason: "must be a list"),
        BadCase(yaml: "scoring:\n  detectors: [rare_port, rare_port]", line: 2, field: "scoring.detectors",
                reason: "names a detector twice"),
        BadCase(yaml: "scoring:\n  detectors:\n    - rare_process\n    - rare_pid", line: 4, field: "scoring.detectors",
                reason: #"must be one of rare_process, rare_port (got "rare_pid")"#),
        BadCase(yaml: "outputs:\n  metrics_address: ::1:9464", line: 2, field: "outputs.metrics_address",
                reason: "put an IPv6 address in brackets"),
        BadCase(yaml: "outputs:\n  alerts: ''", line: 2, field: "outputs.alerts", reason: "has no value"),
        BadCase(yaml: "exclusions:\n  cidrs:\n    - 10.0.0.0/8\n    - 10.0.0.0/33", line: 4, field: "exclusions.cidrs",
                reason: #"must be an address or network like 10.0.0.0/8 or 2001:db8::/32 (got "10.0.0.0/33")"#),
        BadCase(yaml: "exclusions:\n  executables: [bin/sh]", line: 2, field: "exclusions.executables",
                reason: "must be an absolute path"),
        BadCase(yaml: "exclusions:\n  users: [\"a b\"]", line: 2, field: "exclusions.users", reason: "must be a user name or id"),
        BadCase(yaml: "alerting:\n  cap: 0", line: 2, field: "alerting.cap", reason: "must be an integer from 1 to 100000"),
        BadCase(yaml: "process_table:\n  capacity: lots", line: 2, field: "process_table.capacity", reason: "must be an integer"),
        BadCase(yaml: "scoring:\n  bucket_key_capacity: 0", line: 2, field: "scoring.bucket_key_capacity", reason: "must be an integer from 1 to 1048576"),
        BadCase(yaml: "scoring: 5", line: 1, field: "scoring", reason: "must be a mapping of fields"),
        BadCase(yaml: "- capture", line: 1, field: nil, reason: "must be a mapping of fields"),
        BadCase(yaml: "scoring:\n  threshold: [50", line: 3, field: nil, reason: "invalid YAML"),
        BadCase(yaml: "scoring:\n  threshold: 50\n  threshold: 60", line: 2, field: nil, reason: "duplicate field threshold"),
    ]

    @Test("a bad value is an error naming the file, the line, the field and why", arguments: badCases)
    func badValuesAreNamed(_ bad: BadCase) {
        let error = #expect(throws: RarenetConfig.ConfigurationError.self) {
            try SensorConfiguration.parse(yaml: bad.yaml, file: "/etc/rarenet/rarenet.yaml")
        }
        guard let error else { return }
        #expect(error.source == .file("/etc/rarenet/rarenet.yaml"))
        #expect(error.field == bad.field)
        #expect(error.line == bad.line)
        #expect(error.reason.contains(bad.reason), "\(error.reason)")
        let location = "/etc/rarenet/rarenet.yaml" + (bad.line.map { ":\($0)" } ?? "") + (bad.field.map { ": \($0)" } ?? "")
        #expect(error.description.hasPrefix(location + ": "), "\(error)")
        #expect(!error.description.contains("\n"), "one line: \(error)")
    }

    @Test("flags given explicitly win over the file; flags not given leave it")
    func flagsOverrideTheFile() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write(
            "scoring: {threshold: 60, bucket_span: 5m}\nexclusions: {process_names: [a, b]}", to: "rarenet.yaml"
        )
        var overrides = ConfigurationOverrides()
        overrides.set(.threshold, to: "70", flag: "--threshold")
        overrides.set(.bucketSpan, to: nil, flag: "--bucket-span")
        overrides.set(.excludedProcessNames, to: ["c"], flag: "--exclude-process")
        overrides.set(.excludedUsers, to: [], flag: "--exclude-user")
        overrides.set(.metricsAddress, to: "0", flag: "--metrics-address")
        let configuration = try SensorConfiguration.load(file: file, overrides: overrides)
        #expect(configuration.scoring.threshold == 70)
        #expect(configuration.scoring.bucketSpan == .seconds(300))
        #expect(configuration.exclusions.processNames == ["c"])
        #expect(configuration.exclusions.users == [])
        #expect(configuration.outputs.metricsAddress == .disabled)

        let defaultsAndFlags = try SensorConfiguration.load(file: nil, overrides: overrides)
        #expect(defaultsAndFlags.scoring.bucketSpan == .seconds(900))
        #expect(defaultsAndFlags.scoring.threshold == 70)
    }

    @Test("a bad flag value is an error naming the flag and the field")
    func badFlagIsNamed() {
        var overrides = ConfigurationOverrides()
        overrides.set(.threshold, to: "150", flag: "--threshold")
        let error = #expect(throws: RarenetConfig.ConfigurationError.self) {
            try SensorConfiguration.load(file: nil, overrides: overrides)
        }
        #expect(error?.description == #"--threshold (scoring.threshold): must be a number from 0 to 100 (got "150")"#)

        var listOverrides = ConfigurationOverrides()
        listOverrides.set(.excludedCIDRs, to: ["10.0.0.0/8", "nope"], flag: "--exclude-cidr")
        let listError = #expect(throws: RarenetConfig.ConfigurationError.self) {
            try SensorConfiguration.load(file: nil, overrides: listOverrides)
        }
        #expect(listError?.source == .flag("--exclude-cidr"))
        #expect(listError?.reason.contains(#"(got "nope")"#) == true)
    }

    @Test("a config file other users can write, or in a directory they can write, is refused")
    func writableConfigIsRefused() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("scoring: {threshold: 60}", to: "rarenet.yaml", mode: 0o644)
        #expect(try SensorConfiguration.load(file: file).scoring.threshold == 60)

        for mode: mode_t in [0o664, 0o646, 0o666] {
            chmod(file, mode)
            let error = #expect(throws: RarenetConfig.ConfigurationError.self) { try SensorConfiguration.load(file: file) }
            #expect(error?.description.hasPrefix("\(file): refused: \(file) is writable by other users") == true,
                    "\(String(describing: error))")
        }
        chmod(file, 0o600)
        chmod(directory.path, 0o777)
        defer { chmod(directory.path, 0o700) }
        let error = #expect(throws: RarenetConfig.ConfigurationError.self) { try SensorConfiguration.load(file: file) }
        #expect(error?.reason == "refused: \(directory.path) is writable by other users (mode 777)")
    }

    @Test("a config file owned by another non-root user is refused",
          .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func foreignOwnerIsRefused() throws {
        try Privileges.requireRoot()
        let directory = try TemporaryDirectory()
        let file = try directory.write("{}", to: "rarenet.yaml")
        #expect(chown(file, 4321, 4321) == 0)
        let error = #expect(throws: RarenetConfig.ConfigurationError.self) { try SensorConfiguration.load(file: file) }
        #expect(error?.reason == "refused: \(file) is owned by uid 4321, not root or uid 0")
    }

    @Test("a missing, non-regular or oversized file is a clear error")
    func unreadableFiles() throws {
        let directory = try TemporaryDirectory()
        let missing = #expect(throws: RarenetConfig.ConfigurationError.self) {
            try SensorConfiguration.load(file: "\(directory.path)/absent.yaml")
        }
        #expect(missing?.description == "\(directory.path)/absent.yaml: cannot open: No such file or directory")

        let notFile = #expect(throws: RarenetConfig.ConfigurationError.self) { try SensorConfiguration.load(file: directory.path) }
        #expect(notFile?.reason == "is not a regular file")

        let big = try directory.write("#" + String(repeating: "x", count: SensorConfiguration.maximumFileSize), to: "big.yaml")
        let tooBig = #expect(throws: RarenetConfig.ConfigurationError.self) { try SensorConfiguration.load(file: big) }
        #expect(tooBig?.reason == "is larger than 1 MiB")
    }

    @Test("PathTrust refuses a world-writable directory even when sticky, and accepts a private one")
    func pathTrust() throws {
        let directory = try TemporaryDirectory()
        #expect(PathTrust.untrustedReason(path: directory.path) == nil)
        chmod(directory.path, 0o1777)
        defer { chmod(directory.path, 0o700) }
        #expect(PathTrust.untrustedReason(path: directory.path) == "\(directory.path) is writable by other users (mode 1777)")
        // Under a sticky directory, a private file is fine.
        let inner = try directory.write("x", to: "file")
        #expect(PathTrust.untrustedReason(path: inner) == nil)
    }
}

@Suite("DurationSyntax")
struct DurationSyntaxTests {
    @Test("units combine largest first and print back in the shortest form", arguments: [
        ("90s", 90, "1m30s"), ("15m", 900, "15m"), ("24h", 86_400, "1d"), ("14d", 1_209_600, "14d"),
        ("1h30m", 5_400, "1h30m"), ("0s", 0, "0s"), ("1d2h3m4s", 93_784, "1d2h3m4s"),
    ])
    func parses(text: String, seconds: Int64, formatted: String) {
        #expect(DurationSyntax.parse(text) == .seconds(seconds))
        #expect(DurationSyntax.format(.seconds(seconds)) == formatted)
    }

    @Test("anything else is refused", arguments: ["", "15", "m", "1.5h", "1m1h", "1h1h", "-5m", "15 m", "99999999999999999999d"])
    func refuses(text: String) {
        #expect(DurationSyntax.parse(text) == nil)
    }
}

@Suite("AddressRange")
struct AddressRangeTests {
    @Test("a block contains exactly the addresses under its prefix")
    func contains() throws {
        let block = try #require(AddressRange("10.1.2.3/16"))
        #expect(block.description == "10.1.0.0/16")
        #expect(block.contains(IPAddress("10.1.255.255")!))
        #expect(!block.contains(IPAddress("10.2.0.0")!))
        #expect(!block.contains(IPAddress("::ffff:10.1.0.1")!))
        let v6 = try #require(AddressRange("2001:db8:ff::/40"))
        #expect(v6.contains(IPAddress("2001:db8:ff::1")!))
        #expect(!v6.contains(IPAddress("2001:db8:1ff::1")!))
        #expect(AddressRange("0.0.0.0/0")!.contains(IPAddress("192.0.2.1")!))
        #expect(AddressRange("::/0")!.contains(IPAddress("::1")!))
        #expect(AddressRange("2001:db8::1")!.description == "2001:db8::1/128")
        #expect(AddressRange("2001:db8::1/65")!.contains(IPAddress("2001:db8::7fff:0:0:1")!))
        #expect(!AddressRange("2001:db8::1/65")!.contains(IPAddress("2001:db8::8000:0:0:1")!))
    }

    @Test("invalid blocks are refused", arguments: ["10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "::/129", "x/8", "10.0.0.0/-1"])
    func refuses(text: String) {
        #expect(AddressRange(text) == nil)
    }
}
