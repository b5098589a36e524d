import ArgumentParser
import RarenetBaseline
import RarenetCapture
import RarenetConfig
#if canImport(Glibc)
import Glibc
#endif

/// The `rarenet` command: a host sensor that flags processes whose network use is rare.
@main
struct Rarenet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rarenet",
        abstract: "Flag processes whose network use (connect, bind) is statistically rare.",
        version: RarenetVersion.current,
        subcommands: [RunCommand.self, RecordCommand.self, ReplayCommand.self, LearnCommand.self, MergeCommand.self, KeyCommand.self]
    )

    /// Exit status of a usage or configuration error: a bad flag, a bad
    /// configuration field, an unusable state directory.
    static let usageErrorStatus: Int32 = 2

    /// Runs the command. Errors are one line on standard error: usage and
    /// configuration errors exit 2, any other failure exits 1.
    static func main() async {
        // A closed standard output is a write error to report, not a signal that kills.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if let attaching = command as? any ProbeAttachingCommand {
                try await runOnMainThread(attaching)
            } else if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let status = exitCode(for: error)
            if status == .success {
                exit(withError: error)  // --help, --version
            }
            let message = isUsageError(error) ? message(for: error) : String(describing: error)
            printToStandardError("rarenet: \(message)")
            Glibc.exit(isUsageError(error) ? usageErrorStatus : EXIT_FAILURE)
        }
    }

    private static func isUsageError(_ error: any Error) -> Bool {
        if error is ConfigurationError || error is SnapshotStoreError { return true }
        if case CaptureError.invalidRingBufferSize = error { return true }
        return exitCode(for: error) == .validationFailure
    }
}
