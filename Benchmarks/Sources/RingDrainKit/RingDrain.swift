import CLibbpfRingBaseline
import RarenetCapture
import RarenetEvents

#if canImport(Glibc)
import Glibc
#endif

/// What a drain side has consumed so far.
public struct DrainTotals: Sendable, Hashable {
    /// Network records decoded.
    public var records: UInt64 = 0
    /// Records that failed validation.
    public var rejected: UInt64 = 0
    /// ``RecordFold`` of every decoded record: both sides must agree on the same records.
    public var checksum: UInt64 = 0

    public init() {}
}

/// A ring buffer consumer under test: drains what is available and decodes it.
public protocol RingDrain: AnyObject {
    /// What the benchmark tables call this consumer.
    static var label: String { get }
    /// Consumes every record available now; returns how many were consumed.
    func drainAvailable() -> Int
    var totals: DrainTotals { get }
}

/// The fields both sides fold per record, so that the decoded values are used and checked.
public enum RecordFold {
    /// Keep in step with `fold` in libbpf_ring_baseline.c.
    @inlinable
    public static func fold(_ record: CapturedNetworkRecord) -> UInt64 {
        UInt64(record.header.pid) &+ UInt64(record.sourcePort) &+ UInt64(record.destinationPort ?? 0)
            &+ (record.destinationAddress?.low ?? 0) &+ record.cgroupID &+ UInt64(record.taskName.count)
    }
}

/// rarenet's side: ``RingBufferConsumer`` batches decoded by ``RecordDecoder``
/// into a ``CapturedRecordBatch``, as the sensor's capture loop does; each
/// batch's network records are then folded, as the C side folds its batch array.
public final class SwiftRingDrain: RingDrain {
    public static let label = "rarenet RingBufferConsumer + RecordDecoder"

    public private(set) var totals = DrainTotals()
    private let consumer: RingBufferConsumer
    private var decoder = RecordDecoder()

    /// Consumes the ring buffer map `ringFileDescriptor` (not owned).
    public init(ringFileDescriptor: Int32) throws(BPFMapError) {
        consumer = try RingBufferConsumer(mapFileDescriptor: ringFileDescriptor)
    }

    public func drainAvailable() -> Int {
        let consumed = consumer.drainAvailable(decodingWith: &decoder, fold)
        totals.rejected = decoder.rejections.total
        return consumed
    }

    private func fold(_ batch: CapturedRecordBatch) {
        for record in batch.networkRecords {
            totals.checksum &+= RecordFold.fold(record)
        }
        totals.records &+= UInt64(batch.networkRecords.count)
    }
}

extension RingBufferConsumer {
    /// Drains batches, decoded by `decoder`, until the ring is caught up or
    /// its next record is still being written; hands each batch to `body`.
    ///
    /// - Returns: the records consumed.
    public func drainAvailable(decodingWith decoder: inout RecordDecoder, _ body: (CapturedRecordBatch) -> Void) -> Int {
        var consumed = 0
        var end: RingBufferBatch.End
        repeat {
            let (batch, records) = drainBatch(decodingWith: &decoder)
            body(records)
            consumed += batch.records
            end = batch.end
        } while end == .batchLimit
        return consumed
    }
}

/// The baseline: libbpf's `ring_buffer__consume` with the C decoding callback
/// of libbpf_ring_baseline.c.
public final class LibbpfRingDrain: RingDrain {
    public static let label = "libbpf ring_buffer__consume + C decode"

    private let baseline: OpaquePointer

    /// Why libbpf could not open its consumer.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Consumes the ring buffer map `ringFileDescriptor` (not owned).
    public init(ringFileDescriptor: Int32) throws(Failure) {
        guard let baseline = libbpf_ring_baseline_open(ringFileDescriptor) else {
            throw Failure(description: "ring_buffer__new failed: \(String(cString: strerror(errno)))")
        }
        self.baseline = baseline
    }

    deinit {
        libbpf_ring_baseline_close(baseline)
    }

    public func drainAvailable() -> Int {
        Int(libbpf_ring_baseline_consume(baseline))
    }

    public var totals: DrainTotals {
        let totals = libbpf_ring_baseline_totals(baseline)
        var result = DrainTotals()
        result.records = totals.records
        result.rejected = totals.rejected
        result.checksum = totals.checksum
        return result
    }
}
