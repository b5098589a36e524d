import Foundation
import Testing

/// Tools the output tests run for real: promtool and prometheus (Debian's
/// `prometheus` package) and systemd-analyze.
///
/// A test that needs promtool or prometheus is skipped when it is missing, unless
/// `RARENET_REQUIRE_PRIVILEGED=1` (CI) is set: then it runs and fails. A test that
/// needs systemd-analyze is skipped when it is missing.
public enum ExternalTool: String, Sendable {
    case promtool
    case prometheus
    case systemdAnalyze = "systemd-analyze"

    /// Where Debian installs it.
    public var path: String { "/usr/bin/\(rawValue)" }

    public var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Whether a test that needs the tool runs.
    public var testsShouldRun: Bool { isInstalled || Privileges.areRequired }

    /// Throws when the tool is missing; call first in every test that needs it.
    public func require() throws {
        guard isInstalled else {
            throw LoopbackHTTP.Failure(description: "\(path) is missing and \(Privileges.requireVariable)=1 forbids skipping")
        }
    }

    /// Runs the tool to completion with `input` on stdin; returns its exit status and output (stdout + stderr).
    public func run(_ arguments: [String], input: [UInt8] = []) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdin = Pipe()
        let output = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
