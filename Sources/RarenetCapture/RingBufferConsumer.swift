import CLibBPF
import Synchronization

/// Reads a `BPF_MAP_TYPE_RINGBUF` map in batches, straight from its mmapped memory.
///
/// This is the consumer half of the kernel's ring buffer protocol, without
/// libbpf's per-record callback. Each call to ``drainBatch(_:)``:
///
/// 1. load-acquires `producer_pos` once;
/// 2. walks the records between its consumer position and that producer
///    position. Each record starts with an 8-byte header: a 32-bit length whose
///    top bits are flags (`BPF_RINGBUF_BUSY_BIT`: still being written;
///    `BPF_RINGBUF_DISCARD_BIT`: dropped by its producer) and a 32-bit page
///    offset the kernel uses. Records are 8-byte aligned. The length word is
///    load-acquired, pairing with the kernel's commit, so the record's bytes
///    are visible before its length says it is complete;
/// 3. stops at the first BUSY record (records are consumed strictly in order,
///    so nothing after it may be released yet), skips and counts DISCARD
///    records, and hands every committed record's bytes to the caller in place;
/// 4. store-releases `consumer_pos` once, which gives the whole batch's space
///    back to the kernel.
///
/// A batch holds at most ``maxRecordsPerBatch`` records (committed and
/// discarded), so one drain never starves the stage after it.
///
/// Use a consumer from one thread at a time (it is the ring's only consumer).
/// Between batches, when a drain found nothing, wait for the kernel's wake-up
/// with an ``EpollWaiter`` on the same map file descriptor.
public final class RingBufferConsumer {
    /// The most records (committed and discarded) one batch walks.
    public let maxRecordsPerBatch: Int

    /// Records handed to callers since the consumer was created.
    public var consumedRecords: UInt64 { consumedRecordCount }
    /// Discarded records skipped since the consumer was created.
    public var discardedRecords: UInt64 { discardedRecordCount }

    @usableFromInline let mapping: RingBufferMapping
    @usableFromInline let mask: UInt
    /// The consumer position as last published; only this consumer writes it.
    @usableFromInline var position: UInt
    @usableFromInline var consumedRecordCount: UInt64 = 0
    @usableFromInline var discardedRecordCount: UInt64 = 0

    /// Maps the ring buffer behind `mapFileDescriptor` (a `BPF_MAP_TYPE_RINGBUF` map).
    ///
    /// The consumer does not own the descriptor: keep it open while the consumer
    /// lives. Consumption starts where the map's consumer position stands.
    ///
    /// - Parameter maxRecordsPerBatch: the most records one ``drainBatch(_:)`` walks; at least 1.
    public init(mapFileDescriptor: Int32, maxRecordsPerBatch: Int = 4096) throws(BPFMapError) {
        precondition(maxRecordsPerBatch > 0, "maxRecordsPerBatch must be at least 1")
        mapping = try RingBufferMapping(fileDescriptor: mapFileDescriptor)
        mask = UInt(mapping.capacity - 1)
        position = mapping.consumerPosition.pointee.load(ordering: .acquiring)
        self.maxRecordsPerBatch = maxRecordsPerBatch
    }

    /// The size of the ring's data area in bytes.
    public var capacity: Int { mapping.capacity }

    /// Bytes the kernel has reserved that this consumer has not released yet
    /// (committed, discarded and still-busy records, with their headers).
    public var pendingBytes: Int {
        Int(mapping.producerPosition.pointee.load(ordering: .acquiring) &- position)
    }

    /// Walks one batch of records and hands each committed record to `handleRecord`.
    ///
    /// `handleRecord` receives the record's bytes in the ring itself, without the
    /// 8-byte ring header: they are valid only during the call, because the space
    /// is given back to the kernel when the batch ends. It is called in ring
    /// order, on the calling thread.
    ///
    /// - Returns: what the batch contained and why it ended; when
    ///   ``RingBufferBatch/end`` is ``RingBufferBatch/End/batchLimit``, more
    ///   records are ready and the caller should drain again before waiting.
    @inlinable
    public func drainBatch(_ handleRecord: (UnsafeRawBufferPointer) -> Void) -> RingBufferBatch {
        drainBatch(upTo: loadProducerPosition(), handleRecord)
    }

