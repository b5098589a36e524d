import Foundation
import RarenetEvents
import RarenetTestSupport
import Testing

/// The built `rarenet` binary running `rarenet record`, its standard output
/// and standard error captured in files of a test directory.
final class RecordingProcess {
    /// The `rarenet` binary built with the tests: it lies next to the test bundle.
    static var binary: String {
        URL(fileURLWithPath: realPath("/proc/self/exe")).deletingLastPathComponent().appendingPathComponent("rarenet").path
    }

    let child: TestChildProcess
    let standardOutputPath: String
    let standardErrorPath: String

    /// Starts `rarenet <arguments>`, behind `wrapper` (a command that ends by
    /// exec'ing its arguments, such as `setpriv ...`) when given.
    init(_ arguments: [String], wrapper: [String] = [], in directory: TemporaryDirectory) throws {
        standardOutputPath = directory.path + "/stdout"
        standardErrorPath = directory.path + "/stderr"
        let output = open(standardOutputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let errors = open(standardErrorPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer {
            close(output)
            close(errors)
        }
        guard output >= 0, errors >= 0 else { throw TestSystemError(operation: "open \(directory.path)", errno: errno) }
        let command = wrapper + [Self.binary] + arguments
        let path = command[0].hasPrefix("/") ? command[0] : "/usr/bin/env"
        let argv = command[0].hasPrefix("/") ? command : ["env"] + command
        child = try TestChildProcess.spawn(path, argv, standardOutput: output, standardError: errors)
    }

    /// What the command wrote on standard error so far.
    var standardError: String {
        (try? String(contentsOfFile: standardErrorPath, encoding: .utf8)) ?? ""
    }

    /// Waits until the recorder logs that it records; fails the test with its log otherwise.
    func waitUntilRecording() throws {
        let started = waitUntil { standardError.contains("] recording\n") || (try? child.wait(timeout: .zero)) != nil }
        try #require(started && child.status == nil, "rarenet record did not start: \(standardError)")
    }

    /// Every line of `path` parsed as an event; a line that does not parse is recorded as an issue.
    static func events(in path: String) throws -> [NetworkEvent] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            switch EventLineParser.parse(String(line)) {
            case .success(let event): return event
            case .failure(let error):
                Issue.record("unparsable event line \(line): \(error)")
                return nil
            }
        }
    }

    /// The events on standard output so far.
    func events() throws -> [NetworkEvent] {
        try Self.events(in: standardOutputPath)
    }

    /// Waits at most `timeout` for the command to exit by itself.
    ///
    /// - Returns: its exit code; fails the test when it did not exit in time or a signal ended it.
    func exitCode(within timeout: Duration = .seconds(30)) throws -> Int32 {
        let status = try child.wait(timeout: timeout)
        try #require(status != nil, "rarenet did not exit: \(standardError)")
        return try #require(child.exitCode, "a signal ended rarenet (wait status \(status ?? 0))")
    }
}
