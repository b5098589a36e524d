#if canImport(Glibc)
import Glibc
#endif
import CRarenetBPF
import RarenetCapture
import RarenetEvents
import RarenetScoring

/// Writes the seed corpus of every fuzz target into the directory given as
/// the only argument (normally `Fuzz/Corpus`): valid inputs made by the real
/// encoders and C structs, plus the edge cases each decoder must refuse.
///
///     swift run --package-path Fuzz SeedCorpus Fuzz/Corpus
@main
struct SeedCorpus {
    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 2 else {
            print("usage: SeedCorpus <corpus directory>")
            exit(2)
        }
        var corpus = CorpusWriter(root: arguments[1])
        try EventLineSeeds.write(into: &corpus)
        try RingRecordSeeds.write(into: &corpus)
        try SnapshotSeeds.write(into: &corpus)
        print("wrote \(corpus.filesWritten) seeds (\(corpus.bytesWritten) bytes) under \(arguments[1])")
    }
}

/// Creates `<root>/<target>/<name>` files.
struct CorpusWriter {
    let root: String
    private(set) var filesWritten = 0
    private(set) var bytesWritten = 0

    init(root: String) {
        self.root = root
    }

    mutating func write(_ bytes: [UInt8], target: String, name: String) throws(SeedError) {
        let directory = "\(root)/\(target)"
        guard mkdir(root, 0o755) == 0 || errno == EEXIST, mkdir(directory, 0o755) == 0 || errno == EEXIST else {
            throw SeedError(path: directory, code: errno)
        }
        let path = "\(directory)/\(name)"
        guard let file = fopen(path, "wb") else { throw SeedError(path: path, code: errno) }
        defer { fclose(file) }
        guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw SeedError(path: path, code: errno) }
        filesWritten += 1
        bytesWritten += bytes.count
    }
}

/// A seed file that could not be written.
struct SeedError: Error, CustomStringConvertible {
    let path: String
    let code: Int32

    var description: String { "\(path): \(String(cString: strerror(code)))" }
}

/// Event lines (FuzzEventLine) and event files (FuzzEventFile).
enum EventLineSeeds {
    static func write(into corpus: inout CorpusWriter) throws(SeedError) {
        let lines = encodedEvents + handWritten
        for (name, line) in lines {
            try corpus.write(Array(line.utf8), target: "event-line", name: name)
        }
        // FuzzEventFile: the first byte is the longest line minus one.
        let mixed = lines.map(\.line).joined(separator: "\n")
        try corpus.write([255] + Array(mixed.utf8), target: "event-file", name: "mixed-limit-256")
        try corpus.write([63] + Array(mixed.utf8), target: "event-file", name: "mixed-limit-64")
        let crlfNoFinalNewline = "\r\n" + lines[0].line + "\r\n   \t\r\n" + lines[1].line + "\n\n" + #"{"ts":1,"action":"connect""#
        try corpus.write([255] + Array(crlfNoFinalNewline.utf8), target: "event-file", name: "crlf-truncated-last-line")
    }

    /// Valid events written by the encoder, one per shape of record.
    static var encodedEvents: [(name: String, line: String)] {
        let connect = NetworkEvent(
            timestamp: EventTimestamp(nanosecondsSinceEpoch: 1_714_564_800_123_456_789), action: .connect,
            pid: 4242, uid: 1000, comm: "curl", ppid: 1, executable: "/usr/bin/curl", user: "alice",
            family: .ipv4, transport: .tcp,
            sourceAddress: IPAddress("192.0.2.10"), sourcePort: 51_000,
            destinationAddress: IPAddress("198.51.100.7"), destinationPort: 443, host: "web-1"
        )
        let bind = NetworkEvent(
            timestamp: EventTimestamp(nanosecondsSinceEpoch: -1), action: .bind,
            pid: 1, uid: 0, comm: "nginx: worker\u{1F600}", executable: "/usr/sbin/nginx (deleted)",
            family: .ipv6, transport: .udp, sourceAddress: IPAddress("2001:db8::1"), sourcePort: 0
        )
        let minimal = NetworkEvent(
            timestamp: EventTimestamp(nanosecondsSinceEpoch: 0), action: .connect, pid: 0, uid: 4_294_967_295, comm: ""
        )
        return [
            ("connect-ipv4-full", EventLineEncoder.line(for: connect)),
            ("bind-ipv6-udp", EventLineEncoder.line(for: bind)),
            ("minimal", EventLineEncoder.line(for: minimal)),
        ]
    }

