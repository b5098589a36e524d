import Logging
import RarenetAttribution
import RarenetCapture
import RarenetEvents
import RarenetIdentity
import ServiceLifecycle

/// `rarenet record`: every connect and bind the kernel probes see, attributed
/// to its process and written as one line of the JSON-lines event format
/// (DESIGN.md, "Event record format"), the input of `rarenet replay`.
///
/// One dedicated thread drains the ring buffer in batches, feeds exec and exit
/// records to the process table, and encodes each connect and bind with its
/// executable, user and parent; a batch's lines go out in one write. Nothing
/// is scored.
///
/// As a swift-service-lifecycle `Service` it records until graceful shutdown
/// (SIGINT, SIGTERM) or until ``Configuration/duration`` has passed, then
/// drains what the ring still holds and returns.
///
/// Sendable by hand: the process table, which is not, is read at attach time
/// on the main thread, then handed to the recording thread by ``run()`` and
/// touched by no other.
public final class EventRecorder: Service, @unchecked Sendable {
    /// What to attach and how long to record.
    public struct Configuration: Sendable, Hashable {
        /// How the probes attach and how large their ring buffer is.
        public var probes: KernelProbes.Configuration
        /// Most processes the attribution table holds.
        public var processTableCapacity: Int
        /// How long to record; nil records until shut down.
        public var duration: Duration?

        public init(probes: KernelProbes.Configuration, processTableCapacity: Int, duration: Duration?) {
            self.probes = probes
            self.processTableCapacity = processTableCapacity
            self.duration = duration
        }
    }

    private let configuration: Configuration
    private let kernel: AttachedProbes
    private let table: ProcessTable<Never>
    private let output: LineSink
    private let logger: Logger

    /// Attaches the probes, reads the processes already running and, with
    /// `dropPrivileges`, drops every capability but CAP_SYS_PTRACE
    /// (``PrivilegeDrop``): call it while the process has a single thread,
    /// before anything starts another; ``run()`` records.
    ///
    /// - Parameters:
    ///   - configuration: what to attach and how long to record.
    ///   - output: where the event lines go.
    /// - Throws: ``CaptureError`` when the probes cannot attach;
    ///   ``PrivilegeDropError`` when the drop fails.
    public static func attach(
        configuration: Configuration, output: LineSink, dropPrivileges: Bool, logger: Logger
    ) throws -> EventRecorder {
        let kernel = try AttachedProbes(configuration.probes, logger: logger)
        let table = ProcessTable<Never>(configuration: .init(capacity: configuration.processTableCapacity))
        table.scanProcFS()
        if dropPrivileges {
            let boundingSet = try PrivilegeDrop.dropPrivileges()
            logger.info("dropped privileges", metadata: [
                "kept_capabilities": "CAP_SYS_PTRACE", "bounding_set": "\(boundingSet.rawValue)",
            ])
        }
        return EventRecorder(configuration: configuration, kernel: kernel, table: table, output: output, logger: logger)
    }

    private init(configuration: Configuration, kernel: AttachedProbes, table: ProcessTable<Never>, output: LineSink, logger: Logger) {
        self.configuration = configuration
        self.kernel = kernel
        self.table = table
        self.output = output
        self.logger = logger
    }

    /// Records until shut down or until the configured duration has passed,
    /// then detaches.
    ///
    /// - Throws: ``LineSinkError`` when the output cannot be written
    ///   (recording stops there).
    public func run() async throws {
        let (probes, report, consumer, waiter, kernelCounters) =
            (kernel.probes, kernel.report, kernel.consumer, kernel.waiter, kernel.kernelCounters)
        let loop = RecordingLoop(
            consumer: consumer, waiter: waiter, table: table, output: output, hostName: HostName.current())
        let thread = DedicatedThread(name: "rarenet-record") { loop.run() }
        logger.info("recording", metadata: ["hooks": "\(report)"])

        await withTaskCancellationOrGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                if let duration = configuration.duration {
                    group.addTask {
                        guard (try? await Task.sleep(for: duration)) != nil else { return }
                        loop.stop()
                    }
                }
                await thread.finished()
                group.cancelAll()
            }
        } onCancelOrGracefulShutdown: {
            loop.stop()
        }
        probes.detach()

        let summary = loop.summary
        logger.info("recording stopped", metadata: [
            "events": "\(summary.events)",
            "kernel_dropped_records": "\((try? kernelCounters.read().total).map { "\($0)" } ?? "unknown")",
            "rejected_records": "\(summary.rejectedRecords)",
        ])
        if let failure = summary.outputFailure { throw failure }
    }
}

