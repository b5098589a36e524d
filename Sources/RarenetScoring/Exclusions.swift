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
