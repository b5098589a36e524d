import CLibBPF

#if canImport(Glibc)
import Glibc
#endif

/// What the kernel says about a BPF map, read from its file descriptor.
struct BPFMapInfo {
    /// The map type (`BPF_MAP_TYPE_*`).
    let type: UInt32
    let keySize: UInt32
    let valueSize: UInt32
    let maxEntries: UInt32
    /// The map's name (at most 15 bytes, as the kernel keeps it).
    let name: String

    /// Reads the map's description with `BPF_OBJ_GET_INFO_BY_FD`.
    init(fileDescriptor: Int32) throws(BPFMapError) {
        var info = bpf_map_info()
        var length = UInt32(MemoryLayout<bpf_map_info>.size)
        guard bpf_obj_get_info_by_fd(fileDescriptor, &info, &length) == 0 else {
            throw .infoUnavailable(fileDescriptor: fileDescriptor, errno: errno)
        }
        type = info.type
        keySize = info.key_size
        valueSize = info.value_size
        maxEntries = info.max_entries
        name = withUnsafeBytes(of: info.name) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Throws unless the map has the given type.
    func require(type expected: bpf_map_type, fileDescriptor: Int32) throws(BPFMapError) {
        guard type == expected.rawValue else {
            throw .wrongType(fileDescriptor: fileDescriptor, name: name, expected: expected.rawValue, actual: type)
        }
    }
}

/// A BPF map that cannot be used as asked.
public enum BPFMapError: Error, Equatable, CustomStringConvertible {
    /// `BPF_OBJ_GET_INFO_BY_FD` failed: the descriptor is not a BPF map, or is closed.
    case infoUnavailable(fileDescriptor: Int32, errno: Int32)
    /// The map is not of the type the reader needs (`BPF_MAP_TYPE_*` numbers).
    case wrongType(fileDescriptor: Int32, name: String, expected: UInt32, actual: UInt32)
    /// The map's geometry is not what the reader needs.
    case unexpectedLayout(name: String, reason: String)
    /// `mmap` of the ring buffer failed.
    case mappingFailed(name: String, region: String, errno: Int32)
    /// A lookup in the map failed.
    case lookupFailed(name: String, key: UInt32, errno: Int32)

    public var description: String {
        switch self {
        case let .infoUnavailable(fd, code):
            "cannot read the BPF map behind file descriptor \(fd): \(String(cString: strerror(code)))"
        case let .wrongType(fd, name, expected, actual):
            "BPF map '\(name)' (file descriptor \(fd)) has type \(actual), expected \(expected)"
        case let .unexpectedLayout(name, reason):
            "BPF map '\(name)': \(reason)"
        case let .mappingFailed(name, region, code):
            "cannot mmap the \(region) of ring buffer '\(name)': \(String(cString: strerror(code)))"
        case let .lookupFailed(name, key, code):
            "cannot read key \(key) of BPF map '\(name)': \(String(cString: strerror(code)))"
        }
    }
}
