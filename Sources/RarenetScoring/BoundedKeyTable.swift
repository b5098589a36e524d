/// An open-addressing hash table from ``KeyHash`` to `Value` that never grows
/// past `capacity` entries: an insertion into a full table is refused, so the
/// memory is fixed at creation (about `capacity · 4/3` slots).
///
/// The scorer uses it three ways: the set of keys present in the current bucket
/// (`Value == Void`), the per-bucket score cache (`Float`), and the first-seen
/// times (`Int64`). Keys are already well-mixed hashes, so the slot is the low
/// bits of the hash and probing is linear.
struct BoundedKeyTable<Value>: Sendable where Value: Sendable {
    /// Slot keys; zero marks an empty slot (``KeyHash`` is never zero).
    fileprivate var keys: [UInt64]
    fileprivate var values: [Value]
    private let mask: Int
    private let emptyValue: Value
    /// The most entries the table accepts.
    let capacity: Int
    /// The number of entries.
    private(set) var count = 0

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
        precondition(capacity >= 1, "table capacity must be at least 1")
        var slots = 4
        while slots < capacity + capacity / 3 + 1 { slots <<= 1 }
        self.keys = Array(repeating: 0, count: slots)
        self.values = Array(repeating: emptyValue, count: slots)
        self.mask = slots - 1
        self.emptyValue = emptyValue
        self.capacity = capacity
    }

    var isFull: Bool { count >= capacity }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always)
    fileprivate func slot(of key: UInt64) -> Int {
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

    func contains(_ key: KeyHash) -> Bool {
        keys[slot(of: key.rawValue)] != 0
    }

    /// Adds `key` with `value` unless it is present or the table is full.
    @discardableResult
    mutating func insert(_ key: KeyHash, value: Value) -> Insertion {
        let index = slot(of: key.rawValue)
        if keys[index] != 0 { return .present }
        if isFull { return .full }
        keys[index] = key.rawValue
        values[index] = value
        count += 1
        return .inserted
    }

    /// Replaces the value of every entry.
    mutating func resetValues(to value: Value) {
        for index in keys.indices where keys[index] != 0 { values[index] = value }
    }

    /// Removes every entry (the slots stay allocated).
    mutating func removeAll() {
        guard count > 0 else { return }
        for index in keys.indices { keys[index] = 0 }
        for index in values.indices { values[index] = emptyValue }
        count = 0
    }

    /// Every entry, in slot order.
    var entries: [(key: KeyHash, value: Value)] {
        keys.indices.compactMap { keys[$0] == 0 ? nil : (KeyHash(rawValue: keys[$0]), values[$0]) }
    }
}

extension BoundedKeyTable {
    /// Replaces the value of `key` if it is present.
    mutating func update(_ key: KeyHash, value: Value) {
        let index = slot(of: key.rawValue)
        if keys[index] != 0 { values[index] = value }
    }
}