/// The recording thread's loop: drain, decode, attribute, encode, write.
private final class RecordingLoop: @unchecked Sendable {
    /// What the loop did, read once it has finished.
    struct Summary {
        /// Event lines written.
        var events: UInt64 = 0
        /// Records the decoder did not trust.
        var rejectedRecords: UInt64 = 0
        /// Why the output could not be written, when it could not.
        var outputFailure: LineSinkError?
    }

    private let consumer: RingBufferConsumer
    private let drainLoop: RingDrainLoop
    private let table: ProcessTable<Never>
    private let output: LineSink
    private let hostName: String?
    private var decoder = RecordDecoder()
    private var bootClock = BootClock()
    private var userNames = UserNameCache()
    private let origins = ProcessOriginResolver()
    private let images = ContainerImageResolver()
    private var lines = JSONLineWriter(capacity: 1 << 16)
    private var linesInBatch: UInt64 = 0
    /// Written by the loop's thread; read after it has finished.
    private(set) var summary = Summary()

    /// How often the wall clock is measured against the kernel's boot clock again.
    private static let clockInterval: Duration = .seconds(5)

    init(consumer: RingBufferConsumer, waiter: EpollWaiter, table: ProcessTable<Never>, output: LineSink, hostName: String?) {
        self.consumer = consumer
        drainLoop = RingDrainLoop(waiter: waiter)
        self.table = table
        self.output = output
        self.hostName = hostName
    }

    /// Asks the loop to write what the ring holds and stop. Any thread.
    func stop() {
        drainLoop.stop()
    }

    /// Runs until ``stop()``; on the recording thread only. When the output
    /// fails, the loop stops itself and drops what it still drains.
    func run() {
        let clock = ContinuousClock()
        var nextResynchronization = clock.now.advanced(by: Self.clockInterval)
        drainLoop.run {
            lines.reset()
            linesInBatch = 0
            let batch = consumer.drainBatch { bytes in
                if let record = decoder.decode(bytes) { attribute(record) }
            }
            write()
            if clock.now >= nextResynchronization {
                bootClock.resynchronize()
                nextResynchronization = clock.now.advanced(by: Self.clockInterval)
            }
            return batch
        }
        summary.rejectedRecords = decoder.rejections.total
    }

    /// Writes the batch's lines, unless the output has failed already.
    private func write() {
        guard summary.outputFailure == nil else { return }
        do {
            try output.write(lines: lines.bytes)
            summary.events += linesInBatch
        } catch {
            summary.outputFailure = error
            drainLoop.stop()
        }
    }

    /// Feeds the process table, or encodes a connect or bind as an event line.
    private func attribute(_ record: CapturedRecord) {
        switch record {
        case .exec(let exec):
            table.apply(ProcessExec(exec))
        case .exit(let exit):
            table.apply(ProcessExit(exit))
        case .network(let network):
            let process = table.lookup(ProcessIdentity(network.header), executable: ExecutableHint(network))
            let facts = AttributedFacts(of: process, for: network, resolver: origins, images: images).facts
            let event = NetworkEvent(
                timestamp: bootClock.eventTime(bootNanoseconds: network.header.bootTimeNanoseconds),
                action: network.action,
                pid: network.header.pid,
                uid: network.uid,
                comm: facts.name,
                ppid: network.ppid,
                executable: facts.displayedExecutable,
                user: userNames.name(of: network.uid),
                family: network.family,
                transport: network.transport,
                sourceAddress: network.sourceAddress,
                sourcePort: network.sourcePort,
                destinationAddress: network.destinationAddress,
                destinationPort: network.destinationPort,
                host: hostName,
                arguments: facts.arguments.isEmpty ? nil : facts.arguments,
                container: EventContainer(facts.origin),
                inForeignNamespace: facts.origin == .foreignNamespace)
            EventLineEncoder.encode(event, into: &lines)
            linesInBatch += 1
        }
    }
}
