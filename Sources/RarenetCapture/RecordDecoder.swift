import CRarenetBPF
import RarenetEvents

/// Decodes ring buffer records (the structs of bpf/rarenet.h) into ``CapturedRecord`` values.
///
/// Nothing in a record is trusted: a record that is shorter than its header,
/// of an unknown kind, of another ABI version, whose size does not match its
/// kind, or with a field outside its domain (an unknown family, a string
/// length beyond its field) is rejected, counted by reason in ``rejections``,
/// and skipped. Strings are read only within their fixed-width fields and
/// declared lengths, and invalid UTF-8 is repaired, never trusted.
///
/// The layouts come from the C structs through the CRarenetBPF module, so the
/// BPF program and this decoder share one definition.
public struct RecordDecoder: Sendable {
    /// Records rejected so far, by reason.
    public private(set) var rejections = RecordRejectionCounts()
    /// The most recent rejection, for a log line that says what was wrong.
    public private(set) var lastRejection: RecordRejection?

    public init() {}

    /// Decodes one record, or counts and skips it.
    ///
    /// - Parameter bytes: one record, exactly as it lies in the ring (without the ring's own 8-byte header).
    /// - Returns: the record, or nil when it was rejected.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer) -> CapturedRecord? {
        do {
            return try Self.decodeRecord(bytes)
        } catch {
            rejections.count(error.reason)
            lastRejection = error
            return nil
        }
    }

    /// Decodes one record or says why it cannot be trusted.
    public static func decodeRecord(_ bytes: UnsafeRawBufferPointer) throws(RecordRejection) -> CapturedRecord {
        let headerSize = MemoryLayout<rarenet_record_header>.size
        guard bytes.count >= headerSize else {
            throw RecordRejection(.truncated, "\(bytes.count) bytes, shorter than the \(headerSize)-byte header")
        }
        let header = bytes.loadUnaligned(as: rarenet_record_header.self)
        guard header.version == RARENET_ABI_VERSION else {
            throw RecordRejection(.unsupportedVersion, "version \(header.version), expected \(RARENET_ABI_VERSION)")
        }
        switch UInt32(header.kind) {
        case RARENET_RECORD_NETWORK.rawValue:
            try checkSize(rarenet_network_record.self, kind: "network", of: bytes, header: header)
            return .network(try decodeNetwork(bytes, header: header))
        case RARENET_RECORD_EXEC.rawValue:
            let record = try load(rarenet_exec_record.self, kind: "exec", from: bytes, header: header)
            return .exec(try decodeExec(record))
        case RARENET_RECORD_EXIT.rawValue:
            let record = try load(rarenet_exit_record.self, kind: "exit", from: bytes, header: header)
            return .exit(CapturedExitRecord(header: capturedHeader(record.header), ppid: record.ppid, exitStatus: record.exit_code))
        default:
            throw RecordRejection(.unknownKind, "kind \(header.kind)")
        }
    }

    /// Checks that both the ring's length and the header's size are the size of `Record`.
    private static func checkSize<Record>(
        _: Record.Type, kind: String, of bytes: UnsafeRawBufferPointer, header: rarenet_record_header
    ) throws(RecordRejection) {
        let size = MemoryLayout<Record>.size
        guard bytes.count == size, header.size == size else {
            throw RecordRejection(.sizeMismatch, "\(kind) record of \(bytes.count) bytes with header size \(header.size), expected \(size)")
        }
    }

    /// Loads a record of one kind after checking its size.
    private static func load<Record>(
        _: Record.Type, kind: String, from bytes: UnsafeRawBufferPointer, header: rarenet_record_header
    ) throws(RecordRejection) -> Record {
        try checkSize(Record.self, kind: kind, of: bytes, header: header)
        return bytes.loadUnaligned(as: Record.self)
    }

    /// Decodes a network record (its size checked) field by field, straight from the ring.
    ///
    /// This is the hot path: one call per connect or bind. Reading each field in
    /// place, instead of copying the 128-byte struct first and then its fields,
    /// keeps the decoder from stalling on store-to-load forwarding of those copies.
    @inline(__always)
    private static func decodeNetwork(
        _ bytes: UnsafeRawBufferPointer, header: rarenet_record_header
    ) throws(RecordRejection) -> CapturedNetworkRecord {
        let record = NetworkRecordFields(bytes: bytes)
        let rawAction = record[\.action]
        let action: NetworkAction
        switch UInt32(rawAction) {
        case RARENET_ACTION_CONNECT.rawValue: action = .connect
        case RARENET_ACTION_BIND.rawValue: action = .bind
        default: throw RecordRejection(.invalidField, "network record action \(rawAction)")
        }
        let rawFamily = record[\.family]
        guard let family = AddressFamily(socketFamily: rawFamily) else {
            throw RecordRejection(.invalidField, "network record family \(rawFamily)")
        }
        let rawProtocol = record[\.protocol]
        guard let transport = UInt8(exactly: rawProtocol).flatMap(TransportProtocol.init(number:)) else {
            throw RecordRejection(.invalidField, "network record protocol \(rawProtocol)")
        }
        let rawHook = record[\.hook]
        let hook: CapturedNetworkRecord.Hook
        switch UInt32(rawHook) {
        case RARENET_HOOK_KPROBE.rawValue: hook = .kprobe
        case RARENET_HOOK_TRACEPOINT.rawValue: hook = .tracepoint
        default: throw RecordRejection(.invalidField, "network record hook \(rawHook)")
        }
        let isConnect = action == .connect
        return CapturedNetworkRecord(
            header: capturedHeader(header),
            ppid: record[\.ppid],
            uid: record[\.uid],
            gid: record[\.gid],
            action: action,
            family: family,
            transport: transport,
            sourceAddress: address(record.bytes(\.saddr), family: family),
            sourcePort: record[\.sport],
            destinationAddress: isConnect ? address(record.bytes(\.daddr), family: family) : nil,
            destinationPort: isConnect ? record[\.dport] : nil,
            hook: hook,
            cgroupID: record[\.cgroup_id],
            taskName: TaskName(nulTerminated: record.bytes(\.comm))
        )
    }

    private static func decodeExec(_ record: rarenet_exec_record) throws(RecordRejection) -> CapturedExecRecord {
        let pathLength = Int(record.path_len)
        let argumentsLength = Int(record.args_len)
        guard pathLength <= Int(RARENET_PATH_MAX) else {
            throw RecordRejection(.invalidField, "exec record path_len \(pathLength) exceeds \(RARENET_PATH_MAX)")
        }
        guard argumentsLength <= Int(RARENET_ARGS_MAX) else {
            throw RecordRejection(.invalidField, "exec record args_len \(argumentsLength) exceeds \(RARENET_ARGS_MAX)")
        }
        let path = withUnsafeBytes(of: record.path) { bytes in
            String(decoding: bytes.prefix(pathLength).prefix { $0 != 0 }, as: UTF8.self)
        }
        let arguments = withUnsafeBytes(of: record.args) { bytes in
            let used = bytes.prefix(argumentsLength)
            guard !used.isEmpty else { return [String]() }
            var fields = used.split(separator: 0, omittingEmptySubsequences: false)
            if used.last == 0 { fields.removeLast() }
            return fields.map { String(decoding: $0, as: UTF8.self) }
        }
        return CapturedExecRecord(
            header: capturedHeader(record.header),
            ppid: record.ppid,
            uid: record.uid,
            gid: record.gid,
            cgroupID: record.cgroup_id,
            comm: nulTerminatedString(record.comm),
            executablePath: path,
            arguments: arguments,
            isPathTruncated: record.flags & RARENET_EXEC_PATH_TRUNCATED.rawValue != 0,
            isExecutableDeleted: record.flags & RARENET_EXEC_PATH_DELETED.rawValue != 0,
            areArgumentsTruncated: record.flags & RARENET_EXEC_ARGS_TRUNCATED.rawValue != 0
        )
    }

    @inline(__always)
    private static func capturedHeader(_ header: rarenet_record_header) -> CapturedRecordHeader {
        CapturedRecordHeader(
            bootTimeNanoseconds: header.timestamp_ns,
            pid: header.tgid,
            tid: header.tid,
            processStartBootTimeNanoseconds: header.start_time_ns
        )
    }

    /// The address in a 16-byte network-order field (IPv4 in the first 4 bytes, the rest ignored).
    ///
    /// Two big-endian 64-bit loads, not a loop over bytes: this runs twice per connect.
    @inline(__always)
    private static func address(_ bytes: UnsafeRawBufferPointer, family: AddressFamily) -> IPAddress {
        let high = UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
        guard family == .ipv6 else {
            return IPAddress(family: family, high: high & 0xFFFF_FFFF_0000_0000, low: 0)
        }
        return IPAddress(family: family, high: high, low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }

    /// The bytes of a fixed-width `char` field up to its first NUL (or all of them).
    ///
    /// Decoded from a typed buffer, which takes String's contiguous UTF-8 fast path.
    private static func nulTerminatedString<Field>(_ field: Field) -> String {
        withUnsafeBytes(of: field) { raw in
            raw.withMemoryRebound(to: UInt8.self) { bytes in
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[..<length]), as: UTF8.self)
            }
        }
    }
}

