import CRarenetBPF
import RarenetCapture
import RarenetEvents
import Testing

/// The decoder on hand-built records: what it accepts, and what it refuses and counts.
@Suite("RecordDecoder")
struct RecordDecoderTests {
    private static func header(_ kind: rarenet_record_kind, size: Int) -> rarenet_record_header {
        var header = rarenet_record_header()
        header.kind = UInt16(kind.rawValue)
        header.version = UInt16(RARENET_ABI_VERSION)
        header.size = UInt32(size)
        header.timestamp_ns = 123_456_789
        header.tgid = 4242
        header.tid = 4243
        header.start_time_ns = 99
        return header
    }

    private static func connect() -> rarenet_network_record {
        var record = rarenet_network_record()
        record.header = header(RARENET_RECORD_NETWORK, size: MemoryLayout<rarenet_network_record>.size)
        record.ppid = 1
        record.uid = 1000
        record.gid = 100
        record.action = UInt16(RARENET_ACTION_CONNECT.rawValue)
        record.family = 2
        record.protocol = 6
        record.sport = 40000
        record.dport = 8443
        record.hook = UInt8(RARENET_HOOK_KPROBE.rawValue)
        record.cgroup_id = 77
        withUnsafeMutableBytes(of: &record.saddr) { $0.copyBytes(from: [192, 0, 2, 1]) }
        withUnsafeMutableBytes(of: &record.daddr) { $0.copyBytes(from: [198, 51, 100, 7]) }
        withUnsafeMutableBytes(of: &record.comm) { $0.copyBytes(from: Array("curl".utf8)) }
        return record
    }

    private static func exec(path: String, arguments: [UInt8], flags: UInt32 = 0) -> rarenet_exec_record {
        var record = rarenet_exec_record()
        record.header = header(RARENET_RECORD_EXEC, size: MemoryLayout<rarenet_exec_record>.size)
        record.ppid = 1
        record.uid = 0
        record.path_len = UInt16(path.utf8.count)
        record.args_len = UInt16(arguments.count)
        record.flags = flags
        withUnsafeMutableBytes(of: &record.path) { $0.copyBytes(from: Array(path.utf8)) }
        withUnsafeMutableBytes(of: &record.args) { $0.copyBytes(from: arguments) }
        withUnsafeMutableBytes(of: &record.comm) { $0.copyBytes(from: Array("nginx".utf8)) }
        return record
    }

    private static func decode<Record>(_ record: Record, into decoder: inout RecordDecoder) -> CapturedRecord? {
        withUnsafeBytes(of: record) { decoder.decode($0) }
    }

    private static func rejection<Record>(of record: Record) -> RecordRejection? {
        rejection(ofBytes: withUnsafeBytes(of: record) { Array($0) })
    }

    private static func rejection(ofBytes bytes: [UInt8]) -> RecordRejection? {
        bytes.withUnsafeBytes { bytes -> RecordRejection? in
            do throws(RecordRejection) {
                _ = try RecordDecoder.decodeRecord(bytes)
                return nil
            } catch {
                return error
            }
        }
    }

    @Test func decodesAConnect() throws {
        var decoder = RecordDecoder()
        let decoded = try #require(Self.decode(Self.connect(), into: &decoder))
        let expected = CapturedNetworkRecord(
            header: CapturedRecordHeader(bootTimeNanoseconds: 123_456_789, pid: 4242, tid: 4243, processStartBootTimeNanoseconds: 99),
            ppid: 1, uid: 1000, gid: 100, action: .connect, family: .ipv4, transport: .tcp,
            sourceAddress: IPAddress(ipv4: 192, 0, 2, 1), sourcePort: 40000,
            destinationAddress: IPAddress(ipv4: 198, 51, 100, 7), destinationPort: 8443,
            hook: .kprobe, cgroupID: 77, taskName: TaskName("curl")
        )
        #expect(decoded == .network(expected))
        #expect(decoded.header.pid == 4242)
        #expect(decoder.rejections.total == 0)
    }

