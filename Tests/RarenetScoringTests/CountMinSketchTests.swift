import RarenetTestSupport
import Testing
@testable import RarenetScoring

@Suite("Count-min sketch")
struct CountMinSketchTests {
    enum Stream: String, CaseIterable, CustomTestStringConvertible {
        case uniform, zipf
        var testDescription: String { rawValue }

        /// 200 000 occurrences over 20 000 keys.
        func keys(seed: UInt64) -> [Int] {
            var generator = SplitMix64(seed: seed)
            let zipf = ZipfDistribution(count: 20_000, exponent: 1.2)
            return (0..<200_000).map { _ in
                self == .uniform ? Int.random(in: 0..<20_000, using: &generator) : zipf.sample(using: &generator)
            }
        }
    }

    /// A small sketch so that collisions are frequent and the bounds are exercised.
    let parameters = SketchParameters(depth: 4, width: 1024, seed: 0xC0FFEE)

    func fill(_ stream: [Int], rule: SketchUpdateRule) -> (sketch: CountMinSketch, truth: [Int: Int]) {
        var sketch = CountMinSketch(parameters: parameters)
        var truth: [Int: Int] = [:]
        for key in stream {
            sketch.increment(KeyHash(String(key), seed: parameters.seed), rule: rule)
            truth[key, default: 0] += 1
        }
        return (sketch, truth)
    }

    @Test("never under-estimates", arguments: Stream.allCases, [SketchUpdateRule.conservative, .plain])
    func neverUnderEstimates(stream: Stream, rule: SketchUpdateRule) {
        let (sketch, truth) = fill(stream.keys(seed: 1), rule: rule)
        for (key, count) in truth {
            #expect(sketch.estimate(KeyHash(String(key), seed: parameters.seed)) >= Float(count))
        }
    }

    @Test("over-estimates by more than ε·N with probability at most δ", arguments: Stream.allCases, [SketchUpdateRule.conservative, .plain])
    func overEstimateWithinBound(stream: Stream, rule: SketchUpdateRule) {
        let keys = stream.keys(seed: 2)
        let (sketch, truth) = fill(keys, rule: rule)
        let bound = parameters.relativeError * Double(keys.count)
        let violations = truth.filter { key, count in
            Double(sketch.estimate(KeyHash(String(key), seed: parameters.seed))) - Double(count) > bound
        }.count
        #expect(Double(violations) / Double(truth.count) <= parameters.failureProbability)
    }

    @Test("conservative update is never worse than plain update", arguments: Stream.allCases)
    func conservativeNeverWorse(stream: Stream) {
        let keys = stream.keys(seed: 3)
        let conservative = fill(keys, rule: .conservative)
        let plain = fill(keys, rule: .plain).sketch
        var strictlyBetter = 0
        for key in conservative.truth.keys {
            let hash = KeyHash(String(key), seed: parameters.seed)
            #expect(conservative.sketch.estimate(hash) <= plain.estimate(hash))
            if conservative.sketch.estimate(hash) < plain.estimate(hash) { strictlyBetter += 1 }
        }
        #expect(strictlyBetter > 0, "a saturated small sketch must show conservative update's gain")
    }

    @Test("decay scales every estimate")
    func decay() {
        var sketch = CountMinSketch(parameters: parameters)
        let key = KeyHash("curl", seed: parameters.seed)
        for _ in 0..<8 { sketch.increment(key) }
        sketch.decay(by: 0.5)
        #expect(sketch.estimate(key) == 4)
    }

    @Test("documented default size: ε, δ and memory")
    func defaultSize() {
        let parameters = SketchParameters.default
        #expect(parameters.memoryBytes == 1 << 20)
        #expect(abs(parameters.relativeError - 4.15e-5) < 1e-7)
        #expect(abs(parameters.failureProbability - 0.0183) < 1e-4)
    }

    @Test("the key hash depends on the seed and the text, and port hashes differ from text hashes")
    func keyHashes() {
        #expect(KeyHash("/usr/bin/curl", seed: 1) == KeyHash("/usr/bin/curl", seed: 1))
        #expect(KeyHash("/usr/bin/curl", seed: 1) != KeyHash("/usr/bin/curl", seed: 2))
        #expect(KeyHash("/usr/bin/curl", seed: 1) != KeyHash("/usr/bin/curlx", seed: 1))
        #expect(KeyHash("abcdefgh", seed: 1) != KeyHash("abcdefgh\0", seed: 1))
        #expect(KeyHash(port: 443, seed: 1) != KeyHash("443", seed: 1))
        #expect(KeyHash(rawValue: 0).rawValue != 0)
    }

    /// The port hash is cheap (one multiplication), so check that it still
    /// spreads: the sketch and the key tables index with its low bits, and the
    /// sketch steps between rows by its high half.
    @Test("port hashes are distinct and spread like random keys", arguments: [SketchParameters.default.seed, 1, 0])
    func portHashesSpread(seed: UInt64) {
        let hashes = (UInt16.min...UInt16.max).map { KeyHash(port: $0, seed: seed).rawValue }
        #expect(Set(hashes).count == hashes.count)
        #expect(KeyHash(port: 443, seed: seed) != KeyHash(port: 443, seed: seed &+ 1))
        // The 2 048 lowest ports (consecutive numbers, the likeliest to fall
        // into a pattern) in 32 768 slots: random keys fill 1 986 on average,
        // with a standard deviation of about 7.
        let ports = hashes.prefix(2048)
        let slots = Set(ports.map { $0 & 0x7FFF })
        let steps = Set(ports.map { $0 >> 32 & 0x7FFF })
        #expect(slots.count >= 1950, "low bits: \(slots.count) distinct slots")
        #expect(steps.count >= 1950, "high half: \(steps.count) distinct steps")
    }
}
