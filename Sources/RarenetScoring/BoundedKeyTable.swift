/// An open-addressing hash table from ``KeyHash`` to `Value` that never grows
/// past `capacity` entries: an insertion into a full table is refused, so the
/// memory is fixed at creation (about `capacity · 4/3` slots plus a list of
/// the occupied ones).
///
/// The scorer uses it three ways: the set of keys present in the current bucket
/// (`Value == Void`), the per-bucket score cache (`Float`), and the first-seen
/// times (`Int64`). Keys are already well-mixed hashes, so the slot is the low
/// bits of the hash and probing is linear. The occupied slots are listed in
/// insertion order, so iterating and clearing cost the number of entries, not
/// the number of slots.
struct BoundedKeyTable<Value>: Sendable where Value: Sendable {
    /// Slot keys; zero marks an empty slot (``KeyHash`` is never zero).
    private var keys: [UInt64]
    private var values: [Value]
    /// The occupied slots, in insertion order.
    private var occupied: [Int32] = []
    private let mask: Int
    /// The most entries the table accepts.
    let capacity: Int

    /// The result of ``insert(_:value:)``.
    enum Insertion: Equatable {
        /// The key was added.
        case inserted
        /// The key was already there; its value is unchanged.
        case present
        /// The key is not there and the table is full.
        case full
    }

    /// An empty table for up to `capacity` entries; `emptyValue` fills unused slots.
    init(capacity: Int, emptyValue: Value) {
        precondition((1...(1 << 30)).contains(capacity), "table capacity must be within 1...2^30")
        var slots = 4
        while slots < capacity + capacity / 3 + 1 { slots <<= 1 }
        self.keys = Array(repeating: 0, count: slots)
        self.values = Array(repeating: emptyValue, count: slots)
        self.mask = slots - 1
        self.capacity = capacity
    }

    /// The number of entries.
    var count: Int { occupied.count }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always)
    private func slot(of key: UInt64) -> Int {
        keys.withUnsafeBufferPointer { keys in
            var index = Int(truncatingIfNeeded: key) & mask
            while keys[index] != key && keys[index] != 0 {
                index = (index + 1) & mask
            }
            return index
        }
    }

    /// The value stored for `key`, if any.
    @inline(__always)
    func value(for key: KeyHash) -> Value? {
        let index = slot(of: key.rawValue)
        return keys[index] == 0 ? nil : values[index]
    }

    /// Adds `key` with `value` unless it is present or the table is full.
    @discardableResult
    mutating func insert(_ key: KeyHash, value: Value) -> Insertion {
        let index = slot(of: key.rawValue)
        if keys[index] != 0 { return .present }
        if occupied.count >= capacity { return .full }
        keys[index] = key.rawValue
        values[index] = value
        occupied.append(Int32(index))
        return .inserted
    }

    /// Replaces the value of `key` if it is present.
    mutating func update(_ key: KeyHash, value: Value) {
        let index = slot(of: key.rawValue)
        if keys[index] != 0 { values[index] = value }
    }

    /// Removes every entry (the slots stay allocated).
    mutating func removeAll() {
        guard !occupied.isEmpty else { return }
        keys.withUnsafeMutableBufferPointer { keys in
            for index in occupied { keys[Int(index)] = 0 }
        }
        occupied.removeAll(keepingCapacity: true)
    }

    /// Calls `body` with every entry, in insertion order.
    func forEach(_ body: (KeyHash, Value) throws -> Void) rethrows {
        for index in occupied {
            try body(KeyHash(rawValue: keys[Int(index)]), values[Int(index)])
        }
    }
}
