#if canImport(Glibc)
import Glibc
#endif
import RarenetTestSupport

/// The scenarios' only source of randomness: a seeded splitmix64 generator
/// with the draws the generator needs, each computed from the 64-bit output
/// alone (no standard-library sampling, whose algorithm may change between
/// Swift versions), so the same seed gives the same stream everywhere.
struct ScenarioRandom {
    private var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    /// An independent generator for `label` under `seed`: the streams of two
    /// labels do not depend on how much the other one drew.
    init(seed: UInt64, label: String) {
        self.init(seed: SplitMix64.mix(seed ^ Self.stableHash(label)))
    }

    /// An independent generator for the `item`th occurrence (a day, a run) under `seed`.
    init(seed: UInt64, item: Int64) {
        self.init(seed: SplitMix64.mix(seed ^ UInt64(bitPattern: item) &* 0x9E37_79B9_7F4A_7C15))
    }

    /// A fresh generator seeded from this one (for a process's own draws).
    mutating func split() -> ScenarioRandom {
        ScenarioRandom(seed: next())
    }

    mutating func next() -> UInt64 {
        generator.next()
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    /// Uniform in `0..<bound` (`bound` > 0), by the high half of a 128-bit product.
    mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "an empty range")
        return next().multipliedFullWidth(by: bound).high
    }

    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(below(UInt64(range.upperBound - range.lowerBound) + 1))
    }

    mutating func int64(in range: Range<Int64>) -> Int64 {
        range.lowerBound + Int64(below(UInt64(range.upperBound - range.lowerBound)))
    }

    /// True with probability `probability`.
    mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }

    mutating func element<T>(of elements: [T]) -> T {
        elements[Int(below(UInt64(elements.count)))]
    }

    /// An index drawn with probability proportional to `weights`.
    mutating func index(weightedBy weights: [Double]) -> Int {
        var draw = unit() * weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            draw -= weight
            if draw < 0 { return index }
        }
        return weights.count - 1
    }

    /// Exponentially distributed with this mean.
    mutating func exponential(mean: Double) -> Double {
        -mean * log1p(-unit())
    }

    /// A Poisson-distributed count with this mean (Knuth's method; the means here are small).
    mutating func poisson(mean: Double) -> Int {
        let limit = exp(-mean)
        var count = 0
        var product = unit()
        while product > limit {
            count += 1
            product *= unit()
        }
        return count
    }

    /// `count` lowercase hexadecimal digits.
    mutating func hex(_ count: Int) -> String {
        text(count, alphabet: Self.hexDigits)
    }

    /// `count` decimal digits, the first not zero.
    mutating func digits(_ count: Int) -> String {
        String(int(in: 1...9)) + text(count - 1, alphabet: Self.decimalDigits)
    }

    private mutating func text(_ count: Int, alphabet: [Character]) -> String {
        var result = ""
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(element(of: alphabet)) }
        return result
    }

    private static let hexDigits = Array("0123456789abcdef")
    private static let decimalDigits = Array("0123456789")

    /// A stable hash of a label (`Hasher` is seeded per process).
    static func stableHash(_ text: String) -> UInt64 {
        var digest = StreamDigest()
        digest.update(Array(text.utf8))
        return digest.value
    }
}
