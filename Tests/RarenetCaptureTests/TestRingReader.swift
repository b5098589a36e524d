import CLibBPF
import RarenetCapture
#if canImport(Glibc)
import Glibc
#endif

/// Reads the probes' ring buffer with libbpf's callback consumer: test-only,
/// until the sensor's batch consumer is merged.
final class TestRingReader {
    /// Where libbpf's callback puts each record (it cannot capture, so it gets this as context).
    fileprivate final class Collector {
        var records: [ObservedRecord] = []
        var undecodable = 0
    }

    private let collector = Collector()
    private let ring: OpaquePointer

    init(_ probes: KernelProbes) throws {
        let context = Unmanaged.passUnretained(collector).toOpaque()
        guard let ring = ring_buffer__new(probes.ringBuffer.fileDescriptor, collectRecord, context, nil) else {
            throw RingReaderError(errno: errno)
        }
        self.ring = ring
    }

    deinit {
        ring_buffer__free(ring)
    }

    /// Every record read so far.
    var records: [ObservedRecord] { collector.records }

    /// Records that were not a valid record of `bpf/rarenet.h`.
    var undecodable: Int { collector.undecodable }

    /// Reads records until `condition` holds for all of them, or `timeout` passes.
    ///
    /// - Returns: whether `condition` held.
    @discardableResult
    func read(
        until condition: ([ObservedRecord]) -> Bool, timeout: Duration = .seconds(10)
    ) throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !condition(collector.records) {
            guard clock.now < deadline else { return false }
            let result = ring_buffer__poll(ring, 100)
            guard result >= 0 || result == -EINTR else { throw RingReaderError(errno: -result) }
        }
        return true
    }

    /// Reads whatever the ring holds now, without waiting.
    func drain() throws {
        let result = ring_buffer__consume(ring)
        guard result >= 0 else { throw RingReaderError(errno: -result) }
    }

    struct RingReaderError: Error, CustomStringConvertible {
        let errno: Int32
        var description: String { "reading the ring buffer failed: \(String(cString: strerror(errno)))" }
    }
}

private func collectRecord(context: UnsafeMutableRawPointer?, data: UnsafeMutableRawPointer?, size: Int) -> Int32 {
    guard let context, let data else { return 0 }
    let collector = Unmanaged<TestRingReader.Collector>.fromOpaque(context).takeUnretainedValue()
    let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))
    if let record = ObservedRecord(bytes: bytes) {
        collector.records.append(record)
    } else {
        collector.undecodable += 1
    }
    return 0
}
