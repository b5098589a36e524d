import Foundation
import RarenetTestSupport
import Testing

extension SensorTests {
    /// What `rarenet run` refuses before it touches the kernel, and a forced
    /// attach mode this kernel cannot provide.
    @Suite("Start-up errors")
    struct StartupErrors {
        /// Usage and configuration errors exit 2 (see `Rarenet.usageErrorStatus`).
        static let usageError = SensorProcess.Termination.exited(2)

        @Test("a bad flag: one line on stderr naming it, exit 2", .enabled(if: SensorProcess.isBuilt || Privileges.areRequired))
        func badFlag() throws {
            try SensorTests.requireExecutable()
            let (termination, message) = try SensorProcess.run(["run", "--no-such-flag"])
            #expect(termination == Self.usageError)
            expectOneLine(message, mentioning: ["--no-such-flag"])
        }

        @Test("a bad configuration field: one line naming the file, line and field, exit 2",
              .enabled(if: SensorProcess.isBuilt || Privileges.areRequired))
        func badConfigurationField() throws {
            try SensorTests.requireExecutable()
            let directory = try TemporaryDirectory()
            let config = try directory.write("scoring: {threshold: 500}\n", to: "rarenet.yaml")
            let (termination, message) = try SensorProcess.run(["run", "--config", config])
            #expect(termination == Self.usageError)
            expectOneLine(message, mentioning: [config, "scoring.threshold", "500"])
        }

        @Test("a state directory that is a regular file: one line naming it, exit 2",
              .enabled(if: SensorProcess.isBuilt || Privileges.areRequired))
        func stateDirectoryIsAFile() throws {
            try SensorTests.requireExecutable()
            let directory = try TemporaryDirectory()
            let state = try directory.write("", to: "state")
            let (termination, message) = try SensorProcess.run(["run", "--state", state, "--metrics-address", "0"])
            #expect(termination == Self.usageError)
            expectOneLine(message, mentioning: [state])
        }

        @Test("a state directory or configuration other users can write is refused: one line, exit 2",
              .enabled(if: SensorProcess.isBuilt || Privileges.areRequired))
        func writableByOthersIsRefused() throws {
            try SensorTests.requireExecutable()
            let directory = try TemporaryDirectory()
            let state = try directory.makeDirectory("state", mode: 0o777)
            let (stateTermination, stateMessage) = try SensorProcess.run(["run", "--state", state, "--metrics-address", "0"])
            #expect(stateTermination == Self.usageError)
            expectOneLine(stateMessage, mentioning: [state, "writable"])

            let config = try directory.write("scoring: {threshold: 60}\n", to: "rarenet.yaml", mode: 0o666)
            let (configTermination, configMessage) = try SensorProcess.run(["run", "--config", config])
            #expect(configTermination == Self.usageError)
            expectOneLine(configMessage, mentioning: [config, "writable"])
        }

        @Test(
            "--attach kprobe on a kernel without kprobes: a one-line error naming CONFIG_KPROBES, non-zero exit",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(1)))
        func forcedKprobeFails() throws {
            try SensorTests.requireRootAndExecutable()
            try #require(!KernelSupport.hasKprobes, "this kernel has kprobes")
            let directory = try TemporaryDirectory()
            let state = try directory.makeDirectory("state")
            let (termination, message) = try SensorProcess.run([
                "run", "--attach", "kprobe", "--state", state, "--alerts", directory.path + "/alerts.jsonl",
                "--metrics-address", "0", "--log-level", "critical",
            ])
            #expect(termination != .exited(0))
            #expect(termination != Self.usageError, "a kernel that lacks a feature is not a usage error")
            expectOneLine(message, mentioning: ["CONFIG_KPROBES"])
        }

        /// `message` is one `rarenet: …` line that contains every one of `words`.
        private func expectOneLine(_ message: String, mentioning words: [String],
                                   sourceLocation: SourceLocation = #_sourceLocation) {
            let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 2 && lines[1].isEmpty, "not one line: \(message.debugDescription)",
                    sourceLocation: sourceLocation)
            #expect(message.hasPrefix("rarenet: "), "\(message.debugDescription)", sourceLocation: sourceLocation)
            for word in words {
                #expect(message.contains(word), "\(message.debugDescription) does not mention \(word)",
                        sourceLocation: sourceLocation)
            }
        }
    }
}
