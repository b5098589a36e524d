import RarenetEvents

/// How ``Detector/rarePort`` keys the destination port of a connect.
///
/// A port below ``dynamicRange`` names a service (4444, 3333, 9001 are as
/// telling as 443 and 5432), so it is a key of its own. A port in the range
/// was picked on demand by the server's side: Docker's published ports for
/// Testcontainers and `docker run -P`, passive FTP, RPC. Its number tells
/// nothing, and a CI runner meets a thousand new ones a week, so such ports
/// key by class: one key for local-network destinations (RFC 1918, CGNAT,
/// link-local, unique-local IPv6), one for public ones. A beacon to a high
/// port on the internet is still rare where no routine traffic goes to
/// public dynamic ports.
public struct DestinationPortKeys: Sendable, Hashable {
    /// The destination ports keyed by class, or `nil` for one key per port.
    /// Default ``defaultDynamicRange``.
    public var dynamicRange: ClosedRange<UInt16>?

    /// 32768–65535: from the start of Linux's default `ip_local_port_range`
    /// (where Docker maps published ports) to the top of IANA's dynamic range.
    /// Kubernetes NodePorts (30000–32767) stay ports of their own.
    public static let defaultDynamicRange: ClosedRange<UInt16> = 32_768...65_535

    public init(dynamicRange: ClosedRange<UInt16>? = DestinationPortKeys.defaultDynamicRange) {
        self.dynamicRange = dynamicRange
    }

    /// The class a connect to `port` on `destination` is keyed by, or `nil`
    /// when the port is a key of its own.
    public func dynamicClass(of port: UInt16, destination: IPAddress?) -> DynamicPortClass? {
        dynamicClass(of: port, destination: ScoringDestination(destination))
    }

    @inline(__always)
    func dynamicClass(of port: UInt16, destination: ScoringDestination) -> DynamicPortClass? {
        guard let dynamicRange, dynamicRange.contains(port) else { return nil }
        return destination.isLocalNetwork ? .localNetwork : .publicNetwork
    }

    /// The key of a connect to `port` on `destination`.
    @inline(__always)
    func key(port: UInt16, destination: ScoringDestination, seed: UInt64) -> KeyHash {
        switch dynamicClass(of: port, destination: destination) {
        case nil: KeyHash(port: port, seed: seed)
        case .localNetwork?: KeyHash(portClass: 1, seed: seed)
        case .publicNetwork?: KeyHash(portClass: 2, seed: seed)
        }
    }

    /// Part of the baseline's key-derivation fingerprint: a baseline counted
    /// with other port classes is refused, never mixed.
    var fingerprint: UInt64 {
        guard let dynamicRange else { return 0 }
        return KeyHash.mix(0x6479_6E70_6F72_7473 ^ UInt64(dynamicRange.lowerBound) << 16 ^ UInt64(dynamicRange.upperBound))
    }
}

/// The class of a dynamic destination port (``DestinationPortKeys``).
public enum DynamicPortClass: String, Sendable, Hashable {
    /// A dynamic port on a local-network address: `dynamic-local`.
    case localNetwork = "dynamic-local"
    /// A dynamic port on any other address: `dynamic-public`.
    case publicNetwork = "dynamic-public"
}

extension ScoringDestination {
    /// True for IPv4 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT) and
    /// 169.254/16 (link-local), the same as IPv4-mapped IPv6, and IPv6
    /// fc00::/7 (unique local) and fe80::/10 (link-local).
    var isLocalNetwork: Bool {
        switch kind {
        case 1:
            return Self.isLocalNetwork(ipv4: UInt32(truncatingIfNeeded: high &>> 32))
        case 2:
            if high == 0 && low &>> 32 == 0xFFFF { return Self.isLocalNetwork(ipv4: UInt32(truncatingIfNeeded: low)) }
            return high &>> 57 == 0x7E || high &>> 54 == 0x3FA
        default:
            return false
        }
    }

    private static func isLocalNetwork(ipv4 address: UInt32) -> Bool {
        address &>> 24 == 10 || address &>> 20 == 0xAC1 || address &>> 16 == 0xC0A8
            || address &>> 22 == 0x191 || address &>> 16 == 0xA9FE
    }
}
