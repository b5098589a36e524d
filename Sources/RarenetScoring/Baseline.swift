import RarenetIdentity

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What must match for two baselines to be interchangeable or mergeable: the
/// sketch shape and seed, the time scales, the decay, and what keys mean.
public struct BaselineParameters: Sendable, Hashable {
    public var sketch: SketchParameters
    /// Bucket spans, finest first.
    public var scales: [Duration]
    public var halfLife: Duration
    public var keyMode: ProcessKeyMode
    /// ``ScoringConfiguration/keyDerivation``: baselines whose keys were
    /// derived differently never mix.
    public var keyDerivation: UInt64
    public var detectors: [Detector]

    public init(
        sketch: SketchParameters, scales: [Duration], halfLife: Duration, keyMode: ProcessKeyMode,
        keyDerivation: UInt64 = ScoringConfiguration().keyDerivation, detectors: [Detector]
    ) {
        self.sketch = sketch
        self.scales = scales
        self.halfLife = halfLife
        self.keyMode = keyMode
        self.keyDerivation = keyDerivation
        self.detectors = detectors
    }

    /// The parameters a scorer with `configuration` uses.
    public init(_ configuration: ScoringConfiguration) {
        self.init(
            sketch: configuration.sketch, scales: configuration.scales, halfLife: configuration.halfLife,
            keyMode: configuration.keyMode, keyDerivation: configuration.keyDerivation, detectors: configuration.detectors
        )
    }

    /// The first parameter that differs from `other`, as (name, self's value, other's value).
    func firstDifference(from other: BaselineParameters) -> (parameter: String, this: String, other: String)? {
        let fields: [(String, String, String)] = [
            ("sketch depth", "\(sketch.depth)", "\(other.sketch.depth)"),
            ("sketch width", "\(sketch.width)", "\(other.sketch.width)"),
            ("sketch seed", "\(sketch.seed)", "\(other.sketch.seed)"),
            ("time scales", scales.map(\.compactDescription).joined(separator: ","),
             other.scales.map(\.compactDescription).joined(separator: ",")),
            ("half-life", halfLife.compactDescription, other.halfLife.compactDescription),
            ("key mode", keyMode.rawValue, other.keyMode.rawValue),
            ("key derivation (rewrite rules, interpreters, prefixes, dynamic ports)", hex(keyDerivation), hex(other.keyDerivation)),
            ("detectors", detectors.map(\.rawValue).joined(separator: ","), other.detectors.map(\.rawValue).joined(separator: ",")),
        ]
        return fields.first { $0.1 != $0.2 }
    }
}

/// The clock, bucket total and lazy-decay reference of one time scale.
///
/// Counts decay by `f = 2^(−span / half-life)` per completed bucket. Rather
/// than multiplying every counter at every boundary, the sketches store
/// counts in the units of `referenceBucket`: the decayed count is the stored
/// value times `f^(currentBucket − referenceBucket)`, and a completed bucket's
/// keys are added with the inverse weight.
struct ScaleClock: Sendable, Equatable {
    /// The first bucket of the baseline (bucket index = ⌊time / span⌋).
    var startBucket: Int64
    /// The bucket in progress; every earlier bucket since `startBucket` is complete.
    var currentBucket: Int64
    /// The bucket whose units the sketch counters are stored in.
    var referenceBucket: Int64
    /// `B`: the decayed number of completed buckets.
    var total: Double
}

/// One detector's counts at one time scale: the completed buckets in the
/// sketch, the bucket in progress as a bounded key set (plus a bitmap for the
/// keys that did not fit).
///
/// The key set doubles as the scorer's score cache: a key's score depends
/// only on completed buckets, so it is computed once per key per bucket and
/// kept with the key. At the finest scale the value is the key's score (the
/// lowest over the scales, negated while the key may not be re-alerted, or
/// only the mark that it is below the threshold: see
/// ``RarityScorer/belowThresholdScore``), at a coarser scale the score at that
/// scale; NaN when unknown (a restored or merged baseline, or a coarser
/// bucket that completed in the middle of a finer one).
struct ScaleCounts: Sendable {
    var sketch: CountMinSketch
    var present: BoundedKeyTable<Float>
    var overflow: PresenceBitmap?

    /// Marks `key` present in the bucket in progress with its cached `score`;
    /// returns false when it did not fit the key set and went to the bitmap
    /// (its score is then not cached).
    mutating func markPresent(_ key: KeyHash, score: Float = .nan) -> Bool {
        guard present.setValue(score, for: key) == .full else { return true }
        if overflow == nil { overflow = PresenceBitmap(bitCount: sketch.parameters.depth * sketch.parameters.width) }
        sketch.mark(key, in: &overflow!)
        return false
    }

    /// Completes the bucket in progress: adds `weight` (one occurrence in the
    /// sketch's stored units) for every key present, and empties the bucket.
    mutating func completeBucket(weight: Float) {
        present.withKeys { sketch.incrementConservatively($0, by: weight) }
        if let overflow { sketch.add(overflow, weight: weight) }
        present.removeAll()
        overflow = nil
    }
}

