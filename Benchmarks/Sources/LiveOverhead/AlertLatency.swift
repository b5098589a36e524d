import RarenetTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Event → alert latency of a running sensor: how long after the kernel saw
/// a connect its alert line is in the alert file.
///
/// Each sample is a never-seen executable (a copy of bash at a new path)
/// connecting to a listener inside a veth namespace the benchmark creates
/// (loopback destinations are never scored): a `rare_process` alert. The
/// latency is the wall-clock time the line was first read
/// (``AlertFileWatcher``) minus its `@timestamp`, the kernel's event time on
/// the wall clock. Samples run one at a time, each after the previous alert
/// arrived, so none waits behind another.
struct AlertLatency {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One alert: its `@timestamp` and how long after it the line was read, in nanoseconds.
    struct Sample {
        /// The kernel's event time on the wall clock, since the epoch.
        var eventTime: Int64
        var latency: Int64
    }

    /// One per probe, in probe order.
    let samples: [Sample]

    /// Runs `samples` probes against a sensor started from `executable`.
    ///
    /// The sensor runs with 1 s buckets, a 2 s learning period, no re-alert
    /// interval and a cap no sample reaches; probes start once a warm-up
    /// probe's alert shows that learning has ended.
    init(executable: String, samples: Int, metricsPort: UInt16) throws {
        let directory = try TemporaryDirectory()
        let probes = try (0..<samples).map { try directory.copyExecutable("/usr/bin/bash", as: "probe-\($0)") }
        let alertFile = try directory.write("", to: "alerts.jsonl")
        let state = try directory.makeDirectory("state")
        let namespace = try TestNetworkNamespace()
        let listener = try AcceptingListener(namespace.run { try TestSocket.listening(on: namespace.namespaceAddress) })
        let watcher = try AlertFileWatcher(path: alertFile)
        defer { watcher.stop() }
        let sensor = try SensorProcess(
            executable: executable, alertsPath: alertFile, stateDirectory: state, metricsPort: metricsPort,
            options: [
                "--bucket-span", "1s", "--learning-period", "2s", "--realert-interval", "0s",
                "--alert-cap", "100000",
            ])
        defer { sensor.stop() }
        try SensorReadiness.wait(forMetricsOn: metricsPort, sensor: sensor)

        self.samples = try withExtendedLifetime((directory, namespace, listener)) { () throws -> [Sample] in
            let target = "/dev/tcp/\(namespace.namespaceAddressText)/\(listener.endpoint.port)"
            var cursor = 0
            var warmUp = 0
            while try Self.alert(
                of: directory.copyExecutable("/usr/bin/bash", as: "warm-up-\(warmUp)"), connectingTo: target,
                watcher: watcher, cursor: &cursor, within: .seconds(1)) == nil
            {
                warmUp += 1
                guard warmUp < 30 else { throw Failure(description: "no alert within 30 warm-up probes: the sensor's learning never ended") }
            }
            return try probes.map { probe in
                guard let line = try Self.alert(of: probe, connectingTo: target, watcher: watcher, cursor: &cursor, within: .seconds(10)) else {
                    throw Failure(description: "no alert for \(probe) within 10 s")
                }
                let eventTime = try Self.timestamp(of: line)
                return Sample(eventTime: eventTime, latency: line.observedNanoseconds - eventTime)
            }
        }
    }

    /// Runs `probe` (a bash copy) to connect to `target` and returns its
    /// `rare_process` alert line, or nil when none comes within `timeout`.
    private static func alert(
        of probe: String, connectingTo target: String, watcher: AlertFileWatcher, cursor: inout Int, within timeout: Duration
    ) throws -> AlertFileWatcher.ObservedLine? {
        let child = try TestChildProcess.spawn(probe, [probe, "-c", "exec 3<>\(target)"])
        _ = try child.wait()
        guard child.exitCode == 0 else { throw Failure(description: "\(probe) could not connect to \(target)") }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            for observed in watcher.lines(from: cursor) {
                cursor += 1
                let alert = try SensorAlert(line: observed.line)
                if alert.string("process.executable") == probe, alert.string("rarenet.detector") == "rare_process" {
                    return observed
                }
            }
            watcher.waitForLines(timeout: deadline - clock.now)
        }
        return nil
    }

    /// `@timestamp` (RFC 3339 UTC with nanoseconds) in nanoseconds since the epoch.
    private static func timestamp(of observed: AlertFileWatcher.ObservedLine) throws -> Int64 {
        let alert = try SensorAlert(line: observed.line)
        guard let text = alert.string("@timestamp"), let nanoseconds = RFC3339.nanoseconds(text) else {
            throw Failure(description: "an alert without a readable @timestamp: \(observed.line)")
        }
        return nanoseconds
    }
}

/// The sensor's `@timestamp` format, `2024-06-18T12:00:00.000000000Z`.
enum RFC3339 {
    static func nanoseconds(_ text: String) -> Int64? {
        let parts = text.split(separator: "T")
        guard parts.count == 2, parts[1].hasSuffix("Z") else { return nil }
        let date = parts[0].split(separator: "-").compactMap { Int32($0) }
        let time = parts[1].dropLast().split(separator: ":")
        guard date.count == 3, time.count == 3, let hour = Int32(time[0]), let minute = Int32(time[1]) else { return nil }
        let secondParts = time[2].split(separator: ".")
        guard let second = Int32(secondParts[0]) else { return nil }
        let fraction = secondParts.count > 1 ? secondParts[1] : ""
        guard fraction.count <= 9, let digits = Int64(fraction.isEmpty ? "0" : fraction) else { return nil }
        var calendar = tm()
        calendar.tm_year = date[0] - 1900
        calendar.tm_mon = date[1] - 1
        calendar.tm_mday = date[2]
        calendar.tm_hour = hour
        calendar.tm_min = minute
        calendar.tm_sec = second
        let scale = (0..<(9 - fraction.count)).reduce(Int64(1)) { value, _ in value * 10 }
        return Int64(timegm(&calendar)) * 1_000_000_000 + digits * scale
    }
}
