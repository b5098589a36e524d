import RarenetMetrics
import Testing

@Suite("MetricsAddress")
struct MetricsAddressTests {
    @Test("the default is loopback port 9464")
    func defaultIsLoopback() {
        #expect(MetricsAddress.default == .listen(host: "127.0.0.1", port: 9464))
        #expect(MetricsAddress.default.description == "127.0.0.1:9464")
    }

    @Test("host:port, bracketed IPv6 and 0 parse, and print back the same", arguments: [
        ("127.0.0.1:9464", MetricsAddress.listen(host: "127.0.0.1", port: 9464)),
        ("[::1]:9464", .listen(host: "::1", port: 9464)),
        ("localhost:0", .listen(host: "localhost", port: 0)),
        ("0.0.0.0:65535", .listen(host: "0.0.0.0", port: 65535)),
        ("0", .disabled),
    ])
    func parses(text: String, expected: MetricsAddress) throws {
        let parsed = try MetricsAddress(parsing: text)
        #expect(parsed == expected)
        #expect(parsed.description == text)
    }

    @Test("malformed addresses are refused with the reason", arguments: [
        ("9464", "expected host:port"),
        ("127.0.0.1:", "the port must be a number"),
        ("127.0.0.1:65536", "the port must be a number"),
        ("127.0.0.1:-1", "the port must be a number"),
        ("::1:9464", "put an IPv6 address in brackets"),
        ("[127.0.0.1]:9464", "is not an IPv6 address"),
        (":9464", "is not a host name"),
        ("ho st:9464", "is not a host name"),
    ])
    func refuses(text: String, problem: String) {
        let error = #expect(throws: MetricsAddressError.self) { try MetricsAddress(parsing: text) }
        #expect(error?.description.contains(problem) == true, "\(String(describing: error))")
        #expect(error?.description.contains("\"\(text)\"") == true)
    }
}
