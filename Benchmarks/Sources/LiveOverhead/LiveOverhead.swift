#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import RarenetTestSupport

/// The live overhead benchmark: a connect() loop on loopback, timed without
/// the sensor and, when `--rarenet` names a built binary, with `rarenet run`
/// attached in tracepoint mode (root).
@main
struct LiveOverhead: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live-overhead",
        abstract: "Time a loopback connect() loop without and with the rarenet sensor attached (root)."
    )

    @Option(help: "Connects per measured run.")
    var connects: Int = 50_000

    @Option(help: "Rounds; each times one run without and one with a freshly started sensor. The table shows medians.")
    var runs: Int = 5

    @Option(help: "Event → alert latency samples (never-seen executables connecting into a veth namespace); 0 skips the phase.")
    var latencySamples: Int = 200

    @Option(help: "Path of a built `rarenet` binary; without it only the baseline is measured.")
    var rarenet: String?

    @Option(help: "Port of the sensor's metrics endpoint on 127.0.0.1.")
    var metricsPort: UInt16 = 19_464

    @Option(help: "Where the sensor writes its alerts.")
    var alerts: String = "/tmp/rarenet-live-overhead-alerts.jsonl"

    @Option(help: "The sensor's baseline directory; by default a fresh temporary one, so neither a real baseline nor a stale one from another build is used.")
    var state: String?

    @Option(help: "Also write each latency sample as `<@timestamp ns> <latency ns>` lines to this file (for lining samples up with traces).")
    var latencyOutput: String?

    func run() throws {
        if runs > 0 { try measureOverhead() }
        if let rarenet, latencySamples > 0 { try measureLatency(rarenet) }
    }

    /// The loop without and (with `--rarenet`) with the sensor: slowdown, sensor CPU, drops.
    private func measureOverhead() throws {
        let loop = try ConnectLoop()
        _ = try loop.run(count: connects / 10)  // warm-up: caches, ephemeral ports, accept thread
        print("live overhead: \(connects) connects to 127.0.0.1:\(loop.port) per run, \(runs) rounds, medians")
        guard let rarenet else {
            let baseline = try (0..<runs).map { _ in try loop.run(count: connects) }
            print("without sensor: \(Int(Double(connects) / baseline.median)) connects/s")
            print("with sensor: not measured (pass --rarenet PATH to a built `rarenet` binary)")
            return
        }
        let temporaryState = try TemporaryDirectory()
        defer { withExtendedLifetime(temporaryState) {} }
        let state = try self.state ?? temporaryState.makeDirectory("state")
        // Without and with the sensor in the same round, so that a machine
        // that slows down between rounds slows both sides of a ratio alike.
        var rounds: [Round] = []
        for _ in 0..<runs {
            let without = try loop.run(count: connects)
            let sensor = try SensorProcess(
                executable: rarenet, alertsPath: alerts, stateDirectory: state, metricsPort: metricsPort,
                options: ["--learning-period", "0s"])
            defer { sensor.stop() }
            try SensorReadiness.wait(forMetricsOn: metricsPort, sensor: sensor)
            let cpuBefore = try sensor.cpuSeconds()
            let with = try loop.run(count: connects)
            let cpu = try sensor.cpuSeconds() - cpuBefore
            let drops = try MetricsScrape(port: metricsPort).value(of: "rarenet_kernel_dropped_records_total")
            rounds.append(Round(without: without, with: with, sensorCPU: cpu, drops: drops ?? .nan))
        }
        let withoutRate = Double(connects) / rounds.map(\.without).median
        let withRate = Double(connects) / rounds.map(\.with).median
        print("without sensor: \(Int(withoutRate)) connects/s")
        print("with sensor:    \(Int(withRate)) connects/s")
        print("slowdown:       \(percent(rounds.map { $0.with / $0.without - 1 }.median)) (goal <= 5%)")
        print("sensor CPU:     \(nanoseconds(rounds.map { $0.sensorCPU / Double(connects) }.median)) ns per event (goal <= 1000)")
        print("kernel drops:   \(rounds.map(\.drops).max().map { $0.isNaN ? "metric not found" : "\(Int($0))" } ?? "-") at most per round (goal 0)")
    }

    /// Event → alert latency of a freshly started sensor (``AlertLatency``).
    private func measureLatency(_ rarenet: String) throws {
        let latency = try AlertLatency(executable: rarenet, samples: latencySamples, metricsPort: metricsPort)
        let sorted = latency.samples.map(\.latency).sorted()
        func milliseconds(_ nanoseconds: Int64) -> String { "\(Double(nanoseconds / 1_000) / 1_000) ms" }
        print("event → alert:  p50 \(milliseconds(sorted.percentile(50))), p99 \(milliseconds(sorted.percentile(99))), max \(milliseconds(sorted.last ?? 0)), \(sorted.count) alerts (goal p99 <= 10 ms)")
        if let latencyOutput {
            let text = latency.samples.map { "\($0.eventTime) \($0.latency)\n" }.joined()
            guard let file = fopen(latencyOutput, "w") else { throw AlertLatency.Failure(description: "cannot write \(latencyOutput)") }
            fputs(text, file)
            fclose(file)
        }
    }

    /// One round: seconds for the loop without and with the sensor, the sensor's CPU seconds and kernel drops.
    private struct Round {
        var without: Double
        var with: Double
        var sensorCPU: Double
        var drops: Double
    }

    private func nanoseconds(_ seconds: Double) -> Int { Int((seconds * 1e9).rounded()) }
    private func percent(_ fraction: Double) -> String { "\(Double(Int(fraction * 1000)) / 10)%" }
}

extension Array where Element == Int64 {
    /// The nearest-rank `percent`-th percentile of a sorted, non-empty array.
    func percentile(_ percent: Int) -> Int64 {
        self[Swift.max(0, (count * percent + 99) / 100 - 1)]
    }
}

extension Array where Element == Double {
    var median: Double {
        let sorted = self.sorted()
        return sorted.count.isMultiple(of: 2) ? (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2 : sorted[sorted.count / 2]
    }
}
