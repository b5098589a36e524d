import RarenetTestSupport
import Testing
import RarenetEvents

/// Truncated and garbage event files read through ``EventLineReader``
/// (issue 6, "Bad input"): every bad line is reported with its line number
/// and, when the line is a JSON object, the field at fault; every other line
/// decodes exactly as it does on its own.
@Suite struct GarbageInputTests {
    static let goodLines = [
        #"{"ts":1714564800000000000,"action":"connect","pid":10,"uid":1000,"comm":"curl","exe":"/usr/bin/curl","daddr":"198.51.100.7","dport":443}"#,
        #"{"ts":"2024-05-01T12:00:00.5Z","action":"bind","pid":11,"uid":0,"comm":"nginx","family":6,"saddr":"::","sport":80}"#,
        #"{"ts":3,"action":"connect","pid":12,"uid":33,"comm":"php-fpm","user":"www-data","protocol":"udp","dport":53}"#,
    ]

    /// The event a good line decodes to on its own.
    static func alone(_ line: String) throws -> NetworkEvent {
        try EventLineParser.parse(line).get()
    }

    static func read(_ text: [UInt8]) throws -> [Result<NetworkEvent, BadEventLine>] {
        try EventLineReaderTests.read(text, maximumLineLength: 1024)
    }

    /// A file cut at any byte of its last line (a writer killed mid-write)
    /// loses that line only, with a syntax error that says where it stops.
    @Test func aFileCutAnywhereInItsLastLineLosesOnlyThatLine() throws {
        let lastLine = Array(Self.goodLines[2].utf8)
        let head = Array((Self.goodLines[0] + "\n" + Self.goodLines[1] + "\n").utf8)
        for cut in 1..<lastLine.count {
            let results = try Self.read(head + lastLine[..<cut])
            try #require(results.count == 3, "cut after \(cut) bytes")
            #expect(try results[0].get() == Self.alone(Self.goodLines[0]))
            #expect(try results[1].get() == Self.alone(Self.goodLines[1]))
            guard case .failure(let bad) = results[2] else {
                Issue.record("a line cut after \(cut) bytes was accepted")
                continue
            }
            #expect(bad.lineNumber == 3)
            #expect(bad.error.field == nil)
            #expect(bad.description.hasPrefix("events.jsonl:3: column "), "\(bad)")
        }
    }