/// Everything the scorer has learned: per time scale a clock and a decayed
/// bucket total, per detector and scale a sketch of completed buckets and the
/// keys of the bucket in progress, and bounded first-seen times.
///
/// A value: export it from a scorer (``RarityScorer/baseline``), encode it
/// (``encoded()``), decode it (``init(decoding:expecting:)``), merge several
/// (``merged(_:)``) and restore it (``RarityScorer/restore(_:)``).
public struct Baseline: Sendable {
    public let parameters: BaselineParameters
    /// False until the first event (or clock advance) sets the clocks.
    private(set) var isStarted = false
    var clocks: [ScaleClock]
    /// Every detector's counts at every scale, detector-major (see
    /// ``countsIndex(detector:scale:)``): one array, so that the scorer's
    /// per-event lookup is one pointer shorter than with an array per detector.
    var counts: [ScaleCounts]
    /// Per detector, the first-seen times.
    var firstSeen: [BoundedKeyTable<Int64>]
    let bucketKeyCapacity: Int
    let firstSeenCapacity: Int
    /// `parameters.scales.count`, kept where indexing ``counts`` reads it without a pointer chase.
    private let scaleCount: Int

    /// An empty baseline for `configuration`.
    public init(configuration: ScoringConfiguration) {
        self.init(
            parameters: BaselineParameters(configuration),
            bucketKeyCapacity: configuration.bucketKeyCapacity,
            firstSeenCapacity: configuration.firstSeenCapacity
        )
    }

    init(parameters: BaselineParameters, bucketKeyCapacity: Int, firstSeenCapacity: Int) {
        self.parameters = parameters
        self.bucketKeyCapacity = bucketKeyCapacity
        self.firstSeenCapacity = firstSeenCapacity
        scaleCount = parameters.scales.count
        clocks = parameters.scales.map { _ in ScaleClock(startBucket: 0, currentBucket: 0, referenceBucket: 0, total: 0) }
        let emptyScale = ScaleCounts(
            sketch: CountMinSketch(parameters: parameters.sketch),
            present: BoundedKeyTable(capacity: bucketKeyCapacity, emptyValue: .nan),
            overflow: nil
        )
        counts = Array(repeating: emptyScale, count: parameters.detectors.count * parameters.scales.count)
        firstSeen = Array(
            repeating: BoundedKeyTable(capacity: firstSeenCapacity, emptyValue: 0), count: parameters.detectors.count
        )
    }

    /// Restores a decoded baseline's state.
    init(parameters: BaselineParameters, bucketKeyCapacity: Int, firstSeenCapacity: Int,
         clocks: [ScaleClock]?, counts: [ScaleCounts], firstSeen: [BoundedKeyTable<Int64>]) {
        self.init(parameters: parameters, bucketKeyCapacity: bucketKeyCapacity, firstSeenCapacity: firstSeenCapacity)
        if let clocks {
            self.clocks = clocks
            isStarted = true
        }
        self.counts = counts
        self.firstSeen = firstSeen
    }

    /// This baseline with key tables of the given capacities: itself when
    /// they are its own, else a copy whose tables hold the same entries (a
    /// bucket's keys beyond the new capacity go to its overflow bitmap, as
    /// they would have when scored; first-seen times beyond it are dropped).
    func resizingKeyTables(bucketKeyCapacity: Int, firstSeenCapacity: Int) -> Baseline {
        guard bucketKeyCapacity != self.bucketKeyCapacity || firstSeenCapacity != self.firstSeenCapacity else { return self }
        let counts = counts.map { old in
            var resized = ScaleCounts(
                sketch: old.sketch, present: BoundedKeyTable(capacity: bucketKeyCapacity, emptyValue: .nan), overflow: old.overflow
            )
            old.present.forEach { key, score in _ = resized.markPresent(key, score: score) }
            return resized
        }
        let firstSeen = firstSeen.map { old in
            var resized = BoundedKeyTable<Int64>(capacity: firstSeenCapacity, emptyValue: 0)
            old.forEach { key, time in resized.insert(key, value: time) }
            return resized
        }
        return Baseline(
            parameters: parameters, bucketKeyCapacity: bucketKeyCapacity, firstSeenCapacity: firstSeenCapacity,
            clocks: isStarted ? clocks : nil, counts: counts, firstSeen: firstSeen
        )
    }

    /// Where `counts` keeps the counts of the `detector`-th detector at `scale`.
    @inline(__always)
    func countsIndex(detector: Int, scale: Int) -> Int {
        detector &* scaleCount &+ scale
    }

    /// Completed buckets of the finest scale since the baseline began, undecayed.
    public var completedBuckets: Int64 {
        isStarted ? clocks[0].currentBucket - clocks[0].startBucket : 0
    }

    /// `B` of each scale (finest first): the decayed number of completed buckets.
    public var baselineBuckets: [Double] { clocks.map(\.total) }

