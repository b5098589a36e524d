import ArgumentParser
import Logging
import Metrics
import RarenetConfig
import RarenetMetrics
import RarenetSensor
import ServiceLifecycle

/// `rarenet run`: the live sensor.
struct RunCommand: ProbeAttachingCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Attach the probes and flag rare network activity, live (root).",
        discussion: """
            Alerts are ECS JSON lines on standard output or --alerts FILE; metrics are \
            served at /metrics on --metrics-address. SIGTERM or SIGINT drains the ring \
            buffer, writes the final snapshot and exits 0; SIGHUP reopens the alert file.
            """)

    @Option(help: "YAML configuration file (see deploy/rarenet.yaml); flags override it.")
    var config: String?

    @Option(help: "Alert file (appended, created 0600), or - for standard output. [outputs.alerts]")
    var alerts: String?

    @Option(help: "host:port of the metrics endpoint, or 0 to disable. [outputs.metrics_address]")
    var metricsAddress: String?

    @Option(help: "Directory of the baseline snapshots. [state.directory]")
    var state: String?

    @Option(help: "How often the baseline is saved, e.g. 5m. [state.snapshot_interval]")
    var snapshotInterval: String?

    @OptionGroup(title: "Scoring")
    var scoring: ScoringOptions

    @Flag(help: "Move a baseline snapshot that cannot be used aside and start fresh, instead of refusing to start.")
    var resetBaseline = false

    @OptionGroup(title: "Capture")
    var capture: CaptureOptions

    @OptionGroup(title: "Logging")
    var logging: LoggingOptions

    /// What the privileged start-up hands to the service.
    struct Attached: Sendable {
        let configuration: SensorConfiguration
        let attachment: SensorAttachment
        let logger: Logger
    }

    func attachProbes() throws -> Attached {
        var overrides = ConfigurationOverrides()
        capture.apply(to: &overrides)
        overrides.set(.alerts, to: alerts, flag: "--alerts")
        overrides.set(.metricsAddress, to: metricsAddress, flag: "--metrics-address")
        overrides.set(.stateDirectory, to: state, flag: "--state")
        overrides.set(.snapshotInterval, to: snapshotInterval, flag: "--snapshot-interval")
        scoring.apply(to: &overrides)
        let configuration = try SensorConfiguration.load(file: config, overrides: overrides)
        let logger = logging.makeLogger()
        let attachment = try SensorAttachment.attach(
            configuration: configuration, resetBaseline: resetBaseline, dropPrivileges: true, logger: logger)
        return Attached(configuration: configuration, attachment: attachment, logger: logger)
    }

    func run(attached: Attached) async throws {
        let (configuration, logger) = (attached.configuration, attached.logger)
        let metrics = SensorMetrics(
            version: RarenetVersion.current,
            detectors: configuration.scoring.detectors.map(\.rawValue))
        MetricsSystem.bootstrap(metrics.metricsFactory)

        var services: [any Service] = []
        if case .listen(let host, let port) = configuration.outputs.metricsAddress {
            let server = try await MetricsServer.bind(host: host, port: port, logger: logger) {
                metrics.exposition()
            }
            logger.info("serving metrics", metadata: ["address": "\(configuration.outputs.metricsAddress)"])
            services.append(server)
        }
        services.append(Sensor(
            attachment: attached.attachment,
            snapshotInterval: configuration.state.snapshotInterval,
            metrics: metrics,
            logger: logger))
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
