import Foundation
import Testing

/// The built `rarenet` executable running `rarenet run` as a child of the
/// test, with its state directory, alert file and log in a directory the
/// test owns.
///
/// The executable is the one `swift build` put next to the test bundle
/// (`.build/debug/rarenet`). The sensor is killed (SIGKILL) on deinit if the
/// test has not stopped it, so a failing test leaves no sensor behind.
///
///     let directory = try TemporaryDirectory()
///     let sensor = try SensorProcess(in: directory, ["--bucket-span", "1s"])
///     try sensor.waitUntilRunning()
///     ...
///     #expect(try sensor.stop() == .exited(0))
public final class SensorProcess {
    /// Where the metrics endpoint listens.
    public enum MetricsEndpoint {
        /// `--metrics-address 127.0.0.1:<a free port>`, polled for readiness.
        case freeLoopbackPort
        /// No `--metrics-address` flag: the arguments or the defaults decide.
        case unspecified
    }

    /// How the sensor ended.
    public enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// A failure of the harness, with the sensor's log when it helps.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// The `rarenet` executable built alongside the running test bundle.
    public static var executablePath: String {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return bundle.deletingLastPathComponent().appendingPathComponent("rarenet").path
    }

    /// Whether the executable has been built (`swift build --build-tests` builds it).
    public static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: executablePath) }

    public let pid: pid_t
    /// `--state`: `state/` in the test's directory (created 0700 if missing), kept across restarts.
    public let stateDirectory: String
    /// `--alerts`: `alerts.jsonl` in the test's directory, appended to by every run.
    public let alertFile: String
    /// Standard output and error of this run.
    public let logFile: String
    /// The metrics port on 127.0.0.1, with ``MetricsEndpoint/freeLoopbackPort``.
    public let metricsPort: Int?
    private let process = Process()

    /// Starts `rarenet run` with the state directory and alert file of
    /// `directory`, then `arguments`. `launcher` goes before the executable
    /// (e.g. `nsenter --net=…`; it must exec the sensor, keeping the pid).
    public init(
        in directory: TemporaryDirectory,
        _ arguments: [String] = [],
        metrics: MetricsEndpoint = .freeLoopbackPort,
        launcher: [String] = []
    ) throws {
        stateDirectory = directory.path + "/state"
        if !FileManager.default.fileExists(atPath: stateDirectory) {
            try directory.makeDirectory("state")
        }
        alertFile = directory.path + "/alerts.jsonl"
        logFile = try Self.newLogFile(in: directory)
        metricsPort = metrics == .freeLoopbackPort ? try LoopbackHTTP.freePort() : nil

        var sensorArguments = ["run", "--state", stateDirectory, "--alerts", alertFile]
        if let metricsPort { sensorArguments += ["--metrics-address", "127.0.0.1:\(metricsPort)"] }
        sensorArguments += arguments
        let command = launcher + [Self.executablePath] + sensorArguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        pid = process.processIdentifier
    }

    deinit {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Runs `rarenet` with `arguments` to completion (for start-up errors):
    /// returns how it ended and what it wrote on standard error. Kills it and
    /// throws if it runs longer than `timeout`.
    public static func run(_ arguments: [String], timeout: Duration = .seconds(30)) throws -> (Termination, standardError: String) {
        let directory = try TemporaryDirectory()
        let errorFile = try directory.write("", to: "stderr")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath)
        process.arguments = arguments
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        guard Polling.until(within: timeout, { !process.isRunning }) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw Failure(description: "rarenet \(arguments.joined(separator: " ")) did not exit within \(timeout)")
        }
        return (termination(of: process), try String(contentsOfFile: errorFile, encoding: .utf8))
    }

    /// Waits until the sensor has attached its probes and started its
    /// threads (its log says "sensor running") and, with a metrics port,
    /// until `/healthz` answers 200. Throws with the log if it exits first
    /// or `timeout` passes.
    public func waitUntilRunning(timeout: Duration = .seconds(30)) throws {
        let ready = Polling.until(within: timeout, every: .milliseconds(20)) {
            guard process.isRunning, log().contains("sensor running") else { return false }
            guard let metricsPort else { return true }
            return (try? LoopbackHTTP.request(port: metricsPort, path: "/healthz").status) == 200
        }
        guard ready else {
            throw Failure(description: "the sensor did not start (running: \(process.isRunning)); its log:\n\(log())")
        }
    }

    /// True until the sensor exits.
    public var isRunning: Bool { process.isRunning }

    /// Sends `signal` and waits for the sensor to exit; throws (and kills it)
    /// if it is still running after `timeout`.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) throws -> Termination {
        if process.isRunning { kill(pid, signal) }
        guard Polling.until(within: timeout, { !process.isRunning }) else {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            throw Failure(description: "the sensor ignored signal \(signal) for \(timeout); its log:\n\(log())")
        }
        return Self.termination(of: process)
    }

    /// What the sensor has logged so far in this run.
    public func log() -> String {
        (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
    }

    /// Every alert line in the alert file so far (of every run in this directory).
    public func alerts() throws -> [SensorAlert] {
        guard FileManager.default.fileExists(atPath: alertFile) else { return [] }
        return try String(contentsOfFile: alertFile, encoding: .utf8)
            .split(separator: "\n")
            .map { try SensorAlert(line: String($0)) }
    }

    /// The first alert matching `predicate`, polling the alert file until
    /// `timeout` passes; nil if none came.
    public func waitForAlert(within timeout: Duration, where predicate: (SensorAlert) -> Bool) throws -> SensorAlert? {
        try Polling.value(within: timeout, every: .milliseconds(5)) { try alerts().first(where: predicate) }
    }

    /// The current `/metrics` exposition, as text.
    public func metricsText() throws -> String {
        guard let metricsPort else { throw Failure(description: "this sensor has no metrics port") }
        let response = try LoopbackHTTP.request(port: metricsPort, path: "/metrics")
        guard response.status == 200 else { throw Failure(description: "/metrics answered \(response.status)") }
        return response.body
    }

    /// The current `/metrics` exposition, parsed.
    public func metrics() throws -> Exposition {
        Exposition(try metricsText())
    }

    /// Polls `/metrics` until the sample `name{labels}` satisfies `condition`;
    /// returns its value, or nil when `timeout` passes first.
    public func waitForMetric(
        _ name: String, _ labels: [String: String] = [:], within timeout: Duration = .seconds(15),
        _ condition: (Double) -> Bool
    ) throws -> Double? {
        try Polling.value(within: timeout, every: .milliseconds(100)) {
            try metrics().value(name, labels).flatMap { condition($0) ? $0 : nil }
        }
    }

    private static func termination(of process: Process) -> Termination {
        process.terminationReason == .exit ? .exited(process.terminationStatus) : .signaled(process.terminationStatus)
    }

    /// `sensor-1.log`, `sensor-2.log`, …: one per run in the directory.
    private static func newLogFile(in directory: TemporaryDirectory) throws -> String {
        var run = 1
        while FileManager.default.fileExists(atPath: "\(directory.path)/sensor-\(run).log") { run += 1 }
        let path = "\(directory.path)/sensor-\(run).log"
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw Failure(description: "cannot create the sensor's log file \(path)")
        }
        return path
    }
}

/// One line of the sensor's alert file: an ECS-shaped JSON object.
public struct SensorAlert: CustomStringConvertible {
    /// The line as written.
    public let line: String
    private let object: [String: Any]

    public init(line: String) throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw SensorProcess.Failure(description: "an alert line that is not a JSON object: \(line)")
        }
        self.line = line
        self.object = object
    }

    /// The value at a dotted ECS path, e.g. `process.executable`.
    public subscript(path: String) -> Any? {
        var value: Any? = object
        for component in path.split(separator: ".") {
            value = (value as? [String: Any])?[String(component)]
        }
        return value
    }

    public func string(_ path: String) -> String? { self[path] as? String }
    public func number(_ path: String) -> Double? { (self[path] as? NSNumber)?.doubleValue }

    /// `process.pid`.
    public var pid: pid_t? { number("process.pid").map { pid_t($0) } }

    public var description: String { line }
}
