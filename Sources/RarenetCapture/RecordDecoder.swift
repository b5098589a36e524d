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
            let fields = NetworkRecordFields(bytes.baseAddress!)
            try fields.checkEnumeratedFields()
            return .network(CapturedNetworkRecord(fields))
        case RARENET_RECORD_EXEC.rawValue:
            let record = try load(rarenet_exec_record.self, kind: "exec", from: bytes, header: header)
            return .exec(try decodeExec(record))
        case RARENET_RECORD_EXIT.rawValue:
            let record = try load(rarenet_exit_record.self, kind: "exit", from: bytes, header: header)
            return .exit(CapturedExitRecord(header: CapturedRecordHeader(record.header), ppid: record.ppid, exitStatus: record.exit_code))
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
            header: CapturedRecordHeader(record.header),
            ppid: record.ppid,
            uid: record.uid,
            gid: record.gid,
            cgroupID: record.cgroup_id,
            executableFile: CapturedExecutableFile(record.executable),
            comm: nulTerminatedString(record.comm),
            executablePath: path,
            arguments: arguments,
            isPathTruncated: record.flags & RARENET_EXEC_PATH_TRUNCATED.rawValue != 0,
            isExecutableDeleted: record.flags & RARENET_EXEC_PATH_DELETED.rawValue != 0,
            areArgumentsTruncated: record.flags & RARENET_EXEC_ARGS_TRUNCATED.rawValue != 0
        )
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

extension RingBufferConsumer {
    /// Walks one batch of records and decodes each committed record with
    /// `decoder` (rejected records are counted by the decoder and skipped).
    ///
    /// This is the capture thread's hot path, decoding inlined into the walk:
    /// a well-formed network record (one per connect or bind) is validated
    /// and written field by field, straight from the ring, into its final
    /// place in the batch's ``CapturedRecordBatch/networkRecords``, sized
    /// before the walk by the bytes the batch can hold. Every other record
    /// (exec, exit, anything rejected) takes ``RecordDecoder/decode(_:)``.
    ///
    /// - Returns: what the walk did and why it ended, as ``drainBatch(_:)``,
    ///   and the decoded records.
    @inlinable
    public func drainBatch(decodingWith decoder: inout RecordDecoder) -> (batch: RingBufferBatch, records: CapturedRecordBatch) {
        let producerPosition = loadProducerPosition()
        let networkFootprint = Int(RingBufferRecordHeader.footprint(ofLength: MemoryLayout<rarenet_network_record>.size))
        let capacity = min(maxRecordsPerBatch, bytesBefore(producerPosition) / networkFootprint)
        var walk = RingBufferBatch(records: 0, discardedRecords: 0, bytes: 0, end: .caughtUp)
        var processRecords: [CapturedRecordBatch.PositionedRecord] = []
        let networkRecords = [CapturedNetworkRecord](unsafeUninitializedCapacity: capacity) { buffer, initializedCount in
            var written = 0
            walk = drainBatch(upTo: producerPosition) { bytes in
                if written < capacity, let fields = NetworkRecordFields(wellFormed: bytes) {
                    (buffer.baseAddress.unsafelyUnwrapped + written).initialize(to: CapturedNetworkRecord(fields))
                    written += 1
                } else if let record = decoder.decode(bytes) {
                    processRecords.append(CapturedRecordBatch.PositionedRecord(networkRecordsBefore: written, record: record))
                }
            }
            initializedCount = written
        }
        return (walk, CapturedRecordBatch(networkRecords: networkRecords, otherRecords: processRecords))
    }
}

/// A `rarenet_network_record` lying in the ring, its fields read one at a
/// time where they are (no copy of the 128-byte struct first).
@usableFromInline
struct NetworkRecordFields {
    @usableFromInline let base: UnsafeRawPointer

    /// The fields of the network record at `base`, whose size is checked.
    @inlinable
    init(_ base: UnsafeRawPointer) {
        self.base = base
    }

    /// The fields of `bytes` if they are a network record of this ABI, of the
    /// right size, with every enumerated field in its domain; nil for anything
    /// else (which ``RecordDecoder/decodeRecord(_:)`` then decodes or rejects).
    @inlinable
    init?(wellFormed bytes: UnsafeRawBufferPointer) {
        let size = MemoryLayout<rarenet_network_record>.size
        guard bytes.count == size, let base = bytes.baseAddress else { return nil }
        self.init(base)
        guard self[\.header.kind] == RARENET_RECORD_NETWORK.rawValue, self[\.header.version] == RARENET_ABI_VERSION,
              self[\.header.size] == size, hasValidEnumeratedFields
        else { return nil }
    }

    /// A scalar field.
    @inlinable
    subscript<Value>(_ field: KeyPath<rarenet_network_record, Value>) -> Value {
        base.loadUnaligned(fromByteOffset: MemoryLayout<rarenet_network_record>.offset(of: field)!, as: Value.self)
    }

