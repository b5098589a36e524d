import CLibBPF
import CRarenetBPF
#if canImport(Glibc)
import Glibc
#endif

/// The BPF object embedded in the binary (`bpf/rarenet.bpf.c`), opened with libbpf.
///
/// Owns the libbpf object: closing it (on deinit) unloads its programs and
/// closes its maps. Not thread-safe; ``KernelProbes`` is its only user.
final class BPFObject {
    /// The ring buffer map the programs write records into.
    static let eventsMapName = "rarenet_events"
    /// The per-CPU array of drop counters.
    static let countersMapName = "rarenet_counters"
    /// The section holding `self_tgid` alone (see `bpf/rarenet.bpf.c`).
    static let configMapName = ".rodata.config"

    private let object: OpaquePointer

    /// Opens the embedded object: parses it, nothing is loaded into the kernel yet.
    init() throws {
        var options = bpf_object_open_opts()
        options.sz = MemoryLayout<bpf_object_open_opts>.size
        let opened: OpaquePointer? = "rarenet".withCString { name in
            options.object_name = name
            return bpf_object__open_mem(rarenet_bpf_object_data(), Int(rarenet_bpf_object_size()), &options)
        }
        guard let opened else {
            throw CaptureError.invalidBPFObject("libbpf cannot open it (\(String(cString: strerror(errno))))")
        }
        object = opened
    }

    deinit {
        bpf_object__close(object)
    }

    /// Every program in the object.
    var programs: [OpaquePointer] {
        var programs: [OpaquePointer] = []
        var program = bpf_object__next_program(object, nil)
        while let current = program {
            programs.append(current)
            program = bpf_object__next_program(object, current)
        }
        return programs
    }

    /// The program `name`.
    func program(named name: String) throws -> OpaquePointer {
        guard let program = bpf_object__find_program_by_name(object, name) else {
            throw CaptureError.invalidBPFObject("it has no program \(name)")
        }
        return program
    }

    /// The map `name`.
    func map(named name: String) throws -> OpaquePointer {
        guard let map = bpf_object__find_map_by_name(object, name) else {
            throw CaptureError.invalidBPFObject("it has no map \(name)")
        }
        return map
    }

    /// Sets `self_tgid`, the process whose events the programs drop (0: none). Before ``load()``.
    func setExcludedProcess(_ pid: pid_t) throws {
        let config = try map(named: Self.configMapName)
        var size = 0
        guard let value = bpf_map__initial_value(config, &size), size == MemoryLayout<UInt32>.size else {
            throw CaptureError.invalidBPFObject("\(Self.configMapName) does not hold exactly self_tgid")
        }
        UnsafeMutableRawPointer(mutating: value).storeBytes(of: UInt32(bitPattern: pid), as: UInt32.self)
    }

    /// Sets the size in bytes of the ring buffer map. Before ``load()``.
    func setRingBufferSize(_ size: RingBufferSize) throws {
        let events = try map(named: Self.eventsMapName)
        let result = bpf_map__set_max_entries(events, UInt32(size.bytes))
        guard result == 0 else {
            throw CaptureError.invalidRingBufferSize("libbpf refused \(size) (\(String(cString: strerror(-result))))")
        }
    }

    /// Creates the maps and loads the programs marked for autoload into the kernel.
    func load() throws {
        let result = bpf_object__load(object)
        guard result == 0 else {
            let error = -result
            if error == EPERM || error == EACCES {
                throw CaptureError.notPermitted(operation: "loading BPF programs")
            }
            throw CaptureError.loadFailed(errno: error)
        }
    }

    /// The file descriptor of a loaded map.
    func fileDescriptor(ofMap name: String) throws -> Int32 {
        let descriptor = bpf_map__fd(try map(named: name))
        guard descriptor >= 0 else { throw CaptureError.invalidBPFObject("map \(name) was not created") }
        return descriptor
    }
}
