extension Baseline {
    /// Sums the baselines of several hosts into a fleet baseline.
    ///
    /// Requires the same parameters (sketch shape, seed, scales, half-life, key
    /// mode, detectors) and the same decay clock (the bucket in progress at
    /// every scale). Sketches add element-wise, so a key's merged estimate is
    /// never below its true combined count, and in every row it is the sum of
    /// the hosts' counters. Bucket totals add too: the merged baseline counts
    /// host-buckets, so `q` stays the probability that a host's bucket holds
    /// the key. The baseline begins at the earliest start; the keys of the
    /// bucket in progress are united; first-seen times keep the earliest.
    public static func merged(_ baselines: [Baseline]) throws(BaselineMergeError) -> Baseline {
        guard var merged = baselines.first else { throw .noBaselines }
        for (index, other) in baselines.enumerated().dropFirst() {
            if let difference = merged.parameters.firstDifference(from: other.parameters) {
                throw .parameterMismatch(index: index, parameter: difference.parameter, first: difference.this, other: difference.other)
            }
            for (scale, span) in merged.parameters.scales.enumerated() {
                let first = merged.isStarted ? "bucket \(merged.clocks[scale].currentBucket)" : "not started"
                let theirs = other.isStarted ? "bucket \(other.clocks[scale].currentBucket)" : "not started"
                guard first == theirs else {
                    throw .clockMismatch(index: index, scale: span, first: first, other: theirs)
                }
            }
            merged.add(other)
        }
        return merged
    }

    private mutating func add(_ other: Baseline) {
        var other = other
        for scale in clocks.indices {
            renormalize(scale: scale)
            other.renormalize(scale: scale)
            clocks[scale].startBucket = min(clocks[scale].startBucket, other.clocks[scale].startBucket)
            clocks[scale].total += other.clocks[scale].total
        }
        for detector in parameters.detectors.indices {
            for scale in clocks.indices {
                let theirs = other.counts[other.countsIndex(detector: detector, scale: scale)]
                counts[countsIndex(detector: detector, scale: scale)].sketch.add(theirs.sketch)
                theirs.present.forEach { key, _ in
                    _ = counts[countsIndex(detector: detector, scale: scale)].markPresent(key)
                }
                if let overflow = theirs.overflow {
                    if counts[countsIndex(detector: detector, scale: scale)].overflow == nil {
                        counts[countsIndex(detector: detector, scale: scale)].overflow = overflow
                    } else {
                        counts[countsIndex(detector: detector, scale: scale)].overflow!.formUnion(overflow)
                    }
                }
            }
            other.firstSeen[detector].forEach { key, time in
                firstSeen[detector].keepEarliest(key, time)
            }
        }
        // The sums change every score.
        for scale in clocks.indices { forgetCachedScores(scale: scale) }
    }
}

extension BoundedKeyTable where Value == Int64 {
    /// Records `time` for `key` unless an earlier time is there (or the table is full).
    mutating func keepEarliest(_ key: KeyHash, _ time: Int64) {
        if let current = value(for: key) {
            if time < current { update(key, value: time) }
        } else {
            insert(key, value: time)
        }
    }
}
