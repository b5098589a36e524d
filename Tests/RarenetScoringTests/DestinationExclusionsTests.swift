import Testing
import RarenetEvents
@testable import RarenetScoring
import RarenetTestSupport

@Suite("Destination exclusions")
struct DestinationExclusionsTests {
    /// Ranges of every prefix length class: the defaults, prefixes shorter
    /// than a byte (several first bytes), exactly a byte, and IPv6 ones.
    private static let ranges = AddressRange.loopbackAndUnspecified + [
        "64.0.0.0/2", "10.0.0.0/8", "192.168.1.0/24", "172.16.0.0/12", "203.0.113.7",
        "fd00::/8", "2001:db8::/32", "8000::/1",
    ].map { AddressRange($0)! }

    @Test("the first-byte test rules in exactly the addresses a walk over the ranges does")
    func agreesWithTheRanges() {
        let exclusions = DestinationExclusions(Self.ranges)
        var generator = SplitMix64(seed: 11)
        var addresses: [IPAddress] = [
            "127.0.0.1", "127.255.255.254", "0.0.0.0", "0.0.0.1", "63.255.255.255", "64.0.0.0", "127.0.0.53",
            "128.0.0.0", "10.1.2.3", "11.0.0.0", "192.168.1.77", "192.168.2.1", "172.31.255.255", "172.32.0.0",
            "203.0.113.7", "203.0.113.8", "::", "::1", "::2", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "fd12::1",
            "fe80::1", "2001:db8::1", "2001:db9::1", "8000::", "7fff::1",
        ].map { IPAddress($0)! }
        for _ in 0..<20_000 {
            let (high, low) = (generator.next(), generator.next())
            addresses.append(IPAddress(family: .ipv4, high: high & 0xFFFF_FFFF_0000_0000, low: 0))
            addresses.append(IPAddress(family: .ipv6, high: high, low: low))
        }
        var excluded = 0
        for address in addresses {
            let expected = Self.ranges.contains { $0.contains(address) }
            #expect(exclusions.contains(ScoringDestination(address)) == expected, "\(address)")
            if expected { excluded += 1 }
        }
        #expect(excluded > 10_000)
    }

    @Test("an event without a destination is never ruled out by a range, not even by the whole address space")
    func noDestination() {
        #expect(!DestinationExclusions(Self.ranges).contains(ScoringDestination(nil)))
        #expect(!DestinationExclusions(["0.0.0.0/0", "::/0"].map { AddressRange($0)! }).contains(ScoringDestination(nil)))
        #expect(DestinationExclusions(["0.0.0.0/0"].map { AddressRange($0)! }).contains(ScoringDestination(IPAddress("192.0.2.1"))))
    }

    @Test("the scoring view keeps the destination it was given")
    func destinationRoundTrip() {
        for address in [nil, IPAddress("192.0.2.1"), IPAddress("2001:db8::1"), IPAddress("::")] {
            #expect(ScoringDestination(address).address == address)
        }
    }
}
