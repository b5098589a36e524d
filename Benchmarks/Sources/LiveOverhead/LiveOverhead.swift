import ArgumentParser

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

    @Option(help: "Measured runs per side; the table shows the median.")
    var runs: Int = 5

    @Option(help: "Path of a built `rarenet` binary; without it only the baseline is measured.")
    var rarenet: String?

    @Option(help: "Port of the sensor's metrics endpoint on 127.0.0.1.")
    var metricsPort: UInt16 = 19_464

    @Option(help: "Where the sensor writes its alerts.")
    var alerts: String = "/tmp/rarenet-live-overhead-alerts.jsonl"

    func run() throws {
        let loop = try ConnectLoop()
        _ = try loop.run(count: connects / 10)  // warm-up: caches, ephemeral ports, accept thread
        let baseline = try (0..<runs).map { _ in try loop.run(count: connects) }
        let baselineRate = Double(connects) / baseline.median
        print("live overhead: \(connects) connects to 127.0.0.1:\(loop.port) per run, \(runs) runs, median")
        print("without sensor: \(Int(baselineRate)) connects/s (\(nanoseconds(baseline.median / Double(connects))) ns per connect)")

        guard let rarenet else {
            print("with sensor: not measured (pass --rarenet PATH to a built `rarenet` binary)")
            return
        }
        let sensor = try SensorProcess(executable: rarenet, alertsPath: alerts, metricsPort: metricsPort)
        defer { sensor.stop() }
        try SensorReadiness.wait(forMetricsOn: metricsPort, sensor: sensor)
        let cpuBefore = try sensor.cpuSeconds()
        let attached = try (0..<runs).map { _ in try loop.run(count: connects) }
        let cpuUsed = try sensor.cpuSeconds() - cpuBefore
        let attachedRate = Double(connects) / attached.median
        let events = Double(connects * runs)
        print("with sensor:    \(Int(attachedRate)) connects/s; slowdown \(percent(baselineRate / attachedRate - 1)) (goal <= 5%)")
        print("sensor CPU:     \(nanoseconds(cpuUsed / events)) ns per event (goal <= 1000)")
        let metrics = try MetricsScrape(port: metricsPort)
        print("kernel drops:   \(metrics.value(of: "rarenet_kernel_dropped_records_total").map { "\(Int($0))" } ?? "metric not found") (goal 0)")
    }

    private func nanoseconds(_ seconds: Double) -> Int { Int((seconds * 1e9).rounded()) }
    private func percent(_ fraction: Double) -> String { "\(Double(Int(fraction * 1000)) / 10)%" }
}

extension Array where Element == Double {
    var median: Double {
        let sorted = self.sorted()
        return sorted.count.isMultiple(of: 2) ? (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2 : sorted[sorted.count / 2]
    }
}
