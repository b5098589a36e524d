import Testing
import RarenetEvents

@Suite struct IPAddressTests {
    @Test(arguments: ["127.0.0.1", "0.0.0.0", "192.0.2.255", "::", "::1", "2001:db8::1", "fe80::1:2", "1:2:3:4:5:6:7:8"])
    func textRoundTrips(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == text)
    }

    @Test(arguments: ["", "1.2.3", "256.1.1.1", "01.1.1.1", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1"])
    func rejectsMalformedText(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func classifiesLoopbackAndUnspecified() throws {
        #expect(try #require(IPAddress("127.0.0.53")).isLoopback)
        #expect(try #require(IPAddress("::1")).isLoopback)
        #expect(try #require(IPAddress("::")).isUnspecified)
        #expect(try #require(IPAddress("0.0.0.0")).isUnspecified)
        #expect(!(try #require(IPAddress("10.0.0.1")).isLoopback))
    }

    @Test func ringBufferLayoutRoundTrips() throws {
        let address = try #require(IPAddress("2001:db8::ff00:42:8329"))
        #expect(IPAddress(family: .ipv6, networkOrderBytes: address.networkOrderBytes) == address)
        let v4 = IPAddress(ipv4: 10, 1, 2, 3)
        #expect(Array(v4.networkOrderBytes.prefix(4)) == [10, 1, 2, 3])
        #expect(v4.description == "10.1.2.3")
    }
}
