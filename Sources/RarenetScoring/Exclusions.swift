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
    /// The sensor's process id, or a value no process id has.
    private let sensorProcessID: UInt64
    private let userIDs: Set<UInt32>
    private let hasUserIDs: Bool
    private let destinations: DestinationExclusions

    init(_ exclusions: Exclusions) {
        sensorProcessID = exclusions.sensorProcessID.map(UInt64.init) ?? .max
        userIDs = exclusions.userIDs
        hasUserIDs = !userIDs.isEmpty
        destinations = DestinationExclusions(exclusions.destinations)
    }

    /// True when the scorer ignores `event`: its process (by name,
    /// executable or user name, decided once per process), the sensor
    /// itself, its user id, or its destination.
    @inline(__always)
    func excludes(_ event: ScoringEvent) -> Bool {
        if event.process.isExcluded || UInt64(event.pid) == sensorProcessID { return true }
        if hasUserIDs, userIDs.contains(event.uid) { return true }
        return destinations.contains(event.destination)
    }
}

/// The destination ranges the scorer ignores, arranged for a test per event:
/// the set of (kind, first address byte) pairs that some range covers, then
/// the ranges themselves. The default ranges (loopback, unspecified) cover
/// first bytes 0 and 127 only, so almost every destination is ruled in by one
/// bit test, without a walk over the ranges.
struct DestinationExclusions: Sendable {
    private let ipv4: [AddressRange]
    private let ipv6: [AddressRange]
    /// Bit `256 · k + b` is set when a range covers first byte `b` of
    /// destinations of kind `k` (``ScoringDestination/kind``; none for no
    /// destination): twelve words.
    private let coveredFirstBytes: [UInt64]

    init(_ ranges: [AddressRange]) {
        ipv4 = ranges.filter { $0.family == .ipv4 }
        ipv6 = ranges.filter { $0.family == .ipv6 }
        var words = [UInt64](repeating: 0, count: 12)
        for range in ranges {
            let kind = ScoringDestination(IPAddress(family: range.family, high: 0, low: 0)).kind
            // A prefix shorter than 8 bits covers 2^(8 − prefix) first bytes.
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - min(range.prefixLength, 8)))
            for byte in UInt8.min...UInt8.max where byte & mask == range.firstByte & mask {
                let bit = Self.bitIndex(kind: kind, firstByte: byte)
                words[bit >> 6] |= 1 << (bit & 63)
            }
        }
        coveredFirstBytes = words
    }

    @inline(__always)
    private static func bitIndex(kind: UInt8, firstByte: UInt8) -> Int {
        Int(kind) &<< 8 | Int(firstByte)
    }

    /// True when a range contains `destination` (false when there is none).
    @inline(__always)
    func contains(_ destination: ScoringDestination) -> Bool {
        let bit = Self.bitIndex(kind: destination.kind, firstByte: UInt8(truncatingIfNeeded: destination.high &>> 56))
        return coveredFirstBytes[bit &>> 6] &>> UInt64(bit & 63) & 1 != 0 && rangesContain(destination)
    }

    /// The walk over the ranges of the destination's family.
    @inline(never)
    private func rangesContain(_ destination: ScoringDestination) -> Bool {
        guard let address = destination.address else { return false }
        return (address.family == .ipv4 ? ipv4 : ipv6).contains { $0.contains(address) }
    }
}
