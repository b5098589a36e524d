#if canImport(Glibc)
import Glibc
#endif

/// A small, fast, deterministic generator (splitmix64), so generated test data
/// and benchmark streams are the same on every run for the same seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The splitmix64 output function: a good 64-bit mix of `value`.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Draws ranks `0..<count` with probability ∝ 1 / (rank + 1)^exponent: the
/// heavy-tailed popularity of processes and ports on a real host.
public struct ZipfDistribution: Sendable {
    private let cumulative: [Double]

    public init(count: Int, exponent: Double) {
        var running = 0.0
        var cumulative: [Double] = []
        cumulative.reserveCapacity(count)
        for rank in 0..<count {
            running += 1 / pow(Double(rank + 1), exponent)
            cumulative.append(running)
        }
        self.cumulative = cumulative.map { $0 / running }
    }

    /// The probability of drawing `rank`.
    public func probability(of rank: Int) -> Double {
        cumulative[rank] - (rank > 0 ? cumulative[rank - 1] : 0)
    }

    /// One rank.
    public func sample(using generator: inout some RandomNumberGenerator) -> Int {
        let draw = Double(generator.next() >> 11) / Double(1 << 53)
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < draw { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
