/// An IP address family.
public enum AddressFamily: UInt8, Sendable, Hashable, CaseIterable {
    case ipv4 = 4
    case ipv6 = 6

    /// The Linux socket address family (`AF_INET` = 2, `AF_INET6` = 10), or `nil` for any other.
    public init?(socketFamily: UInt16) {
        switch socketFamily {
        case 2: self = .ipv4
        case 10: self = .ipv6
        default: return nil
        }
    }
}

/// An IPv4 or IPv6 address, stored as 16 bytes in network order.
///
/// IPv4 addresses use the first four bytes; the rest are zero. This is the
/// layout of the ring-buffer records (bpf/rarenet.h).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let family: AddressFamily
    /// The high and low 64 bits of the address in network byte order, read big-endian.
    public let high: UInt64
    public let low: UInt64

    /// An IPv4 address from its four bytes in network order.
    public init(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        family = .ipv4
        high = UInt64(a) << 56 | UInt64(b) << 48 | UInt64(c) << 40 | UInt64(d) << 32
        low = 0
    }

    /// An address from its two network-order halves, read big-endian (IPv4: `low` is 0,
    /// the address in the top 32 bits of `high`).
    @inlinable
    public init(family: AddressFamily, high: UInt64, low: UInt64) {
        self.family = family
        self.high = high
        self.low = low
    }

    /// An address from the 16-byte network-order layout of the ring-buffer records.
    public init<Bytes: Collection>(family: AddressFamily, networkOrderBytes bytes: Bytes) where Bytes.Element == UInt8 {
        precondition(bytes.count >= (family == .ipv4 ? 4 : 16), "address needs \(family == .ipv4 ? 4 : 16) bytes")
        var high: UInt64 = 0
        var low: UInt64 = 0
        let count = family == .ipv4 ? 4 : 16
        for (index, byte) in bytes.prefix(count).enumerated() {
            if index < 8 {
                high |= UInt64(byte) << (56 - 8 * index)
            } else {
                low |= UInt64(byte) << (56 - 8 * (index - 8))
            }
        }
        self.family = family
        self.high = high
        self.low = low
    }

    /// The 16 bytes in network order (IPv4: 4 bytes then zeros).
    public var networkOrderBytes: [UInt8] {
        (0..<16).map { index in
            let word = index < 8 ? high : low
            return UInt8(truncatingIfNeeded: word >> (56 - 8 * (index % 8)))
        }
    }

    /// Parses dotted-quad IPv4 (`192.0.2.1`) or RFC 4291 IPv6 text (`2001:db8::1`, `::ffff:192.0.2.1`).
    public init?(_ text: some StringProtocol) {
        if text.contains(":") {
            guard let parsed = Self.parseIPv6(Substring(text)) else { return nil }
            self = parsed
        } else {
            guard let bytes = Self.parseIPv4(Substring(text)) else { return nil }
            self.init(ipv4: bytes[0], bytes[1], bytes[2], bytes[3])
        }
    }

    public var description: String {
        switch family {
        case .ipv4:
            let bytes = networkOrderBytes
            return "\(bytes[0]).\(bytes[1]).\(bytes[2]).\(bytes[3])"
        case .ipv6:
            return ipv6Text
        }
    }

    /// True for 0.0.0.0 and ::.
    public var isUnspecified: Bool { high == 0 && low == 0 }

    /// True for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool {
        switch family {
        case .ipv4: high >> 56 == 127
        case .ipv6: high == 0 && low == 1
        }
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII),
                  let value = UInt8(part), !(part.count > 1 && part.first == "0")
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func parseIPv6(_ text: Substring) -> IPAddress? {
        var groups: [UInt16] = []
        var gapIndex: Int?
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func parseGroups(_ half: String, allowIPv4Tail: Bool) -> [UInt16]? {
            if half.isEmpty { return [] }
            var result: [UInt16] = []
            let fields = half.split(separator: ":", omittingEmptySubsequences: false)
            for (index, field) in fields.enumerated() {
                if allowIPv4Tail, index == fields.count - 1, field.contains(".") {
                    guard let v4 = parseIPv4(field) else { return nil }
                    result.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    result.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                } else {
                    guard (1...4).contains(field.count), let value = UInt16(field, radix: 16) else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        if halves.count == 2 {
            guard let head = parseGroups(halves[0], allowIPv4Tail: false),
                  let tail = parseGroups(halves[1], allowIPv4Tail: true),
                  head.count + tail.count <= 7
            else { return nil }
            groups = head
            gapIndex = head.count
            groups += tail
        } else {
            guard let all = parseGroups(halves[0], allowIPv4Tail: true), all.count == 8 else { return nil }
            groups = all
        }
        if let gapIndex {
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gapIndex)
        }
        var bytes: [UInt8] = []
        for group in groups {
            bytes.append(UInt8(group >> 8))
            bytes.append(UInt8(group & 0xff))
        }
        return IPAddress(family: .ipv6, networkOrderBytes: bytes)
    }

    /// RFC 5952 text: lowercase, the longest run of two or more zero groups as `::`.
    private var ipv6Text: String {
        let groups: [UInt16] = (0..<8).map { index in
            let word = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> (48 - 16 * (index % 4)))
        }
        var bestStart = -1
        var bestLength = 1
        var runStart = -1
        for index in 0...8 {
            if index < 8, groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength {
                    bestStart = runStart
                    bestLength = index - runStart
                }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}
