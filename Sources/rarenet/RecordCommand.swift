import ArgumentParser
import Logging
import RarenetCapture
import RarenetConfig
import RarenetEvents
import RarenetSensor
import ServiceLifecycle

/// `rarenet record`: the live connects and binds as JSON-lines events, for `rarenet replay`.
struct RecordCommand: ProbeAttachingCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Attach the probes and write every connect and bind as a JSON-lines event (root).",
        discussion: """
            One line per event in the event record format (ts, action, pid, uid, comm, ppid, exe, \
            user, family, protocol, saddr, sport, daddr, dport, host), on standard output or \
            --output FILE. Records until SIGINT or SIGTERM, or for --duration.
            """)

    @Option(help: "YAML configuration file (see deploy/rarenet.yaml); its capture and process_table settings apply.")
    var config: String?

    @Option(help: "Event file (appended, created 0600); standard output when absent.")
    var output: String?

    @Option(help: "Stop after this long, e.g. 30s or 5m; until SIGINT/SIGTERM when absent.")
    var duration: String?

    @OptionGroup(title: "Capture")
    var capture: CaptureOptions

    @OptionGroup(title: "Logging")
    var logging: LoggingOptions

    func validate() throws {
        if let duration, DurationSyntax.parse(duration).map({ $0 > .zero }) != true {
            throw ValidationError("--duration: '\(duration)' is not a positive duration (e.g. 30s, 5m, 1h)")
        }
    }

    /// The event file, or standard output; a file that cannot be opened is a usage error.
    private func openOutput() throws -> LineSink {
        guard let output else { return .standardOutput() }
        do {
            return try LineSink(path: output)
        } catch {
            throw ValidationError("--output: \(error)")
        }
    }

    /// What the privileged start-up hands to the recording.
    struct Attached: Sendable {
        let recorder: EventRecorder
        let logger: Logger
    }

    func attachProbes() throws -> Attached {
        var overrides = ConfigurationOverrides()
        capture.apply(to: &overrides)
        let configuration = try SensorConfiguration.load(file: config, overrides: overrides)
        let sink = try openOutput()
        let logger = logging.makeLogger()
        let recorder = try EventRecorder.attach(
            configuration: .init(
                probes: try KernelProbes.Configuration(configuration.capture),
                processTableCapacity: configuration.processTable.capacity,
                duration: duration.flatMap(DurationSyntax.parse)),
            output: sink, dropPrivileges: true, logger: logger)
        return Attached(recorder: recorder, logger: logger)
    }

    func run(attached: Attached) async throws {
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: attached.recorder, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: attached.logger))
        try await group.run()
    }
}
