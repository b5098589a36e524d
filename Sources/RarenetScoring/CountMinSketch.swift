import CRarenetPrefetch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The shape of a count-min sketch: `depth` rows of `width` counters, and the
/// seed of the key hashes that index them.
///
/// Error bound (Cormode–Muthukrishnan): with `N` the total weight added, an
/// estimate exceeds the true count by more than `ε·N`, `ε = e / width`, with
/// probability at most `δ = e^(−depth)`; it is never below the true count.
/// The default 4 × 65 536 gives `ε ≈ 4.1·10⁻⁵` and `δ ≈ 1.8 %` in 1 MiB of
/// `Float32` counters. Conservative update (the scorer's rule) only tightens
/// this. For rarity what matters more is the chance that a never-seen key
/// looks seen: about `(1 − e^(−n/width))^depth` with `n` distinct keys, i.e.
/// 4·10⁻⁴ at 10⁴ keys and 0.38 at 10⁵ for the default size.
public struct SketchParameters: Sendable, Hashable {
    /// Rows; each row is one independent hash of the key.
    public var depth: Int
    /// Counters per row, a power of two.
    public var width: Int
    /// Seed of every key hash that indexes the sketch.
    public var seed: UInt64

    /// 4 × 65 536 counters (1 MiB), seed `"rarenet"`.
    public static let `default` = SketchParameters(depth: 4, width: 1 << 16, seed: 0x7261_7265_6E65_7400)

    public init(depth: Int, width: Int, seed: UInt64) {
        self.depth = depth
        self.width = width
        self.seed = seed
    }

    /// `ε = e / width`: the over-estimate bound as a fraction of the total weight.
    public var relativeError: Double { 2.718_281_828_459_045 / Double(width) }

    /// `δ = e^(−depth)`: the probability that an estimate exceeds `ε·N`.
    public var failureProbability: Double { exp(-Double(depth)) }

    /// Bytes of counters: `depth · width · 4`.
    public var memoryBytes: Int { depth * width * MemoryLayout<Float>.size }
}

/// How a sketch adds one occurrence of a key.
public enum SketchUpdateRule: Sendable, Hashable {
    /// Raise each of the key's counters only as far as the key's new estimate
    /// (Estan–Varghese): never below the true count, never above plain update.
    case conservative
    /// Add one to each of the key's counters (the textbook rule, kept as the
    /// reference that conservative update is measured against).
    case plain
}

/// A count-min sketch of decayed counts with conservative update.
///
/// Counters are `Float32` and the sketch adds weights, not just ones: the
/// baseline decays counts lazily through a global scale per time scale (see
/// `ScaleClock`), adding an occurrence with the weight `f^−age` and reading
/// `counter · f^age`, so no bucket boundary touches the counters; they are
/// renormalised (``decay(by:)``, one vectorised pass) only when the weight
/// reaches 2¹⁶, once in 16 half-lives. A decayed count is at most
/// `1 / (1 − f)` — about 1 940 buckets at the default 15 minutes and 14-day
/// half-life — so stored values stay below 2³¹ with `Float32`'s 24-bit
/// relative precision.
public struct CountMinSketch: Sendable, Equatable {
    /// The sketch's shape and hash seed.
    public let parameters: SketchParameters
    /// Row-major counters, `depth · width`.
    private(set) var counters: [Float]
    private let mask: UInt32

    /// An empty sketch. `width` must be a power of two (up to 2³¹), `depth` ≥ 1.
    public init(parameters: SketchParameters) {
        precondition(parameters.depth >= 1, "sketch depth must be at least 1")
        precondition(parameters.width > 0 && parameters.width & (parameters.width - 1) == 0 && parameters.width <= 1 << 31,
                     "sketch width must be a power of two")
        self.parameters = parameters
        self.counters = Array(repeating: 0, count: parameters.depth * parameters.width)
        self.mask = UInt32(truncatingIfNeeded: parameters.width - 1)
    }

    /// A sketch with the given counters (row-major, `depth · width` of them).
    init(parameters: SketchParameters, counters: [Float]) {
        self.init(parameters: parameters)
        precondition(counters.count == self.counters.count)
        self.counters = counters
    }

    /// The counter of `key` in `row`: double hashing of the key's two 32-bit halves.
    @inline(__always)
    private func slot(_ key: KeyHash, row: Int) -> Int {
        Self.slot(key, row: row, width: parameters.width, mask: mask)
    }

    @inline(__always)
    private static func slot(_ key: KeyHash, row: Int, width: Int, mask: UInt32) -> Int {
        let low = UInt32(truncatingIfNeeded: key.rawValue)
        let step = UInt32(truncatingIfNeeded: key.rawValue >> 32) | 1
        return row &* width &+ Int((low &+ UInt32(truncatingIfNeeded: row) &* step) & mask)
    }

    /// The key's estimated count: the minimum of its counters. Never below the
    /// true (decayed) count.
    public func estimate(_ key: KeyHash) -> Float {
        reader.estimate(key)
    }

    /// Asks the CPU to start loading the key's counters (one cache line per row).
    @inline(__always)
    func prefetch(_ key: KeyHash) { reader.prefetch(key) }