    /// The first byte of a fixed-width array field.
    @inlinable
    func pointer<Field>(to field: KeyPath<rarenet_network_record, Field>) -> UnsafeRawPointer {
        base + MemoryLayout<rarenet_network_record>.offset(of: field)!
    }

    // The domains of the enumerated fields: one definition for the hot path's
    // check and for the rejection that names the offending field.

    @usableFromInline static let socketFamilyIPv4: UInt16 = 2
    @usableFromInline static let socketFamilyIPv6: UInt16 = 10
    @usableFromInline static let protocolTCP: UInt16 = 6
    @usableFromInline static let protocolUDP: UInt16 = 17

    @inlinable var isConnect: Bool { self[\.action] == RARENET_ACTION_CONNECT.rawValue }
    @inlinable var hasValidAction: Bool { isConnect || self[\.action] == RARENET_ACTION_BIND.rawValue }
    @inlinable var isIPv4: Bool { self[\.family] == Self.socketFamilyIPv4 }
    @inlinable var hasValidFamily: Bool { isIPv4 || self[\.family] == Self.socketFamilyIPv6 }
    @inlinable var isTCP: Bool { self[\.protocol] == Self.protocolTCP }
    @inlinable var hasValidProtocol: Bool { isTCP || self[\.protocol] == Self.protocolUDP }
    @inlinable var isKprobe: Bool { self[\.hook] == RARENET_HOOK_KPROBE.rawValue }
    @inlinable var hasValidHook: Bool { isKprobe || self[\.hook] == RARENET_HOOK_TRACEPOINT.rawValue }

    @inlinable
    var hasValidEnumeratedFields: Bool { hasValidAction && hasValidFamily && hasValidProtocol && hasValidHook }

    /// Throws the rejection that names the first enumerated field outside its domain.
    func checkEnumeratedFields() throws(RecordRejection) {
        guard hasValidAction else { throw RecordRejection(.invalidField, "network record action \(self[\.action])") }
        guard hasValidFamily else { throw RecordRejection(.invalidField, "network record family \(self[\.family])") }
        guard hasValidProtocol else { throw RecordRejection(.invalidField, "network record protocol \(self[\.protocol])") }
        guard hasValidHook else { throw RecordRejection(.invalidField, "network record hook \(self[\.hook])") }
    }

    /// The address in a 16-byte network-order field at `bytes` (IPv4 in the first 4 bytes, the rest ignored).
    ///
    /// Two big-endian 64-bit loads, not a loop over bytes: this runs twice per connect.
    @inlinable @inline(__always)
    func ipAddress(at bytes: UnsafeRawPointer) -> IPAddress {
        let high = UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
        guard !isIPv4 else {
            return IPAddress(family: .ipv4, high: high & 0xFFFF_FFFF_0000_0000, low: 0)
        }
        return IPAddress(family: .ipv6, high: high, low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }
}

extension CapturedNetworkRecord {
    /// The record whose fields are at `fields`, its enumerated fields checked.
    @inlinable @inline(__always)
    init(_ fields: NetworkRecordFields) {
        let isConnect = fields.isConnect
        self.init(
            header: CapturedRecordHeader(fields[\.header]),
            ppid: fields[\.ppid],
            uid: fields[\.uid],
            gid: fields[\.gid],
            action: isConnect ? .connect : .bind,
            family: fields.isIPv4 ? .ipv4 : .ipv6,
            transport: fields.isTCP ? .tcp : .udp,
            sourceAddress: fields.ipAddress(at: fields.pointer(to: \.saddr)),
            sourcePort: fields[\.sport],
            destinationAddress: isConnect ? fields.ipAddress(at: fields.pointer(to: \.daddr)) : nil,
            destinationPort: isConnect ? fields[\.dport] : nil,
            hook: fields.isKprobe ? .kprobe : .tracepoint,
            cgroupID: fields[\.cgroup_id],
            executableFile: CapturedExecutableFile(fields[\.executable]),
            taskName: TaskName(kernelField: fields.pointer(to: \.comm))
        )
    }
}

extension CapturedExecutableFile {
    /// The executable file as the kernel wrote it.
    @inlinable
    init(_ file: rarenet_executable_file) {
        self.init(inode: file.inode, device: file.device, mountNamespace: file.mount_namespace)
    }
}

extension CapturedRecordHeader {
    /// The header fields of a record as the kernel wrote them.
    @inlinable
    init(_ header: rarenet_record_header) {
        self.init(
            bootTimeNanoseconds: header.timestamp_ns,
            pid: header.tgid,
            tid: header.tid,
            processStartBootTimeNanoseconds: header.start_time_ns
        )
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
