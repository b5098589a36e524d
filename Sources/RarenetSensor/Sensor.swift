import Logging
import RarenetAlerts
import RarenetAttribution
import RarenetBaseline
import RarenetCapture
import RarenetConfig
import RarenetEvents
import RarenetMetrics
import RarenetScoring
import ServiceLifecycle
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

/// The long-running sensor (`rarenet run`): attach, consume, attribute, score, alert.
///
/// Two dedicated threads carry the data flow of DESIGN.md: the capture thread
/// drains the BPF ring buffer in batches and decodes them; the scoring thread
/// attributes each record to its process, scores it and writes alerts. A
/// single-producer/single-consumer queue joins them.
///
/// As a swift-service-lifecycle `Service`: on graceful shutdown (SIGTERM,
/// SIGINT) it drains the ring, scores what was in it, writes the final
/// snapshot and returns; SIGHUP reopens the alert file for log rotation.
public final class Sensor: Service {
    private let configuration: SensorConfiguration
    private let resetBaseline: Bool
    private let dropPrivileges: Bool
    private let metrics: SensorMetrics
    private let logger: Logger

    /// - Parameters:
    ///   - configuration: every option, from the file and flags.
    ///   - resetBaseline: move a snapshot that cannot be used aside and start fresh,
    ///     instead of refusing to start.
    ///   - dropPrivileges: give up capabilities once attached (see ``PrivilegeDrop``).
    public init(
        configuration: SensorConfiguration,
        resetBaseline: Bool = false,
        dropPrivileges: Bool = true,
        metrics: SensorMetrics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.resetBaseline = resetBaseline
        self.dropPrivileges = dropPrivileges
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        // Everything that can be refused is checked before touching the kernel.
        var scorer = try RarityScorer(configuration: ScoringConfiguration(configuration, sensorProcessID: UInt32(getpid())))
        let store = try SnapshotStore(directory: configuration.state.directory)
        try BaselinePersistence.restore(into: &scorer, from: store, resettingInvalid: resetBaseline, logger: logger)
        let alerts = AlertOutput(
            sink: try LineSink.opening(configuration.outputs.alerts),
            hostName: HostName.current(),
            logger: logger)

        let probes = try KernelProbes.load(KernelProbes.Configuration(configuration.capture), logger: logger)
        let report = try probes.attach()
        recordAttach(report)
        let consumer = try RingBufferConsumer(mapFileDescriptor: probes.ringBuffer.fileDescriptor)
        let waiter = try EpollWaiter(watching: probes.ringBuffer.fileDescriptor)
        let kernelCounters = try KernelCounters(mapFileDescriptor: probes.counters.fileDescriptor)
        metrics.setRingBufferSize(bytes: probes.ringBuffer.size)

        // Processes that started before the probes were attached.
        let table = ProcessTable<ProcessKey>(configuration: .init(capacity: configuration.processTable.capacity))
        let scanned = table.scanProcFS()
        logger.info("read running processes from /proc", metadata: ["processes": "\(scanned)"])

        if dropPrivileges {
            try PrivilegeDrop.dropPrivileges()
            logger.info("dropped privileges", metadata: ["kept_capabilities": "CAP_DAC_READ_SEARCH CAP_SYS_PTRACE"])
        }

        let queue = try SPSCQueue<CaptureMessage>(minimumCapacity: 256)
        let capture = CaptureLoop(
            consumer: consumer, waiter: waiter, queue: queue, kernelCounters: kernelCounters, metrics: metrics)
        let scoring = ScoringStage(
            scorer: scorer,
            table: table,
            alerts: alerts,
            metrics: metrics,
            persistence: BaselinePersistence(
                store: store, interval: configuration.state.snapshotInterval, metrics: metrics, logger: logger),
            logger: logger)
        let scoringThread = DedicatedThread(name: "rarenet-score") { scoring.run(from: queue) }
        let captureThread = DedicatedThread(name: "rarenet-capture") { capture.run() }
        logger.info("sensor running", metadata: ["hooks": "\(report)", "learning": "\(scorer.isLearning)"])

        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    alerts.reopen()
                }
            }
            await withTaskCancellationOrGracefulShutdownHandler {
                await scoringThread.finished()
            } onCancelOrGracefulShutdown: {
                capture.stop()
            }
            group.cancelAll()
        }
        await captureThread.finished()
        probes.detach()
        logger.info("sensor stopped")
    }

    /// Publishes how the network hooks were attached, and whether auto mode fell back.
    private func recordAttach(_ report: AttachReport) {
        let network = report.entries.filter(\.hook.isNetwork)
        let mode: SensorMetrics.AttachMode = network.allSatisfy { $0.mechanism == .kprobe } ? .kprobe : .tracepoint
        let fellBack = network.contains { $0.fallbackReason != nil }
        metrics.recordAttach(mode: mode, fellBack: fellBack)
        for entry in network {
            if let reason = entry.fallbackReason {
                logger.notice("hook fell back", metadata: [
                    "hook": "\(entry.hook)", "mechanism": "\(entry.mechanism)", "reason": "\(reason)",
                ])
            }
        }
    }
}

extension LineSink {
    /// Opens the configured alert destination.
    static func opening(_ destination: SensorConfiguration.AlertDestination) throws(LineSinkError) -> LineSink {
        switch destination {
        case .standardOutput: standardOutput()
        case .file(let path): try LineSink(path: path)
        }
    }
}

extension KernelProbes.Configuration {
    /// The loader's configuration for the configured capture settings (the
    /// calling process's own events excluded).
    ///
    /// - Throws: ``CaptureError/invalidRingBufferSize(_:)``.
    public init(_ capture: SensorConfiguration.Capture) throws {
        self.init(attachMode: AttachMode(capture.attach), ringBufferSize: try RingBufferSize(bytes: capture.ringBufferSize))
    }
}

extension AttachMode {
    /// The loader's attach mode for the configured one.
    init(_ mode: SensorConfiguration.AttachMode) {
        switch mode {
        case .auto: self = .auto
        case .kprobe: self = .kprobe
        case .tracepoint: self = .tracepoint
        }
    }
}
