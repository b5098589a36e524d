import ArgumentParser

/// A subcommand that attaches BPF probes as root and then drops privileges.
///
/// Capabilities belong to threads, so the privileged part, ``attachProbes()``, runs
/// on the main thread while the process still has only that one; every thread
/// started afterwards (NIO, the concurrency pool, the sensor's own) inherits
/// the reduced set. `Rarenet.main` calls ``attachProbes()`` first and then
/// ``run(attached:)``.
protocol ProbeAttachingCommand: AsyncParsableCommand, Sendable {
    /// What the privileged part acquired.
    associatedtype Attached: Sendable

    /// Checks the configuration, attaches the probes and drops privileges. Synchronous on purpose.
    func attachProbes() throws -> Attached

    /// Does the command's work with what ``attachProbes()`` acquired.
    func run(attached: Attached) async throws
}

extension ProbeAttachingCommand {
    func run() async throws {
        try await runOnMainThread(self)
    }
}

/// Runs a probe-attaching command: ``ProbeAttachingCommand/attachProbes()`` on the
/// main thread, before anything starts another thread.
@MainActor
func runOnMainThread<Command: ProbeAttachingCommand>(_ command: Command) async throws {
    let attached = try command.attachProbes()
    try await command.run(attached: attached)
}
