import Testing
@testable import RarenetScoring

@Suite("Bounded key table")
struct BoundedKeyTableTests {
    /// Keys that all start their probe at the same slot, so each one's probe
    /// sequence runs through the slots of the keys added before it.
    private static func collidingKeys(_ count: Int) -> [KeyHash] {
        (1...count).map { KeyHash(rawValue: UInt64($0) << 32 | 5) }
    }

    @Test("removeAll empties every slot, also along shared probe sequences, and the table fills again")
    func removeAllEmptiesCollidingKeys() {
        var table = BoundedKeyTable<Float>(capacity: 48, emptyValue: .nan)
        let keys = Self.collidingKeys(40)
        for (index, key) in keys.enumerated() { #expect(table.insert(key, value: Float(index)) == .inserted) }
        table.removeAll()
        #expect(table.count == 0)
        for key in keys { #expect(table.value(for: key) == nil) }
        // A key that was never inserted, probing from the same slot, is not found.
        #expect(table.value(for: KeyHash(rawValue: 99 << 32 | 5)) == nil)
        for (index, key) in keys.reversed().enumerated() { #expect(table.insert(key, value: Float(index)) == .inserted) }
        #expect(table.count == keys.count)
    }

    @Test("a copy keeps its entries when the original changes (copy-on-write), and a reader sees the table it was taken from")
    func copiesAreIndependent() {
        var original = BoundedKeyTable<Int64>(capacity: 16, emptyValue: 0)
        let keys = Self.collidingKeys(10)
        for key in keys { original.insert(key, value: 1) }
        let copy = original
        let reader = copy.reader
        original.setAllValues(to: 2)
        original.update(keys[0], value: 3)
        original.removeAll()
        #expect(original.count == 0 && original.value(for: keys[3]) == nil)
        #expect(copy.count == keys.count)
        for key in keys {
            #expect(copy.value(for: key) == 1)
            #expect(reader.value(for: key) == 1)
        }
        var values: [Int64] = []
        copy.forEach { _, value in values.append(value) }
        #expect(values == Array(repeating: 1, count: keys.count))
    }

    @Test("an insertion into a full table is refused and changes nothing")
    func fullTableRefuses() {
        var table = BoundedKeyTable<Float>(capacity: 3, emptyValue: .nan)
        let keys = Self.collidingKeys(4)
        for key in keys.prefix(3) { #expect(table.setValue(1, for: key) == .inserted) }
        #expect(table.setValue(1, for: keys[3]) == .full)
        #expect(table.insert(keys[3], value: 1) == .full)
        #expect(table.value(for: keys[3]) == nil)
        #expect(table.setValue(2, for: keys[0]) == .present)
        #expect(table.value(for: keys[0]) == 2)
        #expect(table.withKeys { Array($0) } == keys.prefix(3).map(\.rawValue))
    }
}
