import CLibBPF
import CRarenetBPF

#if canImport(Glibc)
import Glibc
#endif

/// Reads the kernel side's drop counters: the per-CPU array map `rarenet_counters`.
///
/// The BPF program adds 1 to its CPU's slot of a `RARENET_COUNTER_*` index
/// (bpf/rarenet.h) each time the ring buffer cannot take a record. Reading
/// sums every possible CPU's slot; the slots only grow, so successive reads
/// never go backwards.
public struct KernelCounters: Sendable {
    private let fileDescriptor: Int32
    private let name: String
    private let possibleCPUs: Int

    /// Checks that `mapFileDescriptor` is a per-CPU array of at least
    /// `RARENET_COUNTER_MAX` 64-bit counters. The descriptor is not owned: keep
    /// it open while reading.
    public init(mapFileDescriptor: Int32) throws(BPFMapError) {
        let info = try BPFMapInfo(fileDescriptor: mapFileDescriptor)
        try info.require(type: BPF_MAP_TYPE_PERCPU_ARRAY, fileDescriptor: mapFileDescriptor)
        guard info.keySize == 4, info.valueSize == 8, info.maxEntries >= RARENET_COUNTER_MAX.rawValue else {
            throw .unexpectedLayout(
                name: info.name,
                reason: "expected \(RARENET_COUNTER_MAX.rawValue) u32 -> u64 entries, found \(info.maxEntries) of \(info.keySize) -> \(info.valueSize) bytes"
            )
        }
        let possibleCPUs = libbpf_num_possible_cpus()
        guard possibleCPUs > 0 else {
            throw .unexpectedLayout(name: info.name, reason: "cannot count the possible CPUs: \(String(cString: strerror(-possibleCPUs)))")
        }
        fileDescriptor = mapFileDescriptor
        name = info.name
        self.possibleCPUs = Int(possibleCPUs)
    }

    /// The counters now, summed over all CPUs.
    public func read() throws(BPFMapError) -> KernelDropCounts {
        KernelDropCounts(
            network: try sum(RARENET_COUNTER_DROPPED_NETWORK),
            exec: try sum(RARENET_COUNTER_DROPPED_EXEC),
            exit: try sum(RARENET_COUNTER_DROPPED_EXIT)
        )
    }

    private func sum(_ counter: rarenet_counter) throws(BPFMapError) -> UInt64 {
        var key = counter.rawValue
        var perCPU = [UInt64](repeating: 0, count: possibleCPUs)
        let status = perCPU.withUnsafeMutableBytes { bpf_map_lookup_elem(fileDescriptor, &key, $0.baseAddress) }
        guard status == 0 else { throw .lookupFailed(name: name, key: key, errno: errno) }
        return perCPU.reduce(0, &+)
    }
}

/// Records the kernel could not deliver because the ring buffer was full, by record kind.
public struct KernelDropCounts: Sendable, Hashable {
    /// Connect and bind records dropped.
    public var network: UInt64
    /// Exec records dropped.
    public var exec: UInt64
    /// Exit records dropped.
    public var exit: UInt64

    public init(network: UInt64, exec: UInt64, exit: UInt64) {
        self.network = network
        self.exec = exec
        self.exit = exit
    }

    /// Records of any kind dropped.
    public var total: UInt64 { network &+ exec &+ exit }
}
