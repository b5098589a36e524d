/// One bit per sketch counter: the keys of a bucket that did not fit in its
/// bounded key set. A key is present when all of its counters' bits are set.
struct PresenceBitmap: Sendable, Equatable {
    private(set) var words: [UInt64]

    /// A clear bitmap of `bitCount` bits (a multiple of 64).
    init(bitCount: Int) {
        words = Array(repeating: 0, count: (bitCount + 63) / 64)
    }

    init(words: [UInt64]) {
        self.words = words
    }

    /// Sets bit `index`.
    mutating func set(_ index: Int) {
        words[index >> 6] |= 1 << UInt64(index & 63)
    }

    /// Calls `body` with the index of every set bit, in order.
    func forEachSetBit(_ body: (Int) -> Void) {
        for (wordIndex, word) in words.enumerated() where word != 0 {
            var remaining = word
            while remaining != 0 {
                body(wordIndex << 6 | remaining.trailingZeroBitCount)
                remaining &= remaining - 1
            }
        }
    }

    /// Sets every bit set in `other`.
    mutating func formUnion(_ other: PresenceBitmap) {
        for index in words.indices { words[index] |= other.words[index] }
    }
}
