import Logging
import RarenetAlerts
import RarenetAttribution
import RarenetBaseline
import RarenetCapture
import RarenetConfig
import RarenetEvents
import RarenetScoring
#if canImport(Glibc)
import Glibc
#endif

/// Everything the sensor needs root for, acquired once at start-up: the
/// baseline and alert file (checked first, so a configuration problem fails
/// before the kernel is touched), the attached probes, the mapped ring
/// buffer, and the processes already running. Then privileges are dropped.
///
/// Call ``attach(configuration:resetBaseline:dropPrivileges:logger:)`` while
/// the process has a single thread (at the top of `main`, before anything
/// starts NIO or a concurrency-pool task): capabilities are per thread, and
/// only threads started after the drop are free of them.
public final class SensorAttachment: @unchecked Sendable {
    let probes: KernelProbes
    let report: AttachReport
    let consumer: RingBufferConsumer
    let waiter: EpollWaiter
    let kernelCounters: KernelCounters
    let table: ScoringProcessTable
    let scorer: RarityScorer
    let store: SnapshotStore
    let alerts: AlertOutput

    private init(
        probes: KernelProbes, report: AttachReport, consumer: RingBufferConsumer, waiter: EpollWaiter,
        kernelCounters: KernelCounters, table: ScoringProcessTable, scorer: RarityScorer,
        store: SnapshotStore, alerts: AlertOutput
    ) {
        self.probes = probes
        self.report = report
        self.consumer = consumer
        self.waiter = waiter
        self.kernelCounters = kernelCounters
        self.table = table
        self.scorer = scorer
        self.store = store
        self.alerts = alerts
    }

    /// Loads the baseline, opens the alert output, attaches the probes, reads
    /// /proc, and drops privileges.
    ///
    /// - Parameters:
    ///   - resetBaseline: move a snapshot that cannot be used aside and start
    ///     fresh, instead of refusing to start.
    ///   - dropPrivileges: give up capabilities once attached (``PrivilegeDrop``).
    public static func attach(
        configuration: SensorConfiguration,
        resetBaseline: Bool,
        dropPrivileges: Bool,
        logger: Logger
    ) throws -> SensorAttachment {
        var scorer = try RarityScorer(
            configuration: ScoringConfiguration(configuration, sensorProcessID: UInt32(getpid())))
        let store = try SnapshotStore(directory: configuration.state.directory)
        try BaselinePersistence.restore(into: &scorer, from: store, resettingInvalid: resetBaseline, logger: logger)
        let alerts = AlertOutput(
            sink: try LineSink.opening(configuration.outputs.alerts), hostName: HostName.current(),
            destinationPorts: scorer.configuration.destinationPorts, logger: logger)

        let kernel = try AttachedProbes(KernelProbes.Configuration(configuration.capture), logger: logger)

        // Processes that started before the probes were attached.
        let table = ScoringProcessTable(configuration: .init(capacity: configuration.processTable.capacity))
        let scanned = table.scanProcFS()
        logger.info("read running processes from /proc", metadata: ["processes": "\(scanned)"])

        if dropPrivileges {
            let boundingSet = try PrivilegeDrop.dropPrivileges()
            logger.info("dropped privileges", metadata: [
                "kept_capabilities": "CAP_SYS_PTRACE", "bounding_set": "\(boundingSet.rawValue)",
            ])
        }
        return SensorAttachment(
            probes: kernel.probes, report: kernel.report, consumer: kernel.consumer, waiter: kernel.waiter,
            kernelCounters: kernel.kernelCounters, table: table, scorer: scorer, store: store, alerts: alerts)
    }
}
