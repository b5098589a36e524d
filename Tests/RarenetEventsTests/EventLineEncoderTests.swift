import RarenetTestSupport
import Testing
import RarenetEvents

@Suite struct EventLineEncoderTests {
    @Test func writesTheRecordFormatInFixedOrder() throws {
        let event = NetworkEvent(
            timestamp: EventTimestamp(nanosecondsSinceEpoch: 1_718_712_000_000_000_042),
            action: .connect, pid: 4242, uid: 1000, comm: "cu\"rl",
            ppid: 1, executable: "/usr/bin/curl", user: "alice", family: .ipv6, transport: .tcp,
            sourceAddress: IPAddress("2001:db8::2"), sourcePort: 51234,
            destinationAddress: IPAddress("2001:db8::7"), destinationPort: 443, host: "web-1"
        )
        #expect(EventLineEncoder.line(for: event) == #"""
            {"ts":"2024-06-18T12:00:00.000000042Z","action":"connect","pid":4242,"uid":1000,"comm":"cu\"rl",\#
            "ppid":1,"exe":"/usr/bin/curl","user":"alice","family":6,"protocol":"tcp","saddr":"2001:db8::2",\#
            "sport":51234,"daddr":"2001:db8::7","dport":443,"host":"web-1"}

            """#)
    }

    @Test func omitsUnknownFields() {
        let event = NetworkEvent(timestamp: EventTimestamp(nanosecondsSinceEpoch: 0), action: .bind, pid: 1, uid: 0, comm: "")
        #expect(EventLineEncoder.line(for: event) == #"{"ts":"1970-01-01T00:00:00.000000000Z","action":"bind","pid":1,"uid":0,"comm":""}"# + "\n")
    }

    @Test func escapesControlCharacters() {
        let event = NetworkEvent(timestamp: EventTimestamp(nanosecondsSinceEpoch: 0), action: .bind, pid: 1, uid: 0, comm: "a\u{01}\n\\\u{1f}é")
        #expect(EventLineEncoder.line(for: event).contains(#""comm":"a\u0001\n\\\u001fé""#))
    }

    /// Generated events of every shape survive encode → parse unchanged.
    @Test func roundTripsThroughTheParser() throws {
        var generator = SplitMix64(seed: 2024)
        var writer = JSONLineWriter()
        for _ in 0..<5_000 {
            let event = Self.randomEvent(using: &generator)
            writer.reset()
            EventLineEncoder.encode(event, into: &writer)
            #expect(writer.bytes.last == UInt8(ascii: "\n"))
            let parsed = EventLineParser.parse(Array(writer.bytes.dropLast()))
            #expect(parsed == .success(event))
        }
    }

    static func randomEvent(using generator: inout SplitMix64) -> NetworkEvent {
        func maybe<T>(_ value: @autoclosure () -> T) -> T? {
            Bool.random(using: &generator) ? value() : nil
        }
        let texts = ["curl", "", "a\"b", "tab\there", "naïve", "😀", "\u{0}\u{1f}", "back\\slash", "/"]
        let family: AddressFamily = Bool.random(using: &generator) ? .ipv4 : .ipv6
        func address() -> IPAddress {
            let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
            return IPAddress(family: family, networkOrderBytes: bytes)
        }
        return NetworkEvent(
            timestamp: EventTimestamp(nanosecondsSinceEpoch: Int64(bitPattern: generator.next())),
            action: Bool.random(using: &generator) ? .connect : .bind,
            pid: UInt32.random(in: 0...UInt32.max, using: &generator),
            uid: UInt32.random(in: 0...UInt32.max, using: &generator),
            comm: texts.randomElement(using: &generator)!,
            ppid: maybe(UInt32.random(in: 0...UInt32.max, using: &generator)),
            // A path cannot hold NUL; the parser refuses one.
            executable: maybe("/usr/bin/" + texts.filter { !$0.contains("\u{0}") }.randomElement(using: &generator)!),
            user: maybe(texts.randomElement(using: &generator)!),
            family: maybe(family),
            transport: maybe(Bool.random(using: &generator) ? .tcp : .udp),
            sourceAddress: maybe(address()),
            sourcePort: maybe(UInt16.random(in: 0...UInt16.max, using: &generator)),
            destinationAddress: maybe(address()),
            destinationPort: maybe(UInt16.random(in: 0...UInt16.max, using: &generator)),
            host: maybe(texts.randomElement(using: &generator)!)
        )
    }
}
