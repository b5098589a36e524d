import RarenetEvents

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`).
///
/// A bare address is a block of one (`/32` or `/128`).
public struct AddressBlock: Sendable, Hashable, CustomStringConvertible {
    /// The network address, with the host bits cleared.
    public let network: IPAddress
    /// The number of leading bits that must match (0...32 for IPv4, 0...128 for IPv6).
    public let prefixLength: Int

    /// Parses `address/length` or a bare address; nil when either part is invalid.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let maximumLength = address.family == .ipv4 ? 32 : 128
        var length = maximumLength
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), parts[1].allSatisfy(\.isASCII), (0...maximumLength).contains(parsed) else {
                return nil
            }
            length = parsed
        }
        let (highMask, lowMask) = Self.masks(prefixLength: length)
        network = IPAddress(
            family: address.family,
            networkOrderBytes: IPAddress.bytes(high: address.high & highMask, low: address.low & lowMask)
        )
        prefixLength = length
    }

    /// True when `address` is of the same family and inside the block.
    public func contains(_ address: IPAddress) -> Bool {
        guard address.family == network.family else { return false }
        let (highMask, lowMask) = Self.masks(prefixLength: prefixLength)
        return address.high & highMask == network.high && address.low & lowMask == network.low
    }

    /// `network/length`.
    public var description: String { "\(network)/\(prefixLength)" }

    /// The masks of the high and low 64 bits for a prefix length (IPv4 lives in the high bits).
    private static func masks(prefixLength: Int) -> (high: UInt64, low: UInt64) {
        func mask(_ bits: Int) -> UInt64 {
            bits <= 0 ? 0 : bits >= 64 ? .max : ~(UInt64.max >> bits)
        }
        return (mask(prefixLength), mask(prefixLength - 64))
    }
}

extension IPAddress {
    /// The 16 network-order bytes of two big-endian words.
    fileprivate static func bytes(high: UInt64, low: UInt64) -> [UInt8] {
        (0..<16).map { index in
            UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (56 - 8 * (index % 8)))
        }
    }
}