    /// Lines the encoder never writes: other spellings the parser accepts, and refusals.
    static let handWritten: [(name: String, line: String)] = [
        ("rfc3339-offset",
         #"{"ts":"2024-05-01T12:00:00.123456789+02:00","action":"connect","pid":42,"uid":1000,"comm":"curl","exe":"/usr/bin/curl","family":4,"protocol":"tcp","daddr":"192.0.2.7","dport":443}"#),
        ("rfc3339-zulu-no-fraction", #"{"ts":"1999-12-31t23:59:60Z","action":"bind","pid":1,"uid":0,"comm":"a","saddr":"::ffff:192.0.2.1","sport":53}"#),
        ("escapes-and-unknown-nested",
         #" { "comm" : "a\u00e9\ud83d\ude00\n\"\\\/" , "ts" : 1e0, "x":{"a":[1,-2.5e+3,true,false,null,{"b":[[]]}]}, "action":"connect","pid":1,"uid":0 } "#),
        ("escaped-member-name", #"{"\u0074s":7,"action":"connect","pid":1,"uid":0,"comm":"a","host":null,"ppid":null}"#),
        ("bad-port", #"{"ts":1,"action":"connect","pid":1,"uid":0,"comm":"a","dport":70000}"#),
        ("bad-family-mismatch", #"{"ts":1,"action":"connect","pid":1,"uid":0,"comm":"a","family":6,"daddr":"10.0.0.1"}"#),
        ("bad-duplicate-field", #"{"ts":1,"ts":2,"action":"connect","pid":1,"uid":0,"comm":"a"}"#),
        ("bad-lone-surrogate", #"{"ts":1,"action":"connect","pid":1,"uid":0,"comm":"\udc00"}"#),
        ("bad-truncated", #"{"ts":1,"action":"connect","pid":1,"uid":0,"comm":"a"#),
        ("bad-not-json", "not json at all"),
    ]
}

/// Ring buffer records (FuzzRingRecord), built from the C structs of bpf/rarenet.h.
enum RingRecordSeeds {
    static func write(into corpus: inout CorpusWriter) throws(SeedError) {
        var connect = rarenet_network_record()
        connect.header = header(kind: RARENET_RECORD_NETWORK, size: MemoryLayout<rarenet_network_record>.size)
        connect.ppid = 1
        connect.uid = 1000
        connect.gid = 1000
        connect.action = UInt16(RARENET_ACTION_CONNECT.rawValue)
        connect.family = 2
        connect.protocol = 6
        connect.sport = 51_000
        connect.dport = 443
        connect.hook = UInt8(RARENET_HOOK_TRACEPOINT.rawValue)
        connect.cgroup_id = 7
        fill(&connect.saddr, with: [192, 0, 2, 10])
        fill(&connect.daddr, with: [198, 51, 100, 7])
        fill(&connect.comm, with: Array("curl".utf8))
        try corpus.write(bytes(of: connect), target: "ring-record", name: "network-connect-ipv4")

        var bind = connect
        bind.action = UInt16(RARENET_ACTION_BIND.rawValue)
        bind.family = 10
        bind.protocol = 17
        bind.dport = 0
        bind.hook = UInt8(RARENET_HOOK_KPROBE.rawValue)
        fill(&bind.saddr, with: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
        fill(&bind.daddr, with: Array(repeating: 0, count: 16))
        fill(&bind.comm, with: Array(repeating: UInt8(ascii: "n"), count: 16))
        try corpus.write(bytes(of: bind), target: "ring-record", name: "network-bind-ipv6-full-comm")

        var exec = rarenet_exec_record()
        exec.header = header(kind: RARENET_RECORD_EXEC, size: MemoryLayout<rarenet_exec_record>.size)
        exec.ppid = 1
        exec.uid = 0
        exec.gid = 0
        exec.cgroup_id = 7
        let path = Array("/usr/bin/curl".utf8)
        let arguments = Array("curl\0-s\0https://example.test/\0".utf8)
        exec.path_len = UInt16(path.count)
        exec.args_len = UInt16(arguments.count)
        fill(&exec.comm, with: Array("curl".utf8))
        fill(&exec.path, with: path)
        fill(&exec.args, with: arguments)
        try corpus.write(bytes(of: exec), target: "ring-record", name: "exec-with-arguments")

        var truncatedExec = exec
        truncatedExec.flags = RARENET_EXEC_PATH_TRUNCATED.rawValue | RARENET_EXEC_PATH_DELETED.rawValue
            | RARENET_EXEC_ARGS_TRUNCATED.rawValue
        truncatedExec.path_len = UInt16(RARENET_PATH_MAX)
        truncatedExec.args_len = UInt16(RARENET_ARGS_MAX)
        fill(&truncatedExec.path, with: Array(repeating: UInt8(ascii: "d"), count: Int(RARENET_PATH_MAX)))
        fill(&truncatedExec.args, with: Array(repeating: 0xff, count: Int(RARENET_ARGS_MAX)))
        try corpus.write(bytes(of: truncatedExec), target: "ring-record", name: "exec-truncated-deleted-invalid-utf8")

        var exitRecord = rarenet_exit_record()
        exitRecord.header = header(kind: RARENET_RECORD_EXIT, size: MemoryLayout<rarenet_exit_record>.size)
        exitRecord.ppid = 1
        exitRecord.exit_code = 256
        try corpus.write(bytes(of: exitRecord), target: "ring-record", name: "exit")
        try corpus.write(Array(bytes(of: exitRecord).prefix(31)), target: "ring-record", name: "bad-shorter-than-header")
    }

    static func header(kind: rarenet_record_kind, size: Int) -> rarenet_record_header {
        var header = rarenet_record_header()
        header.kind = UInt16(kind.rawValue)
        header.version = UInt16(RARENET_ABI_VERSION)
        header.size = UInt32(size)
        header.timestamp_ns = 5_000_000_000
        header.tgid = 4242
        header.tid = 4243
        header.start_time_ns = 4_000_000_000
        return header
    }

    /// Copies `values` into the start of a fixed-size C array field (a tuple).
    static func fill<Field>(_ field: inout Field, with values: [UInt8]) {
        withUnsafeMutableBytes(of: &field) { bytes in
            precondition(values.count <= bytes.count, "seed value longer than its field")
            bytes.copyBytes(from: values)
        }
    }

    static func bytes<Record>(of record: Record) -> [UInt8] {
        withUnsafeBytes(of: record) { Array($0) }
    }
}

/// Baseline snapshots (FuzzSnapshot), encoded by the real scorer and codec.
enum SnapshotSeeds {
    static func write(into corpus: inout CorpusWriter) throws {
        var configuration = ScoringConfiguration()
        configuration.sketch = SketchParameters(depth: 2, width: 64, seed: 0x5EED)
        configuration.bucketKeyCapacity = 8
        configuration.firstSeenCapacity = 16
        configuration.learningPeriod = .zero
        try corpus.write(Baseline(configuration: configuration).encoded(), target: "snapshot", name: "empty-not-started")

        var scorer = try RarityScorer(configuration: configuration)
        let span = Int64(configuration.bucketSpan.components.seconds) * 1_000_000_000
        // Three buckets; the middle one holds more processes than the bucket
        // key set, so the snapshot also carries an overflow bitmap.
        for (bucket, processes) in [(0, 3), (1, 12), (2, 2)] {
            for process in 0..<processes {
                let key = scorer.processKey(executable: "/usr/bin/tool\(process)", comm: "tool\(process)", user: nil)
                let event = ScoringEvent(
                    timestamp: EventTimestamp(nanosecondsSinceEpoch: 1_714_564_800_000_000_000 + Int64(bucket) * span + Int64(process)),
                    action: .connect, process: key, pid: UInt32(100 + process), uid: 1000,
                    destinationAddress: IPAddress("198.51.100.7"), destinationPort: UInt16(8000 + process)
                )
                scorer.score(event) { _ in }
            }
        }
        try corpus.write(scorer.baseline.encoded(), target: "snapshot", name: "three-buckets-with-overflow")
        var single = configuration
        single.detectors = [.rarePort]
        single.keyMode = .name
        try corpus.write(Baseline(configuration: single).encoded(), target: "snapshot", name: "one-detector-name-keys")
    }
}
