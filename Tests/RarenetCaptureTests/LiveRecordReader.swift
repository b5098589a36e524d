import RarenetCapture
import RarenetEvents
import RarenetTestSupport

/// Reads the probes' ring buffer the way the sensor does: the batch consumer
/// over the mmapped ring, the record decoder, and epoll between batches.
final class LiveRecordReader {
    private let consumer: RingBufferConsumer
    private let waiter: EpollWaiter
    private var decoder = RecordDecoder()

    /// Every record read so far, in ring order.
    private(set) var records: [CapturedRecord] = []

    /// Records the decoder did not trust.
    var rejections: RecordRejectionCounts { decoder.rejections }

    init(_ probes: KernelProbes) throws {
        consumer = try RingBufferConsumer(mapFileDescriptor: probes.ringBuffer.fileDescriptor)
        waiter = try EpollWaiter(watching: probes.ringBuffer.fileDescriptor)
    }

    /// Reads records until `condition` holds for all of them, or `timeout` passes.
    ///
    /// - Returns: whether `condition` held.
    func read(until condition: ([CapturedRecord]) -> Bool, timeout: Duration = .seconds(10)) throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            drain()
            if condition(records) { return true }
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { return false }
            _ = try waiter.wait(timeout: min(remaining, .milliseconds(100)))
        }
    }

    /// Reads whatever the ring holds now, without waiting.
    func drain() {
        var batch: RingBufferBatch
        repeat {
            batch = consumer.drainBatch { bytes in
                if let record = decoder.decode(bytes) { records.append(record) }
            }
        } while batch.end == .batchLimit
    }
}

/// A process as the kernel names it in a record: its id and its start time.
struct RecordedProcess: Hashable {
    let pid: UInt32
    let startBootNanoseconds: UInt64
}

extension CapturedRecordHeader {
    /// The process the record is about.
    var process: RecordedProcess {
        RecordedProcess(pid: pid, startBootNanoseconds: processStartBootTimeNanoseconds)
    }
}

extension Array where Element == CapturedRecord {
    var network: [CapturedNetworkRecord] {
        compactMap { if case .network(let record) = $0 { record } else { nil } }
    }
    var execs: [CapturedExecRecord] {
        compactMap { if case .exec(let record) = $0 { record } else { nil } }
    }
    var exits: [CapturedExitRecord] {
        compactMap { if case .exit(let record) = $0 { record } else { nil } }
    }
}

extension TestEndpoint {
    /// The endpoint's address as the decoder reports it.
    var ipAddress: IPAddress {
        IPAddress(family: addressFamily, networkOrderBytes: address)
    }

    /// The endpoint's address family as the decoder reports it.
    var addressFamily: AddressFamily {
        address.count == 4 ? .ipv4 : .ipv6
    }
}
