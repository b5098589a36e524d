import RarenetTestSupport
import Testing
import RarenetEvents

@Suite struct EventLineParserTests {
    static let minimal = #"{"ts":"2024-06-18T12:00:00Z","action":"connect","pid":42,"uid":1000,"comm":"curl"}"#

    @Test func parsesEveryField() throws {
        let line = #"""
            {"ts":"2024-06-18T12:00:00.5Z","action":"connect","pid":4242,"uid":1000,"comm":"curl",\#
            "ppid":1,"exe":"/usr/bin/curl","user":"alice","family":4,"protocol":"tcp",\#
            "saddr":"10.0.0.2","sport":51234,"daddr":"192.0.2.7","dport":443,"host":"web-1"}
            """#
        let event = try EventLineParser.parse(line).get()
        #expect(event.timestamp.nanosecondsSinceEpoch == 1_718_712_000_500_000_000)
        #expect(event.action == .connect)
        #expect(event.pid == 4242)
        #expect(event.uid == 1000)
        #expect(event.comm == "curl")
        #expect(event.ppid == 1)
        #expect(event.executable == "/usr/bin/curl")
        #expect(event.user == "alice")
        #expect(event.family == .ipv4)
        #expect(event.transport == .tcp)
        #expect(event.sourceAddress == IPAddress("10.0.0.2"))
        #expect(event.sourcePort == 51234)
        #expect(event.destinationAddress == IPAddress("192.0.2.7"))
        #expect(event.destinationPort == 443)
        #expect(event.host == "web-1")
    }

    @Test func leavesAbsentAndNullFieldsUnknown() throws {
        let event = try EventLineParser.parse(Self.minimal).get()
        #expect(event == NetworkEvent(
            timestamp: EventTimestamp(nanosecondsSinceEpoch: 1_718_712_000_000_000_000),
            action: .connect, pid: 42, uid: 1000, comm: "curl"
        ))
        let withNulls = #"{"ts":1,"action":"bind","pid":1,"uid":0,"comm":"x","exe":null,"dport":null,"family":null}"#
        let bind = try EventLineParser.parse(withNulls).get()
        #expect(bind.executable == nil && bind.destinationPort == nil && bind.family == nil)
        #expect(bind.timestamp.nanosecondsSinceEpoch == 1)
    }

    @Test func acceptsIntegerNanosecondsAndIPv6() throws {
        let line = #"{"ts":1718712000123456789,"action":"bind","pid":7,"uid":0,"comm":"sshd","family":6,"saddr":"::","sport":22}"#
        let event = try EventLineParser.parse(line).get()
        #expect(event.timestamp.nanosecondsSinceEpoch == 1_718_712_000_123_456_789)
        #expect(event.action == .bind)
        #expect(event.sourceAddress == IPAddress("::"))
        #expect(event.family == .ipv6)
    }

    @Test func ignoresUnknownFieldsOfAnyShape() throws {
        let line = #"""
            { "extra" : {"a":[1,2,{"b":null}],"c":"}"} , "list":[], "obj":{}, "n":-1.5e+3, "t":true,
              "ts":"2024-06-18T12:00:00Z","action":"connect","pid":42,"uid":1000,"comm":"curl","f":false }
            """#
        let event = try EventLineParser.parse(line.replacingNewlines()).get()
        #expect(event.comm == "curl")
    }

    @Test func decodesStringEscapes() throws {
        let line = #"{"ts":1,"action":"connect","pid":1,"uid":0,"comm":"a\"b\\c\/d\n\t\u00e9\ud83d\ude00\u0001","user":"\u0041"}"#
        let event = try EventLineParser.parse(line).get()
        #expect(event.comm == "a\"b\\c/d\n\té😀\u{01}")
        #expect(event.user == "A")
    }

    @Test func matchesEscapedMemberNames() throws {
        let line = #"{"\u0074s":1,"action":"connect","p\u0069d":1,"uid":0,"comm":"x"}"#
        #expect(try EventLineParser.parse(line).get().pid == 1)
    }

    /// Every field's error names the field and says why.
    @Test(arguments: [
        (#""ts":"yesterday""#, "ts", #""yesterday" is not an RFC 3339 time: expected 4 digits for the year"#),
        (#""ts":"2024-02-30T00:00:00Z""#, "ts", #""2024-02-30T00:00:00Z" is not an RFC 3339 time: day 30 is out of range (1–29)"#),
        (#""ts":1.5"#, "ts", "1.5 is not 64-bit integer nanoseconds since the epoch"),
        (#""ts":99999999999999999999"#, "ts", "99999999999999999999 is not 64-bit integer nanoseconds since the epoch"),
        (#""ts":true"#, "ts", "expected an RFC 3339 time or integer nanoseconds, found a boolean"),
        (#""action":"accept""#, "action", #""accept" is not an action (connect or bind)"#),
        (#""action":1"#, "action", "expected connect or bind, found a number"),
        (#""pid":-1"#, "pid", "-1 is not a process id (0–4294967295)"),
        (#""pid":4294967296"#, "pid", "4294967296 is not a process id (0–4294967295)"),
        (#""pid":"42""#, "pid", "expected a process id (0–4294967295), found a string"),
        (#""uid":1e3"#, "uid", "1e3 is not a user id (0–4294967295)"),
        (#""comm":["a"]"#, "comm", "expected a string, found an array"),
        (#""comm":"\ud800x""#, "comm", "has an unpaired UTF-16 surrogate"),
        (#""ppid":{}"#, "ppid", "expected a process id (0–4294967295), found an object"),
        (#""exe":"bin/curl""#, "exe", #""bin/curl" is not an absolute path"#),
        (#""exe":"/bin/a\u0000b""#, "exe", #""/bin/a\u0000b" contains a NUL character"#),
        (#""user":5"#, "user", "expected a string, found a number"),
        (#""family":5"#, "family", "5 is not an address family (4 or 6)"),
        (#""family":10"#, "family", "10 is not an address family (4 or 6)"),
        (#""protocol":"sctp""#, "protocol", #""sctp" is not a protocol (tcp or udp)"#),
        (#""saddr":"1.2.3""#, "saddr", #""1.2.3" is not an IP address"#),
        (#""sport":65536"#, "sport", "65536 is not a port (0–65535)"),
        (#""daddr":"::g""#, "daddr", #""::g" is not an IP address"#),
        (#""dport":70000"#, "dport", "70000 is not a port (0–65535)"),
        (#""host":null,"host":"a""#, "host", "appears more than once"),
        (#""family":4,"daddr":"::1""#, "daddr", #"::1 is IPv6 but "family" is 4"#),
        (#""saddr":"10.0.0.1","daddr":"::1""#, "daddr", #"::1 is IPv6 but "saddr" is IPv4"#),
    ])
    func namesTheFieldAndTheReason(_ member: String, _ field: String, _ reason: String) {
        #expect(EventLineParser.parse(Self.line(with: member)) == .failure(EventLineError(field: field, reason: reason)))
    }

    /// A valid minimal line with `member` added, replacing the member of the same name.
    static func line(with member: String) -> String {
        let base = [#""ts":1"#, #""action":"connect""#, #""pid":1"#, #""uid":0"#, #""comm":"x""#]
        let name = member.prefix { $0 != ":" }
        return "{" + (base.filter { !$0.hasPrefix(name) } + [member]).joined(separator: ",") + "}"
    }

    @Test(arguments: ["ts", "action", "pid", "uid", "comm"])
    func requiresTheRequiredFields(_ field: String) throws {
        let members = [#""ts":1"#, #""action":"connect""#, #""pid":1"#, #""uid":0"#, #""comm":"x""#]
        let without = members.filter { !$0.hasPrefix("\"\(field)\"") }
        let line = "{" + without.joined(separator: ",") + "}"
        #expect(EventLineParser.parse(line) == .failure(EventLineError(field: field, reason: "is required but missing")))
        let withNull = "{" + without.joined(separator: ",") + ",\"\(field)\":null}"
        #expect(EventLineParser.parse(withNull) == .failure(EventLineError(field: field, reason: "is required and must not be null")))
    }

    @Test func quotesLongValuesShortenedAndEscaped() {
        let line = Self.line(with: #""action":"connect\n"# + String(repeating: "x", count: 100) + "\"")
        let expected = #""connect\n"# + String(repeating: "x", count: 32) + #""… is not an action (connect or bind)"#
        #expect(EventLineParser.parse(line) == .failure(EventLineError(field: "action", reason: expected)))
    }

    @Test(arguments: [
        ("", "column 1: the line is empty"),
        ("   ", "column 4: the line is empty"),
        ("[]", "column 1: expected '{' at the start of the line"),
        ("{", "column 2: expected a member name in double quotes"),
        (#"{"ts""#, "column 6: expected ':' after a member name"),
        (#"{"ts":"#, "column 7: expected a value"),
        (#"{"ts":1"#, "column 8: expected '}' or ',' after a member"),
        (#"{"ts":1,}"#, "column 9: expected a member name in double quotes"),
        (#"{"ts":01}"#, "column 8: a number must not have leading zeros"),
        (#"{"ts":-}"#, "column 8: expected a digit in a number"),
        (#"{"ts":1.}"#, "column 9: expected a digit after '.' in a number"),
        (#"{"ts":1e}"#, "column 9: expected a digit in the exponent of a number"),
        (#"{"ts":tru}"#, "column 7: expected a value"),
        (#"{"ts":"abc}"#, "column 12: unterminated string"),
        (#"{"ts":"a\qb"}"#, #"column 10: invalid escape '\q' in a string"#),
        (#"{"ts":"\u12"}"#, #"column 9: \u must be followed by four hex digits"#),
        ("{\"ts\":\"a\tb\"}", "column 9: unescaped control character in a string"),
        (#"{"x":[1 2]}"#, "column 9: expected ',' or ']' in a nested value"),
        (#"{"x":[1,]}"#, "column 9: expected a value"),
        (#"{"x":{"a" 1}}"#, "column 11: expected ':' after a member name"),
        (#"{"x":{1:2}}"#, "column 7: expected a member name in double quotes"),
        (#"{"x":[}"#, "column 7: expected a value"),
        (#"{} {}"#, "column 4: unexpected characters after the object"),
    ])
    func reportsSyntaxErrorsWithTheirColumn(_ line: String, _ reason: String) {
        #expect(EventLineParser.parse(line) == .failure(EventLineError(field: nil, reason: reason)))
    }

    @Test func rejectsInvalidUTF8() {
        var line = Array(#"{"ts":1,"action":"connect","pid":1,"uid":0,"comm":"ab"}"#.utf8)
        line[line.count - 3] = 0xFF
        #expect(EventLineParser.parse(line) == .failure(EventLineError(field: "comm", reason: "is not valid UTF-8")))
    }

    @Test func limitsTheNestingOfSkippedValues() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let line = #"{"x":\#(deep)}"#
        #expect(EventLineParser.parse(line) == .failure(EventLineError(field: nil, reason: "column 70: values nested deeper than 64 levels")))
        let allowed = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        let ok = Self.minimal.dropLast() + #","x":\#(allowed)}"#
        #expect(try EventLineParser.parse(String(ok)).get().comm == "curl")
    }

    /// Random bytes and random mutations of a valid line: the parser returns
    /// a result for each (it never traps or loops), and every failure says why.
    @Test func survivesGarbage() {
        var generator = SplitMix64(seed: 42)
        let valid = Array(Self.minimal.utf8)
        let alphabet = Array(#"{}[]":,\ u0123456789.eE+-truefalsn"#.utf8) + [0x00, 0x0a, 0xC3, 0xFF]
        var failures = 0
        for round in 0..<20_000 {
            var line: [UInt8]
            if round % 2 == 0 {
                line = (0..<Int.random(in: 0...80, using: &generator)).map { _ in
                    alphabet.randomElement(using: &generator)!
                }
            } else {
                line = valid
                for _ in 0...Int.random(in: 0...4, using: &generator) {
                    let position = Int.random(in: 0..<line.count, using: &generator)
                    switch generator.next() % 3 {
                    case 0: line[position] = alphabet.randomElement(using: &generator)!
                    case 1: line.remove(at: position)
                    default: line.insert(alphabet.randomElement(using: &generator)!, at: position)
                    }
                    if line.isEmpty { break }
                }
            }
            if case .failure(let error) = EventLineParser.parse(line) {
                #expect(!error.reason.isEmpty)
                failures += 1
            }
        }
        #expect(failures > 10_000)
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        split(separator: "\n").joined(separator: " ")
    }
}
