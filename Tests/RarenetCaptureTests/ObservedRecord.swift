import CRarenetBPF

/// A record read back from the ring buffer, decoded straight from the C ABI
/// structs of `bpf/rarenet.h`, for the tests' assertions.
enum ObservedRecord: Sendable {
    case network(ObservedNetwork)
    case exec(ObservedExec)
    case exit(ObservedExit)

    /// Decodes `bytes`; `nil` for a record of an unknown kind or the wrong size.
    init?(bytes: [UInt8]) {
        guard bytes.count >= MemoryLayout<rarenet_record_header>.size else { return nil }
        let header = bytes.withUnsafeBytes { $0.loadUnaligned(as: rarenet_record_header.self) }
        guard header.version == RARENET_ABI_VERSION, Int(header.size) == bytes.count else { return nil }
        switch UInt32(header.kind) {
        case RARENET_RECORD_NETWORK.rawValue where bytes.count == MemoryLayout<rarenet_network_record>.size:
            self = .network(ObservedNetwork(bytes.withUnsafeBytes { $0.loadUnaligned(as: rarenet_network_record.self) }))
        case RARENET_RECORD_EXEC.rawValue where bytes.count == MemoryLayout<rarenet_exec_record>.size:
            self = .exec(ObservedExec(bytes.withUnsafeBytes { $0.loadUnaligned(as: rarenet_exec_record.self) }))
        case RARENET_RECORD_EXIT.rawValue where bytes.count == MemoryLayout<rarenet_exit_record>.size:
            self = .exit(ObservedExit(bytes.withUnsafeBytes { $0.loadUnaligned(as: rarenet_exit_record.self) }))
        default:
            return nil
        }
    }
}

/// Who a record is about: a process is identified by its id and its start time.
struct ObservedProcess: Hashable, Sendable {
    let pid: UInt32
    let startTimeNanoseconds: UInt64
}

struct ObservedNetwork: Sendable {
    let process: ObservedProcess
    let tid: UInt32
    let ppid: UInt32
    let uid: UInt32
    let gid: UInt32
    let action: UInt16
    let family: UInt16
    let transport: UInt16
    let sourcePort: UInt16
    let destinationPort: UInt16
    let hook: UInt8
    let sourceAddress: [UInt8]
    let destinationAddress: [UInt8]
    let comm: String

    init(_ record: rarenet_network_record) {
        process = ObservedProcess(pid: record.header.tgid, startTimeNanoseconds: record.header.start_time_ns)
        tid = record.header.tid
        ppid = record.ppid
        uid = record.uid
        gid = record.gid
        action = record.action
        family = record.family
        transport = record.protocol
        sourcePort = record.sport
        destinationPort = record.dport
        hook = record.hook
        let addressLength = record.family == 2 ? 4 : 16
        sourceAddress = withUnsafeBytes(of: record.saddr) { Array($0.prefix(addressLength)) }
        destinationAddress = withUnsafeBytes(of: record.daddr) { Array($0.prefix(addressLength)) }
        comm = withUnsafeBytes(of: record.comm) { cString(in: $0) }
    }

    var isConnect: Bool { UInt32(action) == RARENET_ACTION_CONNECT.rawValue }
    var isBind: Bool { UInt32(action) == RARENET_ACTION_BIND.rawValue }
}

struct ObservedExec: Sendable {
    let process: ObservedProcess
    let ppid: UInt32
    let uid: UInt32
    let flags: UInt32
    let path: String
    /// argv, split at its NULs.
    let arguments: [String]
    let comm: String

    init(_ record: rarenet_exec_record) {
        process = ObservedProcess(pid: record.header.tgid, startTimeNanoseconds: record.header.start_time_ns)
        ppid = record.ppid
        uid = record.uid
        flags = record.flags
        path = withUnsafeBytes(of: record.path) { String(decoding: $0.prefix(Int(record.path_len)), as: UTF8.self) }
        arguments = withUnsafeBytes(of: record.args) { bytes in
            bytes.prefix(Int(record.args_len)).split(separator: 0, omittingEmptySubsequences: false)
                .dropLast().map { String(decoding: $0, as: UTF8.self) }
        }
        comm = withUnsafeBytes(of: record.comm) { cString(in: $0) }
    }

    var isDeleted: Bool { flags & RARENET_EXEC_PATH_DELETED.rawValue != 0 }
    var isTruncated: Bool { flags & RARENET_EXEC_PATH_TRUNCATED.rawValue != 0 }
}

struct ObservedExit: Sendable {
    let process: ObservedProcess
    let ppid: UInt32
    let exitCode: Int32

    init(_ record: rarenet_exit_record) {
        process = ObservedProcess(pid: record.header.tgid, startTimeNanoseconds: record.header.start_time_ns)
        ppid = record.ppid
        exitCode = record.exit_code
    }
}

private func cString(in bytes: UnsafeRawBufferPointer) -> String {
    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
}

extension Array where Element == ObservedRecord {
    var network: [ObservedNetwork] {
        compactMap { if case .network(let record) = $0 { record } else { nil } }
    }
    var execs: [ObservedExec] {
        compactMap { if case .exec(let record) = $0 { record } else { nil } }
    }
    var exits: [ObservedExit] {
        compactMap { if case .exit(let record) = $0 { record } else { nil } }
    }
}