/// The fields of a `rarenet_network_record` lying in the ring, read one at a time where they are.
private struct NetworkRecordFields {
    let bytes: UnsafeRawBufferPointer

    /// A scalar field.
    @inline(__always)
    subscript<Value>(_ field: KeyPath<rarenet_network_record, Value>) -> Value {
        bytes.loadUnaligned(fromByteOffset: MemoryLayout<rarenet_network_record>.offset(of: field)!, as: Value.self)
    }

    /// The bytes of a fixed-width array field.
    @inline(__always)
    func bytes<Field>(_ field: KeyPath<rarenet_network_record, Field>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: bytes.baseAddress! + MemoryLayout<rarenet_network_record>.offset(of: field)!, count: MemoryLayout<Field>.size)
    }
}

/// Why a record was not trusted, and the detail that shows it.
public struct RecordRejection: Error, Hashable, CustomStringConvertible {
    /// The kinds of untrustworthy records, counted separately.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// Shorter than the record header.
        case truncated
        /// A `kind` this decoder does not know.
        case unknownKind
        /// A `version` other than `RARENET_ABI_VERSION`.
        case unsupportedVersion
        /// The ring's length or the header's `size` is not the size of the record's kind.
        case sizeMismatch
        /// A field outside its domain (an unknown action, family, protocol or hook; a length beyond its field).
        case invalidField
    }

    public var reason: Reason
    /// What was wrong, with the offending value.
    public var detail: String

    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "rejected ring buffer record (\(reason.rawValue)): \(detail)" }
}

/// How many records were rejected, by reason.
public struct RecordRejectionCounts: Sendable, Hashable {
    private var counts = [UInt64](repeating: 0, count: RecordRejection.Reason.allCases.count)

    public init() {}

    /// Records rejected for `reason`.
    public subscript(reason: RecordRejection.Reason) -> UInt64 {
        counts[Self.index(reason)]
    }

    /// Records rejected for any reason.
    public var total: UInt64 { counts.reduce(0, +) }

    mutating func count(_ reason: RecordRejection.Reason) {
        counts[Self.index(reason)] += 1
    }

    private static func index(_ reason: RecordRejection.Reason) -> Int {
        RecordRejection.Reason.allCases.firstIndex(of: reason)!
    }
}
