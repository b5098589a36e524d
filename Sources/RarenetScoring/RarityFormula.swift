#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The score of DESIGN.md for one time scale: with `c` the key's decayed
/// bucket count and `B` the decayed number of completed buckets,
/// `q = (c + ½) / (B + 1)`, `q_new = ½ / (B + 1)` and
/// `score = 100 · clamp(ln q / ln q_new, 0, 1)`.
public enum RarityFormula {
    /// `q`: the probability that a bucket holds the key.
    public static func probability(count: Double, buckets: Double) -> Double {
        (count + 0.5) / (buckets + 1)
    }

    /// 0 (present in every bucket) to 100 (never seen).
    public static func score(count: Double, buckets: Double) -> Double {
        score(count: count, buckets: buckets, newKeyLogProbability: newKeyLogProbability(buckets: buckets))
    }

    /// `ln q_new`: the same for every key until `B` changes, so a scorer
    /// computes it once per bucket.
    static func newKeyLogProbability(buckets: Double) -> Double {
        log(0.5 / (buckets + 1))
    }

    /// ``score(count:buckets:)`` with `ln q_new` precomputed: one logarithm,
    /// none for a never-seen key (`ln q = ln q_new`, the score is 100).
    @inline(__always)
    static func score(count: Double, buckets: Double, newKeyLogProbability: Double) -> Double {
        guard count > 0 else { return 100 }
        let ratio = log(probability(count: count, buckets: buckets)) / newKeyLogProbability
        return 100 * min(max(ratio, 0), 1)
    }
}