    @Test func aBindHasNoDestination() throws {
        var record = Self.connect()
        record.action = UInt16(RARENET_ACTION_BIND.rawValue)
        record.family = 10
        record.protocol = 17
        record.dport = 0
        record.hook = UInt8(RARENET_HOOK_TRACEPOINT.rawValue)
        withUnsafeMutableBytes(of: &record.saddr) { $0.copyBytes(from: [UInt8](repeating: 0, count: 15) + [1]) }
        var decoder = RecordDecoder()
        guard case let .network(bind) = try #require(Self.decode(record, into: &decoder)) else {
            Issue.record("not a network record")
            return
        }
        #expect(bind.action == .bind && bind.family == .ipv6 && bind.transport == .udp && bind.hook == .tracepoint)
        #expect(bind.sourceAddress == IPAddress("::1"))
        #expect(bind.destinationAddress == nil)
        #expect(bind.destinationPort == nil)
    }

    @Test func decodesAnExecWithItsArgumentsAndFlags() throws {
        let arguments = Array("nginx\0-g\0\0daemon off;\0".utf8)
        let record = Self.exec(path: "/usr/sbin/nginx", arguments: arguments, flags: RARENET_EXEC_PATH_DELETED.rawValue)
        var decoder = RecordDecoder()
        guard case let .exec(exec) = try #require(Self.decode(record, into: &decoder)) else {
            Issue.record("not an exec record")
            return
        }
        #expect(exec.executablePath == "/usr/sbin/nginx")
        #expect(exec.arguments == ["nginx", "-g", "", "daemon off;"])
        #expect(exec.comm == "nginx")
        #expect(exec.isExecutableDeleted && !exec.isPathTruncated && !exec.areArgumentsTruncated)
    }

    @Test func argumentsWithoutATrailingTerminatorKeepTheirLastArgument() throws {
        let record = Self.exec(path: "/bin/sh", arguments: Array("sh\0-c".utf8), flags: RARENET_EXEC_ARGS_TRUNCATED.rawValue)
        var decoder = RecordDecoder()
        guard case let .exec(exec) = try #require(Self.decode(record, into: &decoder)) else {
            Issue.record("not an exec record")
            return
        }
        #expect(exec.arguments == ["sh", "-c"])
        #expect(exec.areArgumentsTruncated)
    }

    @Test func stringsStayWithinTheirFieldsAndLengths() throws {
        var record = Self.exec(path: "/opt/app/bin/server", arguments: [])
        record.path_len = 8 // the bytes after the declared length are not part of the path
        withUnsafeMutableBytes(of: &record.comm) { $0.copyBytes(from: [UInt8](repeating: UInt8(ascii: "x"), count: 16)) }
        withUnsafeMutableBytes(of: &record.args) { $0.copyBytes(from: Array("ignored".utf8)) }
        var decoder = RecordDecoder()
        guard case let .exec(exec) = try #require(Self.decode(record, into: &decoder)) else {
            Issue.record("not an exec record")
            return
        }
        #expect(exec.executablePath == "/opt/app")
        #expect(exec.comm == String(repeating: "x", count: 16))
        #expect(exec.arguments.isEmpty)
    }

    @Test func invalidUTF8IsRepairedNotTrusted() throws {
        var record = Self.connect()
        withUnsafeMutableBytes(of: &record.comm) { $0.copyBytes(from: [0x61, 0xff, 0x62, 0]) }
        var decoder = RecordDecoder()
        guard case let .network(network) = try #require(Self.decode(record, into: &decoder)) else {
            Issue.record("not a network record")
            return
        }
        #expect(network.comm == "a\u{FFFD}b")
    }

    @Test func taskNameKeepsTheBytesBeforeTheFirstNULAndAtMostFifteen() throws {
        let cases: [(field: [UInt8], name: String)] = [
            (Array("ab\0garbage\0xyz".utf8), "ab"),
            ([UInt8](repeating: UInt8(ascii: "x"), count: 16), String(repeating: "x", count: 15)),
            (Array("exactly-8\0".utf8) + [UInt8](repeating: 0x7f, count: 6), "exactly-8"),
            (Array("12345678".utf8) + [0] + [UInt8](repeating: 0xff, count: 7), "12345678"),
            ([0] + [UInt8](repeating: UInt8(ascii: "z"), count: 15), ""),
        ]
        for (field, name) in cases {
            var record = Self.connect()
            withUnsafeMutableBytes(of: &record.comm) { $0.copyBytes(from: field) }
            var decoder = RecordDecoder()
            guard case let .network(network) = try #require(Self.decode(record, into: &decoder)) else {
                Issue.record("not a network record")
                return
            }
            #expect(network.comm == name)
            #expect(network.taskName.count == name.utf8.count)
            #expect(network.taskName == TaskName(name))
        }
    }

    @Test func decodesAnExit() throws {
        var record = rarenet_exit_record()
        record.header = Self.header(RARENET_RECORD_EXIT, size: MemoryLayout<rarenet_exit_record>.size)
        record.ppid = 1
        record.exit_code = 256
        var decoder = RecordDecoder()
        #expect(Self.decode(record, into: &decoder) == .exit(CapturedExitRecord(header: record.header.captured, ppid: 1, exitStatus: 256)))
    }

    @Test func unknownKindIsRejected() {
        var record = Self.connect()
        record.header.kind = 9
        #expect(Self.rejection(of: record)?.reason == .unknownKind)
        #expect(Self.rejection(of: record)?.detail == "kind 9")
    }

    @Test func wrongVersionIsRejected() {
        var record = Self.connect()
        record.header.version = UInt16(RARENET_ABI_VERSION) + 1
        #expect(Self.rejection(of: record)?.reason == .unsupportedVersion)
    }

    @Test func headerSizeThatDoesNotMatchTheKindIsRejected() {
        var record = Self.connect()
        record.header.size = UInt32(MemoryLayout<rarenet_exit_record>.size)
        #expect(Self.rejection(of: record)?.reason == .sizeMismatch)
    }

    @Test func recordLengthThatDoesNotMatchTheKindIsRejected() {
        // An exit record's header claiming to be a network record: the ring length is that of an exit record.
        var record = rarenet_exit_record()
        record.header = Self.header(RARENET_RECORD_NETWORK, size: MemoryLayout<rarenet_network_record>.size)
        #expect(Self.rejection(of: record)?.reason == .sizeMismatch)

        // A valid record followed by extra bytes.
        let padded = withUnsafeBytes(of: Self.connect()) { Array($0) } + [0, 0, 0, 0, 0, 0, 0, 0]
        let size = MemoryLayout<rarenet_network_record>.size
        #expect(Self.rejection(ofBytes: padded) == RecordRejection(.sizeMismatch, "network record of \(size + 8) bytes with header size \(size), expected \(size)"))
    }

    @Test func recordShorterThanAHeaderIsRejected() {
        #expect(Self.rejection(ofBytes: [1, 0, 1, 0, 128, 0, 0, 0]) == RecordRejection(.truncated, "8 bytes, shorter than the 32-byte header"))
    }

    @Test func fieldsOutsideTheirDomainAreRejected() {
        var family = Self.connect()
        family.family = 1
        var transport = Self.connect()
        transport.protocol = 132
        var action = Self.connect()
        action.action = 3
        var hook = Self.connect()
        hook.hook = 0
        var path = Self.exec(path: "/bin/true", arguments: [])
        path.path_len = UInt16(RARENET_PATH_MAX) + 1
        var arguments = Self.exec(path: "/bin/true", arguments: [])
        arguments.args_len = UInt16(RARENET_ARGS_MAX) + 1

        #expect(Self.rejection(of: family) == RecordRejection(.invalidField, "network record family 1"))
        #expect(Self.rejection(of: transport) == RecordRejection(.invalidField, "network record protocol 132"))
        #expect(Self.rejection(of: action) == RecordRejection(.invalidField, "network record action 3"))
        #expect(Self.rejection(of: hook) == RecordRejection(.invalidField, "network record hook 0"))
        #expect(Self.rejection(of: path) == RecordRejection(.invalidField, "exec record path_len 513 exceeds 512"))
        #expect(Self.rejection(of: arguments) == RecordRejection(.invalidField, "exec record args_len 257 exceeds 256"))
    }

    @Test func rejectionsAreCountedByReasonAndGoodRecordsStillDecode() {
        var unknown = Self.connect()
        unknown.header.kind = 0
        var version = Self.connect()
        version.header.version = 0
        var size = Self.connect()
        size.header.size = 0
        var field = Self.connect()
        field.family = 0

        var decoder = RecordDecoder()
        #expect(Self.decode(unknown, into: &decoder) == nil)
        #expect(Self.decode(Self.connect(), into: &decoder) != nil)
        #expect(Self.decode(version, into: &decoder) == nil)
        #expect(Self.decode(version, into: &decoder) == nil)
        #expect(Self.decode(size, into: &decoder) == nil)
        #expect(Self.decode(field, into: &decoder) == nil)
        #expect(Self.decode(Self.connect(), into: &decoder) != nil)

        #expect(decoder.rejections[.unknownKind] == 1)
        #expect(decoder.rejections[.unsupportedVersion] == 2)
        #expect(decoder.rejections[.sizeMismatch] == 1)
        #expect(decoder.rejections[.invalidField] == 1)
        #expect(decoder.rejections[.truncated] == 0)
        #expect(decoder.rejections.total == 5)
        #expect(decoder.lastRejection == RecordRejection(.invalidField, "network record family 0"))
    }
}

private extension rarenet_record_header {
    var captured: CapturedRecordHeader {
        CapturedRecordHeader(bootTimeNanoseconds: timestamp_ns, pid: tgid, tid: tid, processStartBootTimeNanoseconds: start_time_ns)
    }
}
