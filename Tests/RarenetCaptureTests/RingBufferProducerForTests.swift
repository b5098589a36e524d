import CLibBPF
import CRarenetBPF
import Foundation
import Synchronization

/// Drives bpf/ringbuf_producer.bpf.c: a BPF program that writes rarenet ABI
/// records into its own real ring buffer when the test asks it to.
///
/// The object is the one `make bpf` builds into .build/bpf/; each producer
/// loads its own copy, so every test has its own ring and counters.
final class RingBufferTestProducer {
    /// Mirrors `struct ringbuf_producer_request` (bpf/ringbuf_producer.h): twelve u32 fields.
    struct Request {
        var kind: UInt32
        var version: UInt32
        var count: UInt32
        var discardEvery: UInt32
        var firstSequence: UInt32
        var holdLast: UInt32
        var processes: UInt32 = 0
        var ports: UInt32 = 0
        var submitted: UInt32 = 0
        var discarded: UInt32 = 0
        var dropped: UInt32 = 0
        var held: UInt32 = 0
    }

    /// What one run did, as the BPF program reports it.
    struct Outcome: Equatable {
        var submitted: Int
        var discarded: Int
        var dropped: Int
        /// The last record was held BUSY and then released by ``releaseHeldRecord()``.
        var heldUntilReleased: Bool
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let objectPath: String = {
        let testFile = URL(fileURLWithPath: #filePath)
        let packageRoot = testFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/bpf/ringbuf_producer.bpf.o").path
    }()

    /// The ring buffer map the producer writes.
    let ringFileDescriptor: Int32
    /// The per-CPU drop counters (same layout as the sensor's `rarenet_counters`).
    let countersFileDescriptor: Int32
    private let controlFileDescriptor: Int32
    private let programFileDescriptor: Int32
    private let object: OpaquePointer

    /// Loads the producer with a ring buffer of `ringSize` bytes (a power of two, at least a page).
    init(ringSize: Int) throws {
        guard let object = bpf_object__open_file(Self.objectPath, nil) else {
            throw Failure(description: "cannot open \(Self.objectPath) (run `make bpf` first): errno \(errno)")
        }
        self.object = object
        do {
            let ring = try Self.map(named: "ringbuf_producer_events", in: object)
            guard bpf_map__set_max_entries(ring, UInt32(ringSize)) == 0 else {
                throw Failure(description: "cannot size the ring buffer to \(ringSize) bytes")
            }
            guard bpf_object__load(object) == 0 else {
                throw Failure(description: "cannot load \(Self.objectPath): errno \(errno)")
            }
            guard let program = bpf_object__find_program_by_name(object, "produce") else {
                throw Failure(description: "no program 'produce' in \(Self.objectPath)")
            }
            ringFileDescriptor = bpf_map__fd(ring)
            countersFileDescriptor = bpf_map__fd(try Self.map(named: "rarenet_counters", in: object))
            controlFileDescriptor = bpf_map__fd(try Self.map(named: "producer_control", in: object))
            programFileDescriptor = bpf_program__fd(program)
        } catch {
            bpf_object__close(object)
            throw error
        }
    }

    deinit {
        bpf_object__close(object)
    }

    /// Runs the producer once: `count` records of `kind`, sequence numbers from `firstSequence`.
    ///
    /// - Parameters:
    ///   - discardEvery: discard the n-th, 2n-th, ... record of this run (0: none).
    ///   - version: the ABI version written into the headers.
    ///   - holdLast: keep the last record BUSY until ``releaseHeldRecord()`` (call from another thread).
    ///   - processes: draw the records' processes from this many (0: record s is process s).
    ///   - ports: draw the connects' destination ports from 1 to this (0: all to 443).
    func produce(
        _ kind: rarenet_record_kind, count: Int, firstSequence: UInt32 = 0, discardEvery: Int = 0,
        version: UInt32 = UInt32(RARENET_ABI_VERSION), holdLast: Bool = false, processes: Int = 0, ports: Int = 0
    ) throws -> Outcome {
        var request = Request(
            kind: kind.rawValue, version: version, count: UInt32(count), discardEvery: UInt32(discardEvery),
            firstSequence: firstSequence, holdLast: holdLast ? 1 : 0, processes: UInt32(processes), ports: UInt32(ports)
        )
        let status = withUnsafeMutableBytes(of: &request) { context in
            var options = bpf_test_run_opts()
            options.sz = MemoryLayout<bpf_test_run_opts>.size
            options.ctx_in = UnsafeRawPointer(context.baseAddress)
            options.ctx_size_in = UInt32(context.count)
            let status = bpf_prog_test_run_opts(programFileDescriptor, &options)
            return status == 0 ? Int32(bitPattern: options.retval) : status
        }
        guard status == 0 else { throw Failure(description: "producer run failed: \(status)") }
        return Outcome(
            submitted: Int(request.submitted), discarded: Int(request.discarded),
            dropped: Int(request.dropped), heldUntilReleased: request.held == 1
        )
    }

    /// Lets a run that holds its last record commit it.
    func releaseHeldRecord() throws {
        var key: UInt32 = 0
        var released: UInt32 = 1
        guard bpf_map_update_elem(controlFileDescriptor, &key, &released, UInt64(BPF_ANY)) == 0 else {
            throw Failure(description: "cannot release the held record: errno \(errno)")
        }
    }

    private static func map(named name: String, in object: OpaquePointer) throws -> OpaquePointer {
        guard let map = bpf_object__find_map_by_name(object, name) else {
            throw Failure(description: "no map '\(name)' in \(objectPath)")
        }
        return map
    }
}

extension RingBufferTestProducer: @unchecked Sendable {}

/// The bytes of the records the producer writes, as functions of the sequence number
/// (see the comment at the top of bpf/ringbuf_producer.bpf.c).
enum ProducedRecord {
    static let networkRecordSize = MemoryLayout<rarenet_network_record>.size
    static let execRecordSize = MemoryLayout<rarenet_exec_record>.size

    /// The ring bytes a record of `size` bytes occupies (8-byte header, 8-byte alignment).
    static func footprint(_ size: Int) -> Int { (size + 8 + 7) & ~7 }

    static func executablePath(sequence: UInt32) -> String {
        "/" + String((1..<Int(RARENET_PATH_MAX)).map { index in
            Character(UnicodeScalar(UInt8(ascii: "a") + UInt8((Int(sequence) + index) & 15)))
        })
    }

    static func sourceAddressBytes(sequence: UInt32) -> [UInt8] {
        (0..<16).map { UInt8(truncatingIfNeeded: Int(sequence) + $0) }
    }

    static func destinationAddressBytes(sequence: UInt32) -> [UInt8] {
        (0..<16).map { UInt8(truncatingIfNeeded: 0xff - $0 - Int(sequence)) }
    }
}

/// Runs `body` on a new thread; ``join()`` waits for it and returns its result.
final class TestThread<Result: Sendable>: Sendable {
    private let outcome = Mutex<Swift.Result<Result, any Error>?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () throws -> Result) {
        Thread.detachNewThread { [self] in
            let result = Swift.Result { try body() }
            outcome.withLock { $0 = result }
            finished.signal()
        }
    }

    func join() throws -> Result {
        finished.wait()
        return try outcome.withLock { $0! }.get()
    }
}
