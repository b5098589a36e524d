import RarenetCapture
import RarenetMetrics

/// What the capture thread hands the scoring thread.
enum CaptureMessage: Sendable {
    /// Decoded records, in ring order.
    case records(CapturedRecordBatch)
    /// The ring is drained for good: the capture loop has stopped.
    case finished
}

/// The capture thread's loop: drains the ring buffer in batches, decodes the
/// records and passes each batch to the scoring thread through a
/// single-producer/single-consumer queue.
///
/// When the ring is empty it sleeps in epoll until the kernel signals data.
/// When the queue is full it waits for the scoring thread (the ring then
/// fills, and the kernel counts what it cannot take: back-pressure is visible
/// in `rarenet_kernel_dropped_records_total`, never an unbounded buffer).
/// About once a second it publishes the ring's pending bytes, the kernel's
/// drop counters and the decoder's rejections.
final class CaptureLoop: @unchecked Sendable {
    private let consumer: RingBufferConsumer
    private let drainLoop: RingDrainLoop
    private let queue: SPSCQueue<CaptureMessage>
    private let kernelCounters: KernelCounters
    private let metrics: SensorMetrics
    private var decoder = RecordDecoder()
    private var publishedRejections = RecordRejectionCounts()

    /// How long a hand-over waits at most for room in the queue before it tries again.
    private static let handOverWait: Duration = .milliseconds(250)
    private static let metricsInterval: Duration = .seconds(1)

    init(
        consumer: RingBufferConsumer,
        waiter: EpollWaiter,
        queue: SPSCQueue<CaptureMessage>,
        kernelCounters: KernelCounters,
        metrics: SensorMetrics
    ) {
        self.consumer = consumer
        drainLoop = RingDrainLoop(waiter: waiter)
        self.queue = queue
        self.kernelCounters = kernelCounters
        self.metrics = metrics
    }

    /// Asks the loop to drain what the ring holds, hand it over and stop. Any thread.
    func stop() {
        drainLoop.stop()
    }

    /// Runs until ``stop()``; on the capture thread only.
    func run() {
        let clock = ContinuousClock()
        var nextPublication = clock.now
        drainLoop.run {
            let (batch, records) = consumer.drainBatch(decodingWith: &decoder)
            if !records.isEmpty { hand(.records(records)) }
            if clock.now >= nextPublication {
                publishMetrics()
                nextPublication = clock.now.advanced(by: Self.metricsInterval)
            }
            return batch
        }
        publishMetrics()
        hand(.finished)
    }

    /// Passes a message on, waiting while the scoring thread catches up.
    private func hand(_ message: CaptureMessage) {
        while !queue.push(message, timeout: Self.handOverWait) {}
    }

    private func publishMetrics() {
        metrics.setRingBufferPendingBytes(consumer.pendingBytes)
        if let drops = try? kernelCounters.read() {
            metrics.updateKernelDrops(KernelDropTotals(network: drops.network, exec: drops.exec, exit: drops.exit))
        }
        let rejections = decoder.rejections
        for reason in RecordRejection.Reason.allCases {
            let new = rejections[reason] - publishedRejections[reason]
            if new > 0 { metrics.recordSkippedRecords(Int(new), reason: SensorMetrics.SkipReason(reason)) }
        }
        publishedRejections = rejections
    }
}

extension SensorMetrics.SkipReason {
    /// The metric label for a decoder rejection.
    init(_ reason: RecordRejection.Reason) {
        switch reason {
        case .unknownKind: self = .unknownKind
        case .unsupportedVersion: self = .versionMismatch
        case .sizeMismatch, .truncated: self = .sizeMismatch
        case .invalidField: self = .malformed
        }
    }
}