    /// The sketch estimate of `key`'s decayed bucket count for `detector` at
    /// scale `scaleIndex` (0 = finest), or `nil` when the detector is not in
    /// this baseline.
    public func estimate(_ key: KeyHash, detector: Detector, scaleIndex: Int) -> Double? {
        guard let index = parameters.detectors.firstIndex(of: detector) else { return nil }
        return decayedCount(counts[countsIndex(detector: index, scale: scaleIndex)].sketch.estimate(key), scale: scaleIndex)
    }

    /// The key's counter in every row of the sketch of `detector` at `scaleIndex`.
    public func rowCounters(_ key: KeyHash, detector: Detector, scaleIndex: Int) -> [Double]? {
        guard let index = parameters.detectors.firstIndex(of: detector) else { return nil }
        return counts[countsIndex(detector: index, scale: scaleIndex)].sketch.rowCounters(key).map { decayedCount($0, scale: scaleIndex) }
    }

    /// `f`: the decay of one completed bucket at `scale`.
    func bucketDecay(scale: Int) -> Double {
        exp2(-Double(parameters.scales[scale].nanoseconds) / Double(parameters.halfLife.nanoseconds))
    }

    /// The stored-units-to-count factor of `scale`: `f^(current − reference)`.
    func countFactor(scale: Int) -> Double {
        pow(bucketDecay(scale: scale), Double(clocks[scale].currentBucket - clocks[scale].referenceBucket))
    }

    /// A sketch value of `scale` in decayed buckets.
    func decayedCount(_ stored: Float, scale: Int) -> Double {
        Double(stored) * countFactor(scale: scale)
    }

    /// Forgets the scores cached with the keys of the bucket in progress at `scale`.
    mutating func forgetCachedScores(scale: Int) {
        for detector in parameters.detectors.indices { counts[countsIndex(detector: detector, scale: scale)].present.setAllValues(to: .nan) }
    }

    /// Rescales every sketch of `scale` to the units of the bucket in progress.
    mutating func renormalize(scale: Int) {
        let factor = Float(countFactor(scale: scale))
        for detector in parameters.detectors.indices { counts[countsIndex(detector: detector, scale: scale)].sketch.decay(by: factor) }
        clocks[scale].referenceBucket = clocks[scale].currentBucket
    }

    /// Moves every scale's clock to the bucket containing `time` (nanoseconds
    /// since the epoch), completing the buckets in between; a time before the
    /// bucket in progress changes nothing. Returns true when a bucket completed.
    @discardableResult
    mutating func advance(to time: Int64) -> Bool {
        let spans = parameters.scales.map(\.nanoseconds)
        guard isStarted else {
            for scale in clocks.indices {
                let bucket = floorDivide(time, spans[scale])
                clocks[scale] = ScaleClock(startBucket: bucket, currentBucket: bucket, referenceBucket: bucket, total: 0)
            }
            isStarted = true
            return false
        }
        var completed = false
        for scale in clocks.indices {
            let bucket = floorDivide(time, spans[scale])
            let clock = clocks[scale]
            guard bucket > clock.currentBucket else { continue }
            completed = true
            let decay = bucketDecay(scale: scale)
            // Once the clock is at `bucket`, the completed bucket has age
            // `bucket − 1 − current`: its decayed weight f^age is stored as
            // f^age / f^(bucket − reference) = f^(reference − current − 1).
            let weight = Float(pow(decay, Double(clock.referenceBucket - clock.currentBucket - 1)))
            for detector in parameters.detectors.indices {
                counts[countsIndex(detector: detector, scale: scale)].completeBucket(weight: weight)
            }
            // The completed bucket, then each idle one: B ← B·f + 1, n + 1 times.
            let idleBuckets = Double(bucket - clock.currentBucket - 1)
            let idleDecay = pow(decay, idleBuckets)
            clocks[scale].total = (clock.total * decay + 1) * idleDecay + (1 - idleDecay) / (1 - decay)
            clocks[scale].currentBucket = bucket
            if countFactor(scale: scale) < Self.renormalizationFactor { renormalize(scale: scale) }
            // The finest scale caches the lowest score over the scales: a
            // coarser scale's change makes those scores stale.
            if scale > 0 { forgetCachedScores(scale: 0) }
        }
        return completed
    }

    /// The stored-units factor below which the counters are rescaled (2⁻¹⁶).
    static let renormalizationFactor = 1.0 / 65_536

    /// The bucket-span-aligned time at which the next bucket of any scale begins.
    var nextBoundary: Int64 {
        guard isStarted else { return .min }
        return zip(clocks, parameters.scales).map { clock, span in
            let (next, overflow) = (clock.currentBucket + 1).multipliedReportingOverflow(by: span.nanoseconds)
            return overflow ? .max : next
        }.min() ?? .max
    }
}

/// `⌊a / b⌋` for `b > 0`, also for negative `a`.
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let quotient = a / b
    return (a % b != 0 && a < 0) ? quotient - 1 : quotient
}

/// A fingerprint as sixteen hexadecimal digits.
private func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
