import CRingProducer

#if canImport(Glibc)
import Glibc
#endif

/// A loaded bpf/ringbuf_producer.bpf.c: a BPF program, run through
/// `BPF_PROG_TEST_RUN`, that writes rarenet network records into its own ring
/// buffer as fast as the kernel allows.
public final class RingProducer {
    /// Why a producer could not be loaded or run.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Where `make bpf` puts the producer object: `.build/bpf/` of the rarenet package.
    public static let defaultObjectPath: String = {
        // This file is <root>/Benchmarks/Sources/RingDrainKit/RingProducer.swift.
        var root = #filePath
        for _ in 0..<4 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
        return root + "/.build/bpf/ringbuf_producer.bpf.o"
    }()

    /// Ring bytes one network record occupies (ring header and alignment included).
    public static let networkRecordFootprint = Int(ring_producer_network_footprint())

    /// The ring buffer map, owned by the producer.
    public var ringFileDescriptor: Int32 { ring_producer_ring_fd(producer) }
    /// The per-CPU drop counters (the layout of the sensor's `rarenet_counters`).
    public var countersFileDescriptor: Int32 { ring_producer_counters_fd(producer) }
    /// The ring's data size in bytes.
    public let ringSize: Int

    private let producer: OpaquePointer

    /// Loads the producer with a ring of `ringSize` bytes (a power of two, at least a page).
    public init(ringSize: Int, objectPath: String = RingProducer.defaultObjectPath) throws(Failure) {
        guard let producer = ring_producer_open(objectPath, UInt32(ringSize)) else {
            throw Failure(description: "cannot load \(objectPath) with a \(ringSize)-byte ring (run `make bpf` first, as root): \(String(cString: strerror(errno)))")
        }
        self.producer = producer
        self.ringSize = ringSize
    }

    deinit {
        ring_producer_close(producer)
    }

    /// Writes `count` network records in one program run.
    ///
    /// - Returns: records committed and reservations the full ring refused.
    public func produceNetworkRecords(count: Int, firstSequence: UInt32 = 0) throws(Failure) -> (submitted: Int, dropped: Int) {
        var outcome = ring_producer_outcome()
        let status = ring_producer_produce_network(producer, UInt32(count), firstSequence, &outcome)
        guard status == 0 else {
            throw Failure(description: "producer run failed: \(String(cString: strerror(-status)))")
        }
        return (Int(outcome.submitted), Int(outcome.dropped))
    }
}

extension RingProducer: @unchecked Sendable {}