    /// Binary garbage between good lines (NUL bytes, bytes that are not
    /// UTF-8, a lone multi-byte lead) is reported line by line.
    @Test func binaryGarbageIsReportedLineByLineAndTheRestDecodes() throws {
        let invalidUTF8Comm = Array(#"{"ts":1,"action":"connect","pid":1,"uid":0,"comm":"a"#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        let lines: [[UInt8]] = [
            Array(Self.goodLines[0].utf8),
            [0x00, 0x01, 0xFF, 0xFE, 0x7B, 0x00],
            Array(Self.goodLines[1].utf8),
            invalidUTF8Comm,
            Array(Self.goodLines[2].utf8),
            Array(Self.goodLines[2].utf8) + [0x00],
        ]
        let results = try Self.read(Array(lines.joined(separator: [0x0A])))
        try #require(results.count == 6)
        #expect(try results[0].get() == Self.alone(Self.goodLines[0]))
        #expect(try results[2].get() == Self.alone(Self.goodLines[1]))
        #expect(try results[4].get() == Self.alone(Self.goodLines[2]))
        let failures = results.compactMap { result -> BadEventLine? in
            if case .failure(let bad) = result { return bad }
            return nil
        }
        #expect(failures.map(\.lineNumber) == [2, 4, 6])
        #expect(failures.map(\.description) == [
            "events.jsonl:2: column 1: expected '{' at the start of the line",
            #"events.jsonl:4: field "comm": is not valid UTF-8"#,
            "events.jsonl:6: column \(Self.goodLines[2].utf8.count + 1): unexpected characters after the object",
        ])
    }

    /// One file with a bad value in every field: each line names its own
    /// field, and the good lines between them are untouched.
    @Test func eachBadFieldIsNamedWithItsLine() throws {
        let badValues: [(field: String, value: String)] = [
            ("ts", #""yesterday""#), ("action", #""accept""#), ("pid", "-1"), ("uid", #""0""#),
            ("comm", "null"), ("ppid", "4294967296"), ("exe", #""bin/sh""#), ("family", "5"),
            ("protocol", #""sctp""#), ("saddr", #""300.1.2.3""#), ("sport", "1.5"),
            ("daddr", #""fe80::1::2""#), ("dport", "65536"), ("host", "7"), ("user", #"["root"]"#),
        ]
        var lines: [String] = []
        for (field, value) in badValues {
            lines.append(Self.goodLines[lines.count / 2 % Self.goodLines.count])
            lines.append(Self.minimalLine(with: field, value))
        }
        let results = try Self.read(Array(lines.joined(separator: "\n").utf8))
        try #require(results.count == lines.count)
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let event):
                #expect(index % 2 == 0, "line \(index + 1) should have been refused")
                #expect(event == (try Self.alone(lines[index])))
            case .failure(let bad):
                let field = badValues[index / 2].field
                #expect(index % 2 == 1, "line \(index + 1): \(bad)")
                #expect(bad.lineNumber == index + 1)
                #expect(bad.error.field == field, "\(bad)")
                #expect(bad.description.hasPrefix("events.jsonl:\(index + 1): field \"\(field)\": "), "\(bad)")
            }
        }
    }

    /// A line with the required fields, `field` set to the raw JSON `value`.
    static func minimalLine(with field: String, _ value: String) -> String {
        var members = [("ts", "1"), ("action", #""connect""#), ("pid", "1"), ("uid", "0"), ("comm", #""a""#)]
        if let index = members.firstIndex(where: { $0.0 == field }) {
            members[index].1 = value
        } else {
            members.append((field, value))
        }
        return "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Random bytes with newlines: one result per non-blank line, numbered
    /// in order, each exactly what the parser says about that line alone.
    @Test func randomGarbageFilesMatchTheParserLineByLine() throws {
        var generator = SplitMix64(seed: 6)
        let alphabet = Array(#"{}[]":,\ 0123456789.eE+-tructsaplinofd"#.utf8) + [0x00, 0x0A, 0x0A, 0x0D, 0xC3, 0xFF]
        for _ in 0..<50 {
            let file = (0..<Int.random(in: 0...600, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            var expected: [Result<NetworkEvent, BadEventLine>] = []
            var lines = file.split(separator: 0x0A, omittingEmptySubsequences: false)
            if file.last == 0x0A || file.isEmpty { lines.removeLast() }
            for (index, line) in lines.enumerated() where !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                expected.append(EventLineParser.parse(Array(line)).mapError {
                    BadEventLine(source: "events.jsonl", lineNumber: index + 1, error: $0)
                })
            }
            #expect(try Self.read(file) == expected)
        }
    }

    /// Garbage with no newline at all, longer than the longest line, is one
    /// bad line and is not kept in memory.
    @Test func anEndlessGarbageLineIsOneBadLine() throws {
        var generator = SplitMix64(seed: 7)
        let garbage = (0..<200_000).map { _ in UInt8.random(in: 0x0B...0xFF, using: &generator) }
        let results = try EventLineReaderTests.read(garbage + [0x0A] + Array(Self.goodLines[0].utf8), maximumLineLength: 256)
        try #require(results.count == 2)
        guard case .failure(let bad) = results[0] else {
            Issue.record("200 kB of garbage was accepted as an event")
            return
        }
        #expect(bad.description == "events.jsonl:1: line is longer than 256 bytes")
        #expect(try results[1].get() == Self.alone(Self.goodLines[0]))
    }
}
