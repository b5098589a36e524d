import CLibBPF
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The memory of a `BPF_MAP_TYPE_RINGBUF` map, mapped into this process.
///
/// The kernel lays a ring buffer out as pages that user space maps at fixed
/// offsets of the map's file descriptor (kernel/bpf/ringbuf.c):
///
///     offset 0              consumer page: consumer_pos      (mapped read-write)
///     offset page           producer page: producer_pos      (mapped read-only)
///     offset 2 * page       data area, `capacity` bytes      (read-only)
///            + capacity     the same data pages again        (read-only)
///
/// The data pages appear twice in a row, so a record that starts near the end
/// of the data area continues contiguously into the second copy: a reader
/// never has to stitch a wrapped record together.
///
/// The positions are byte counters that only grow (and wrap at the width of
/// `unsigned long`); `position & (capacity - 1)` is the offset in the data
/// area. The kernel publishes `producer_pos` with a store-release after it
/// reserved a record, and reads `consumer_pos` with a load-acquire before it
/// reuses space; this type only provides the memory, ``RingBufferConsumer``
/// does the accesses.
@usableFromInline
final class RingBufferMapping {
    /// The map's name, for messages.
    let name: String
    /// Bytes in the data area: a power of two, a multiple of the page size.
    @usableFromInline let capacity: Int
    /// The consumer position, written by user space only.
    @usableFromInline let consumerPosition: UnsafeMutablePointer<Atomic<UInt>>
    /// The producer position, written by the kernel only.
    @usableFromInline let producerPosition: UnsafePointer<Atomic<UInt>>
    /// The first byte of the data area; `2 * capacity` bytes are readable from here.
    @usableFromInline let data: UnsafeRawPointer

    private let consumerPage: UnsafeMutableRawPointer
    private let producerRegion: UnsafeMutableRawPointer
    private let pageSize: Int

    /// Maps the ring buffer behind `fileDescriptor`, which must be a `BPF_MAP_TYPE_RINGBUF` map.
    init(fileDescriptor: Int32) throws(BPFMapError) {
        let info = try BPFMapInfo(fileDescriptor: fileDescriptor)
        try info.require(type: BPF_MAP_TYPE_RINGBUF, fileDescriptor: fileDescriptor)
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        let capacity = Int(info.maxEntries)
        guard capacity > 0, capacity & (capacity - 1) == 0, capacity % pageSize == 0 else {
            throw .unexpectedLayout(name: info.name, reason: "size \(capacity) is not a power of two multiple of the page size")
        }
        let (doubledData, overflow) = capacity.multipliedReportingOverflow(by: 2)
        guard !overflow, doubledData <= Int.max - pageSize else {
            throw .unexpectedLayout(name: info.name, reason: "size \(capacity) is too large to map twice")
        }

        guard let consumerPage = mmap(nil, pageSize, PROT_READ | PROT_WRITE, MAP_SHARED, fileDescriptor, 0),
              consumerPage != MAP_FAILED
        else {
            throw .mappingFailed(name: info.name, region: "consumer page", errno: errno)
        }
        guard let producerRegion = mmap(nil, pageSize + doubledData, PROT_READ, MAP_SHARED, fileDescriptor, off_t(pageSize)),
              producerRegion != MAP_FAILED
        else {
            let code = errno
            munmap(consumerPage, pageSize)
            throw .mappingFailed(name: info.name, region: "producer page and data area", errno: code)
        }

        self.name = info.name
        self.capacity = capacity
        self.pageSize = pageSize
        self.consumerPage = consumerPage
        self.producerRegion = producerRegion
        consumerPosition = consumerPage.bindMemory(to: Atomic<UInt>.self, capacity: 1)
        producerPosition = UnsafePointer(producerRegion.bindMemory(to: Atomic<UInt>.self, capacity: 1))
        data = UnsafeRawPointer(producerRegion + pageSize)
    }

    deinit {
        munmap(producerRegion, pageSize + 2 * capacity)
        munmap(consumerPage, pageSize)
    }
}
