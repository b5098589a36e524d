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

/// The long-running sensor (`rarenet run`): consume, attribute, score, alert.
///
/// It runs on what a ``SensorAttachment`` acquired. Two dedicated threads
/// carry the data flow of DESIGN.md: the capture thread drains the BPF ring
/// buffer in batches and decodes them; the scoring thread attributes each
/// record to its process, scores it and writes alerts. A
/// single-producer/single-consumer queue joins them.
///
/// As a swift-service-lifecycle `Service`: on graceful shutdown (SIGTERM,
/// SIGINT) it drains the ring, scores what was in it, writes the final
/// snapshot and returns; SIGHUP reopens the alert file for log rotation.
public final class Sensor: Service {
    private let attachment: SensorAttachment
    private let snapshotInterval: Duration
    private let metrics: SensorMetrics
    private let logger: Logger

    /// - Parameters:
    ///   - attachment: the probes, ring buffer, baseline and outputs acquired at start-up.
    ///   - snapshotInterval: how often the baseline is saved (also on shutdown).
    public init(attachment: SensorAttachment, snapshotInterval: Duration, metrics: SensorMetrics, logger: Logger) {
        self.attachment = attachment
        self.snapshotInterval = snapshotInterval
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        let attachment = self.attachment
        recordAttach(attachment.report)
        metrics.setRingBufferSize(bytes: attachment.probes.ringBuffer.size)

        let queue = try SPSCQueue<CaptureMessage>(minimumCapacity: 256)
        let capture = CaptureLoop(
            consumer: attachment.consumer, waiter: attachment.waiter, queue: queue,
            kernelCounters: attachment.kernelCounters, metrics: metrics)
        let scoring = ScoringStage(
            scorer: attachment.scorer,
            table: attachment.table,
            alerts: attachment.alerts,
            metrics: metrics,
            persistence: BaselinePersistence(
                store: attachment.store, interval: snapshotInterval, metrics: metrics, logger: logger),
            logger: logger)
        let scoringThread = DedicatedThread(name: "rarenet-score") { scoring.run(from: queue) }
        let captureThread = DedicatedThread(name: "rarenet-capture") { capture.run() }
        logger.info("sensor running", metadata: [
            "hooks": "\(attachment.report)", "learning": "\(attachment.scorer.isLearning)",
        ])

        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    attachment.alerts.reopen()
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
        attachment.probes.detach()
        logger.info("sensor stopped")
    }

    /// Publishes how the network hooks were attached, and whether auto mode fell back.
    private func recordAttach(_ report: AttachReport) {
        let network = report.entries.filter(\.hook.isNetwork)
        let mode: SensorMetrics.AttachMode = network.allSatisfy { $0.mechanism == .kprobe } ? .kprobe : .tracepoint
        metrics.recordAttach(mode: mode, fellBack: network.contains { $0.fallbackReason != nil })
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
