import RarenetEvents

/// What the scorer never scores. An excluded event updates no baseline and
/// raises no alert.
public struct Exclusions: Sendable, Hashable {
    /// Destination address ranges whose connects are ignored. Default:
    /// ``AddressRange/loopbackAndUnspecified``.
    public var destinations: [AddressRange] = AddressRange.loopbackAndUnspecified
    /// Process names (`comm`) to ignore.
    public var processNames: Set<String> = []
    /// Executable paths to ignore.
    public var executables: Set<String> = []
    /// Users to ignore, by id or name.
    public var users: [UserSelector] = []
    /// The sensor's own process id, ignored so the sensor never scores itself.
    public var sensorProcessID: UInt32?

    /// The defaults: loopback and unspecified destinations.
    public init() {}

    /// The user ids among ``users``.
    var userIDs: Set<UInt32> {
        Set(users.compactMap { if case .id(let id) = $0 { id } else { nil } })
    }

    /// The user names among ``users``.
    var userNames: Set<String> {
        Set(users.compactMap { if case .name(let name) = $0 { name } else { nil } })
    }
}

/// A user, by numeric id or by name.
public enum UserSelector: Sendable, Hashable {
    case id(UInt32)
    case name(String)
}

/// An IPv4 or IPv6 address range in CIDR notation (`10.0.0.0/8`, `fd00::/8`).
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    public let family: AddressFamily
    /// The network address, with the host bits cleared.
    private let high: UInt64
    private let low: UInt64
    private let highMask: UInt64
    private let lowMask: UInt64
    /// The prefix length in bits.
    public let prefixLength: Int

    /// The default destination exclusions: all of 127.0.0.0/8 (the whole block
    /// is routed to `lo`, and resolvers sit on 127.0.0.53, 127.0.0.54,
    /// 127.0.1.1), 0.0.0.0, ::, ::1 and IPv4-mapped loopback ::ffff:127.0.0.0/104.
    public static let loopbackAndUnspecified: [AddressRange] = [
        "127.0.0.0/8", "0.0.0.0/32", "::/128", "::1/128", "::ffff:127.0.0.0/104",
    ].map { AddressRange($0)! }

    /// The range of `address`'s first `prefixLength` bits, or `nil` when the
    /// length does not fit the family.
    public init?(address: IPAddress, prefixLength: Int) {
        let bits = address.family == .ipv4 ? 32 : 128
        guard (0...bits).contains(prefixLength) else { return nil }
        func mask(_ length: Int) -> UInt64 {
            length <= 0 ? 0 : length >= 64 ? .max : ~(UInt64.max >> UInt64(length))
        }
        family = address.family
        highMask = mask(prefixLength)
        lowMask = mask(prefixLength - 64)
        high = address.high & highMask
        low = address.low & lowMask
        self.prefixLength = prefixLength
    }

    /// Parses `address/length`, or a bare address (a single-address range).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPAddress(parts[0]) else { return nil }
        let bits = address.family == .ipv4 ? 32 : 128
        guard parts.count == 2 else {
            self.init(address: address, prefixLength: bits)
            return
        }
        guard parts[1].allSatisfy(\.isASCII), let length = Int(parts[1]) else { return nil }
        self.init(address: address, prefixLength: length)
    }

    /// True when `address` is of this family and inside the range.

    public func contains(_ address: IPAddress) -> Bool {
        address.family == family && address.high & highMask == high && address.low & lowMask == low
    }

    public var description: String {
        let bytes = (0..<16).map { index -> UInt8 in
            UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (56 - 8 * UInt64(index % 8)))
        }
        return "\(IPAddress(family: family, networkOrderBytes: bytes))/\(prefixLength)"
    }
}

extension AddressRange {
    /// The first byte of the range's network address.
    var firstByte: UInt8 { UInt8(truncatingIfNeeded: high >> 56) }
}

/// The scorer's ``Exclusions``, arranged for a test per event.
struct ExclusionFilter: Sendable {
    private let sensorProcessID: UInt32?
    private let userIDs: Set<UInt32>
    private let destinations: DestinationExclusions

    init(_ exclusions: Exclusions) {
        sensorProcessID = exclusions.sensorProcessID
        userIDs = exclusions.userIDs
        destinations = DestinationExclusions(exclusions.destinations)
    }

    /// True when the scorer ignores `event`: its process (by name,
    /// executable or user name, decided once per process), the sensor
    /// itself, its user id, or its destination.
    @inline(__always)
    func excludes(_ event: ScoringEvent) -> Bool {
        if event.process.isExcluded || event.pid == sensorProcessID { return true }
        if !userIDs.isEmpty, userIDs.contains(event.uid) { return true }
        guard let destination = event.destinationAddress else { return false }
        return destinations.contains(destination)
    }
}

/// The destination ranges the scorer ignores, arranged for a test per event:
/// per family, the set of first address bytes that some range covers, then
/// the ranges themselves. The default ranges (loopback, unspecified) cover
/// first bytes 0 and 127 only, so almost every destination is ruled in by one
/// bit test, without a walk over the ranges.
struct DestinationExclusions: Sendable {
    private let ipv4: [AddressRange]
    private let ipv6: [AddressRange]
    private let ipv4FirstBytes: ByteSet
    private let ipv6FirstBytes: ByteSet

    init(_ ranges: [AddressRange]) {
        ipv4 = ranges.filter { $0.family == .ipv4 }
        ipv6 = ranges.filter { $0.family == .ipv6 }
        ipv4FirstBytes = ByteSet(firstBytesOf: ipv4)
        ipv6FirstBytes = ByteSet(firstBytesOf: ipv6)
    }

    /// True when a range contains `address`.
    @inline(__always)
    func contains(_ address: IPAddress) -> Bool {
        let firstBytes = address.family == .ipv4 ? ipv4FirstBytes : ipv6FirstBytes
        return firstBytes.contains(UInt8(truncatingIfNeeded: address.high >> 56)) && rangesContain(address)
    }

    /// The walk over the ranges of the address's family.
    @inline(never)
    private func rangesContain(_ address: IPAddress) -> Bool {
        (address.family == .ipv4 ? ipv4 : ipv6).contains { $0.contains(address) }
    }
}

/// A set of bytes: 256 bits, in four words.
private struct ByteSet: Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// The first bytes of the addresses in `ranges`: one per range of a
    /// prefix of 8 bits or more, 2^(8 − prefix) for a shorter one.
    init(firstBytesOf ranges: [AddressRange]) {
        for range in ranges {
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - min(range.prefixLength, 8)))
            for byte in UInt8.min...UInt8.max where byte & mask == range.firstByte & mask {
                let bit: UInt64 = 1 << (byte & 63)
                switch byte >> 6 {
                case 0: words.0 |= bit
                case 1: words.1 |= bit
                case 2: words.2 |= bit
                default: words.3 |= bit
                }
            }
        }
    }

    @inline(__always)
    func contains(_ byte: UInt8) -> Bool {
        // Selections rather than a switch: conditional moves, not a jump table.
        let (low, high) = byte & 64 == 0 ? (words.0, words.2) : (words.1, words.3)
        return (byte & 128 == 0 ? low : high) >> (byte & 63) & 1 != 0
    }
}