    /// `producer_pos`, load-acquired: every record before it is reserved, and
    /// its length word is visible.
    @inlinable
    func loadProducerPosition() -> UInt {
        mapping.producerPosition.pointee.load(ordering: .acquiring)
    }

    /// Bytes between the consumer position and `producerPosition`.
    @inlinable
    func bytesBefore(_ producerPosition: UInt) -> Int {
        Int(producerPosition &- position)
    }

    /// ``drainBatch(_:)`` with `producer_pos` already loaded.
    @inlinable
    func drainBatch(upTo producerPosition: UInt, _ handleRecord: (UnsafeRawBufferPointer) -> Void) -> RingBufferBatch {
        // Locals, not the stored properties, in the loop: stores through the
        // records' pointers would otherwise make the compiler reload them.
        let data = mapping.data
        let mask = mask
        let start = position
        var cursor = start
        var records = 0
        var discarded = 0
        var end = RingBufferBatch.End.caughtUp
        while cursor != producerPosition {
            if records + discarded == maxRecordsPerBatch {
                end = .batchLimit
                break
            }
            let header = data + Int(cursor & mask)
            let lengthWord = header.assumingMemoryBound(to: Atomic<UInt32>.self).pointee.load(ordering: .acquiring)
            if lengthWord & RingBufferRecordHeader.busyBit != 0 {
                end = .busyRecord
                break
            }
            let length = Int(lengthWord & RingBufferRecordHeader.lengthMask)
            cursor &+= RingBufferRecordHeader.footprint(ofLength: length)
            if lengthWord & RingBufferRecordHeader.discardBit != 0 {
                discarded += 1
            } else {
                handleRecord(UnsafeRawBufferPointer(start: header + RingBufferRecordHeader.size, count: length))
                records += 1
            }
        }
        if cursor != start {
            mapping.consumerPosition.pointee.store(cursor, ordering: .releasing)
            position = cursor
        }
        consumedRecordCount &+= UInt64(records)
        discardedRecordCount &+= UInt64(discarded)
        return RingBufferBatch(records: records, discardedRecords: discarded, bytes: Int(cursor &- start), end: end)
    }
}

/// What one ``RingBufferConsumer/drainBatch(_:)`` did.
public struct RingBufferBatch: Sendable, Hashable {
    /// Why a batch ended.
    public enum End: Sendable, Hashable {
        /// Every record the producer had reserved was consumed: the ring is empty.
        case caughtUp
        /// The next record is still being written; it is read by a later batch.
        case busyRecord
        /// The batch reached ``RingBufferConsumer/maxRecordsPerBatch``; more records are ready.
        case batchLimit
    }

    /// Committed records handed to the caller.
    public var records: Int
    /// Discarded records skipped.
    public var discardedRecords: Int
    /// Ring bytes given back to the kernel, headers and alignment included.
    public var bytes: Int
    /// Why the batch ended.
    public var end: End

    @inlinable
    public init(records: Int, discardedRecords: Int, bytes: Int, end: End) {
        self.records = records
        self.discardedRecords = discardedRecords
        self.bytes = bytes
        self.end = end
    }
}

/// The 8-byte header the kernel writes before every ring buffer record.
@usableFromInline
enum RingBufferRecordHeader {
    /// Bytes of the header.
    @usableFromInline static let size = Int(BPF_RINGBUF_HDR_SZ)
    /// Set while the producer is still writing the record.
    @usableFromInline static let busyBit = UInt32(BPF_RINGBUF_BUSY_BIT)
    /// Set when the producer discarded the record.
    @usableFromInline static let discardBit = UInt32(BPF_RINGBUF_DISCARD_BIT)
    /// The bits of the length word that hold the record's length.
    @usableFromInline static let lengthMask = ~(busyBit | discardBit)

    /// The ring bytes a record of `length` bytes occupies: header plus record, rounded up to 8.
    @inlinable
    static func footprint(ofLength length: Int) -> UInt {
        UInt((length + size + 7) & ~7)
    }
}