    /// The counters' address and the sketch's shape, for a loop that reads
    /// the sketch without a retain of its array per key. Like the pointer of
    /// `withUnsafeBufferPointer`, the address is the counters' only until the
    /// sketch changes: take a new reader after every change (an outdated one
    /// reads freed memory).
    struct Reader {
        private let counters: UnsafePointer<Float>
        private let depth: Int
        private let width: Int
        private let mask: UInt32

        @inline(__always)
        fileprivate init(counters: UnsafePointer<Float>, depth: Int, width: Int, mask: UInt32) {
            (self.counters, self.depth, self.width, self.mask) = (counters, depth, width, mask)
        }

        /// Asks the CPU to start loading the key's counters (one cache line per row).
        @inline(__always)
        func prefetch(_ key: KeyHash) {
            for row in 0..<depth { rarenet_prefetch(counters + CountMinSketch.slot(key, row: row, width: width, mask: mask)) }
        }

        /// The minimum of the key's counters (``CountMinSketch/estimate(_:)``).
        @inline(__always)
        func estimate(_ key: KeyHash) -> Float {
            var minimum = Float.infinity
            for row in 0..<depth {
                minimum = Swift.min(minimum, counters[CountMinSketch.slot(key, row: row, width: width, mask: mask)])
            }
            return minimum
        }
    }

    /// A reader of the counters as they are now (see ``Reader``).
    var reader: Reader {
        counters.withUnsafeBufferPointer {
            Reader(counters: $0.baseAddress!, depth: parameters.depth, width: parameters.width, mask: mask)
        }
    }

    /// The key's counter in each row (the merge bound is stated per row).
    public func rowCounters(_ key: KeyHash) -> [Float] {
        (0..<parameters.depth).map { counters[slot(key, row: $0)] }
    }

    /// Adds `weight` occurrences of `key` (one by default).
    public mutating func increment(_ key: KeyHash, by weight: Float = 1, rule: SketchUpdateRule = .conservative) {
        let (depth, width, mask) = (parameters.depth, parameters.width, mask)
        switch rule {
        case .plain:
            counters.withUnsafeMutableBufferPointer { counters in
                for row in 0..<depth { counters[Self.slot(key, row: row, width: width, mask: mask)] += weight }
            }
        case .conservative:
            withUnsafePointer(to: key.rawValue) { incrementConservatively(UnsafeBufferPointer(start: $0, count: 1), by: weight) }
        }
    }

    /// Adds `weight` occurrences of each of `keys`, in order, with
    /// conservative update (raising each of a key's counters to its estimate
    /// plus `weight`), in one pass that starts loading the counters of the key
    /// ``prefetchDistance`` places ahead (each key's are a likely cache miss).
    mutating func incrementConservatively(_ keys: UnsafeBufferPointer<UInt64>, by weight: Float) {
        let (depth, width, mask) = (parameters.depth, parameters.width, mask)
        counters.withUnsafeMutableBufferPointer { counters in
            let reader = Reader(counters: counters.baseAddress!, depth: depth, width: width, mask: mask)
            for position in keys.indices {
                if position &+ Self.prefetchDistance < keys.count {
                    reader.prefetch(KeyHash(rawValue: keys[position &+ Self.prefetchDistance]))
                }
                let key = KeyHash(rawValue: keys[position])
                let target = reader.estimate(key) + weight
                for row in 0..<depth {
                    let index = Self.slot(key, row: row, width: width, mask: mask)
                    counters[index] = Swift.max(counters[index], target)
                }
            }
        }
    }

    /// How many keys ahead ``incrementConservatively(_:by:)`` prefetches counters.
    private static let prefetchDistance = 8

    /// Adds `weight` to every counter whose bit is set in `presence` (the
    /// overflow path of a bucket: plain update, still never an under-estimate).
    mutating func add(_ presence: PresenceBitmap, weight: Float) {
        counters.withUnsafeMutableBufferPointer { counters in
            presence.forEachSetBit { counters[$0] += weight }
        }
    }

    /// Marks `key` in `presence`, a bitmap with one bit per counter.
    func mark(_ key: KeyHash, in presence: inout PresenceBitmap) {
        for row in 0..<parameters.depth { presence.set(slot(key, row: row)) }
    }

    /// Multiplies every counter by `factor` (exponential decay, renormalisation).
    public mutating func decay(by factor: Float) {
        counters.withUnsafeMutableBufferPointer { counters in
            for index in counters.indices { counters[index] *= factor }
        }
    }

    /// Adds `other`'s counters element-wise (merge of two hosts' sketches).
    mutating func add(_ other: CountMinSketch) {
        precondition(other.parameters == parameters)
        counters.withUnsafeMutableBufferPointer { counters in
            other.counters.withUnsafeBufferPointer { others in
                for index in counters.indices { counters[index] += others[index] }
            }
        }
    }

    /// The fraction of counters at or above `level` in each row.
    func rowOccupancy(atLeast level: Float) -> [Double] {
        counters.withUnsafeBufferPointer { counters in
            (0..<parameters.depth).map { row in
                let rowCounters = counters[(row * parameters.width)..<((row + 1) * parameters.width)]
                let occupied = rowCounters.reduce(0) { $0 + ($1 >= level ? 1 : 0) }
                return Double(occupied) / Double(parameters.width)
            }
        }
    }
}
