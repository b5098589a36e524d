/// The 64-bit seeded hash that stands for a detector key (an executable path,
/// a process name, a port).
///
/// The scorer never sees key text: the caller hashes a key once per process
/// identity (``ScoringConfiguration/processKey(executable:comm:user:)``) and passes the
/// hash with every event. The hash is split into the sketch's row indices by
/// double hashing, so one hash serves every row and every time scale.
///
/// Zero is reserved as the empty marker of the scorer's hash tables; a key that
/// hashes to zero is mapped to a fixed non-zero value.
public struct KeyHash: Hashable, Sendable, CustomStringConvertible {
    /// The hash value, never zero.
    public let rawValue: UInt64

    /// A hash from its raw value (zero becomes a fixed non-zero value).
    public init(rawValue: UInt64) {
        self.rawValue = rawValue == 0 ? 0x5AFE_5AFE_5AFE_5AFE : rawValue
    }

    /// The hash of a text key (its UTF-8 bytes) under `seed`.
    public init(_ text: some StringProtocol, seed: UInt64) {
        var state = KeyHash.mix(seed ^ KeyHash.textDomain)
        var word: UInt64 = 0
        var length: UInt64 = 0
        for byte in text.utf8 {
            word |= UInt64(byte) << (8 * (length & 7))
            length += 1
            if length & 7 == 0 {
                state = KeyHash.mix(state ^ word)
                word = 0
            }
        }
        self.init(rawValue: KeyHash.mix(state ^ word ^ (length << 56)))
    }

    /// The hash of a port number under `seed`, computed per event: one
    /// multiplication and a fold of the high half into the low half of the
    /// port XORed with a mix of the seed. Both steps are bijections, so
    /// distinct ports never share a hash; the fold gives the low bits (the
    /// table slot, the sketch's first row index) and the high bits (the
    /// sketch's row step) a dependence on every bit of the port.
    @inline(__always)
    public init(port: UInt16, seed: UInt64) {
        self.init(portValue: UInt64(port), seed: seed)
    }

    /// The hash of a class of ports (``DestinationPortKeys``): the same
    /// bijection over values above every port number, so a class never shares
    /// a port's hash.
    @inline(__always)
    init(portClass: UInt64, seed: UInt64) {
        self.init(portValue: 0x1_0000 | portClass, seed: seed)
    }

    @inline(__always)
    private init(portValue: UInt64, seed: UInt64) {
        let product = (KeyHash.mix(seed ^ KeyHash.portDomain) ^ portValue) &* 0x9E37_79B9_7F4A_7C15
        self.init(rawValue: product ^ (product &>> 32))
    }

    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static let textDomain: UInt64 = 0x7465_7874_0000_0000
    static let portDomain: UInt64 = 0x706F_7274_0000_0000

    /// A 64-bit finalizer (the splitmix64 output function): every input bit
    /// affects every output bit.

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
