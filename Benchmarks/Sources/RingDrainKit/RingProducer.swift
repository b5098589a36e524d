import CRingProducer

#if canImport(Glibc)
import Glibc
#endif

/// A loaded bpf/ringbuf_producer.bpf.c: a BPF program, run through
/// `BPF_PROG_TEST_RUN`, that writes rarenet network (or exec) records into its
/// own ring buffer as fast as the kernel allows.
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
    /// Ring bytes one exec record occupies.
    public static let execRecordFootprint = Int(ring_producer_exec_footprint())

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

    /// Writes `count` network records in one program run, from `population`.
    ///
    /// - Returns: records committed and reservations the full ring refused.
    public func produceNetworkRecords(
        count: Int, firstSequence: UInt32 = 0, population: RecordPopulation = .onePerRecord
    ) throws(Failure) -> (submitted: Int, dropped: Int) {
        try outcome { ring_producer_produce_network(producer, UInt32(count), firstSequence, population.cValue, &$0) }
    }

    /// Writes `count` exec records in one program run; in `population`, record
    /// `s` execs process `s % population.processes`.
    ///
    /// - Returns: records committed and reservations the full ring refused.
    public func produceExecRecords(
        count: Int, firstSequence: UInt32 = 0, population: RecordPopulation
    ) throws(Failure) -> (submitted: Int, dropped: Int) {
        try outcome { ring_producer_produce_exec(producer, UInt32(count), firstSequence, population.cValue, &$0) }
    }

    private func outcome(of run: (inout ring_producer_outcome) -> Int32) throws(Failure) -> (submitted: Int, dropped: Int) {
        var outcome = ring_producer_outcome()
        let status = run(&outcome)
        guard status == 0 else {
            throw Failure(description: "producer run failed: \(String(cString: strerror(-status)))")
        }
        return (Int(outcome.submitted), Int(outcome.dropped))
    }
}

/// Which processes and ports the producer's records come from
/// (bpf/ringbuf_producer.bpf.c describes the draw).
public struct RecordPopulation: Sendable, Hashable {
    /// Processes records are drawn from; 0: every record is its own process.
    public var processes: Int
    /// Destination ports connects are drawn from (1 to `ports`); 0: every connect is to port 443.
    public var ports: Int

    /// Records from `processes` processes (power law), connects to `ports` ports (power law).
    public init(processes: Int, ports: Int) {
        self.processes = processes
        self.ports = ports
    }

    /// Every record its own process (tgid = sequence number), every connect to port 443.
    public static let onePerRecord = RecordPopulation(processes: 0, ports: 0)

    var cValue: ring_producer_population {
        ring_producer_population(processes: UInt32(processes), ports: UInt32(ports))
    }
}

extension RingProducer: @unchecked Sendable {}
