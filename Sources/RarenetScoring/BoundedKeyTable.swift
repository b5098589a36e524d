import CRarenetPrefetch

/// An open-addressing hash table from ``KeyHash`` to `Value` that never grows
/// past `capacity` entries: an insertion into a full table is refused, so the
/// memory is fixed at creation (about `capacity · 4/3` slots plus a list of
/// the occupied ones).
///
/// The scorer uses it two ways: the keys present in the bucket in progress,
/// each with its cached score (`Float`), and the first-seen times (`Int64`). Keys are already well-mixed hashes, so the slot is the low
/// bits of the hash and probing is linear. A slot holds its key and value
/// side by side, so a lookup touches one cache line. The occupied slots are
/// listed in insertion order, so iterating and clearing cost the number of
/// entries, not the number of slots.
struct BoundedKeyTable<Value>: Sendable where Value: Sendable {
    /// One slot: a key of zero marks it empty (``KeyHash`` is never zero).
    private struct Slot: Sendable {
        var key: UInt64
        var value: Value
    }

    private var slots: [Slot]
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
        self.slots = Array(repeating: Slot(key: 0, value: emptyValue), count: slots)
        self.mask = slots - 1
        self.capacity = capacity
    }

    /// The number of entries.
    var count: Int { occupied.count }

    /// The index of the slot holding `key`, or of the empty slot where it would go.
    @inline(__always)
    private static func slotIndex(of key: UInt64, in slots: UnsafeBufferPointer<Slot>, mask: Int) -> Int {
        var index = Int(truncatingIfNeeded: key) & mask
        while slots[index].key != key && slots[index].key != 0 {
            index = (index + 1) & mask
        }
        return index
    }

    @inline(__always)
    private func slotIndex(of key: UInt64) -> Int {
        slots.withUnsafeBufferPointer { Self.slotIndex(of: key, in: $0, mask: mask) }
    }

    /// The value stored for `key`, if any: one probe sequence over adjacent
    /// key-value slots, no bounds checks (indices are masked into range).
    @inline(__always)
    func value(for key: KeyHash) -> Value? {
        slots.withUnsafeBufferPointer { slots in
            let slot = slots[Self.slotIndex(of: key.rawValue, in: slots, mask: mask)]
            return slot.key == 0 ? nil : slot.value
        }
    }

    /// Adds `key` with `value` unless it is present or the table is full.
    @discardableResult
    mutating func insert(_ key: KeyHash, value: Value) -> Insertion {
        let index = slotIndex(of: key.rawValue)
        if slots[index].key != 0 { return .present }
        if occupied.count >= capacity { return .full }
        slots[index] = Slot(key: key.rawValue, value: value)
        occupied.append(Int32(index))
        return .inserted
    }

    /// Replaces the value of `key` if it is present.
    mutating func update(_ key: KeyHash, value: Value) {
        let index = slotIndex(of: key.rawValue)
        if slots[index].key != 0 { slots[index].value = value }
    }

    /// Sets the value of `key`, adding the key unless the table is full:
    /// ``Insertion/present`` when it was there (its value is replaced).
    @discardableResult
    mutating func setValue(_ value: Value, for key: KeyHash) -> Insertion {
        let index = slotIndex(of: key.rawValue)
        if slots[index].key != 0 {
            slots[index].value = value
            return .present
        }
        if occupied.count >= capacity { return .full }
        slots[index] = Slot(key: key.rawValue, value: value)
        occupied.append(Int32(index))
        return .inserted
    }

    /// Gives every entry `value` (the keys stay).
    mutating func setAllValues(to value: Value) {
        slots.withUnsafeMutableBufferPointer { slots in
            for index in occupied { slots[Int(index)].value = value }
        }
    }

    /// Asks the CPU to start loading the slot where a lookup of `key` begins.
    @inline(__always)
    func prefetch(_ key: KeyHash) {
        rarenet_prefetch(firstSlotAddress(of: key))
    }

    /// The address of the slot where a lookup of `key` begins, for a prefetch
    /// only: it is computed inside the buffer access but used after it, which
    /// is sound because a prefetch never faults and has no effect but a cache
    /// hint — and it keeps the C call outside the access, where it would make
    /// the optimizer retain the slots around it.
    @inline(__always)
    private func firstSlotAddress(of key: KeyHash) -> UnsafeRawPointer {
        slots.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress! + (Int(truncatingIfNeeded: key.rawValue) & mask)) }
    }

    /// Removes every entry (the slots stay allocated).
    mutating func removeAll() {
        guard !occupied.isEmpty else { return }
        slots.withUnsafeMutableBufferPointer { slots in
            for index in occupied { slots[Int(index)].key = 0 }
        }
        occupied.removeAll(keepingCapacity: true)
    }

    /// The keys, in insertion order.
    var keys: [KeyHash] {
        slots.withUnsafeBufferPointer { slots in occupied.map { KeyHash(rawValue: slots[Int($0)].key) } }
    }

    /// The slot where a lookup of `key` begins holds no key: `key` is certainly
    /// absent. (False says nothing: the probe may go on.)
    @inline(__always)
    func isCertainlyAbsent(_ key: KeyHash) -> Bool {
        slots.withUnsafeBufferPointer { $0[Int(truncatingIfNeeded: key.rawValue) & mask].key == 0 }
    }

    /// Calls `body` with every entry, in insertion order.
    func forEach(_ body: (KeyHash, Value) throws -> Void) rethrows {
        for index in occupied {
            let slot = slots[Int(index)]
            try body(KeyHash(rawValue: slot.key), slot.value)
        }
    }
}
