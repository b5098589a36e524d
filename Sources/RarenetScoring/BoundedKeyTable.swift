import CRarenetPrefetch

/// An open-addressing hash table from ``KeyHash`` to `Value` that never grows
/// past `capacity` entries: an insertion into a full table is refused, so the
/// memory is fixed at creation (about `capacity · 4/3` slots plus a list of
/// the keys and their slots, both allocated at once).
///
/// The scorer uses it two ways: the keys present in the bucket in progress,
/// each with its cached score (`Float`), and the first-seen times (`Int64`). Keys are already well-mixed hashes, so the slot is the low
/// bits of the hash and probing is linear. A slot holds its key and value
/// side by side, so a lookup touches one cache line. The keys and their slots
/// are also listed in insertion order, so iterating and clearing cost the
/// number of entries, not the number of slots, and a walk over the keys reads
/// them in order rather than from slots scattered over the table.
struct BoundedKeyTable<Value>: Sendable where Value: Sendable {
    /// One slot: a key of zero marks it empty (``KeyHash`` is never zero).
    fileprivate struct Slot: Sendable {
        var key: UInt64
        var value: Value
    }

    /// The slots and the list of entries, allocated once; shared by copies of
    /// the table until one of them changes (copy-on-write).
    private var storage: TableStorage<Slot>
    private let mask: Int

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
        self.storage = TableStorage(slotCount: slots, repeating: Slot(key: 0, value: emptyValue), capacity: capacity)
        self.mask = slots - 1
    }

    /// The most entries the table accepts.
    var capacity: Int { storage.capacity }

    /// The number of entries.
    var count: Int { storage.count }

    /// A read-only view for lookups in a loop: a pointer to the slots and the
    /// mask, so a lookup is one probe sequence with nothing to load first.
    /// Like the pointer of `withUnsafeBufferPointer`, it is valid only until
    /// the table changes (or is released): take a new one after every change.
    struct Reader {
        private let slots: UnsafeMutablePointer<Slot>
        private let mask: Int

        fileprivate init(slots: UnsafeMutablePointer<Slot>, mask: Int) {
            self.slots = slots
            self.mask = mask
        }

        /// The index of the slot holding `key`, or of the empty slot where it would go.
        @inline(__always)
        fileprivate func slotIndex(of key: UInt64) -> Int {
            var index = Int(truncatingIfNeeded: key) & mask
            while slots[index].key != key && slots[index].key != 0 {
                index = (index + 1) & mask
            }
            return index
        }

        /// The value stored for `key`, if any: the probe of ``slotIndex(of:)``
        /// with each slot's key loaded once (the per-event lookup).
        @inline(__always)
        func value(for key: KeyHash) -> Value? {
            var index = Int(truncatingIfNeeded: key.rawValue) & mask
            while true {
                let slotKey = slots[index].key
                if slotKey == key.rawValue { return slots[index].value }
                if slotKey == 0 { return nil }
                index = (index &+ 1) & mask
            }
        }

        /// Asks the CPU to start loading the slot where a lookup of `key` begins.
        @inline(__always)
        func prefetch(_ key: KeyHash) {
            rarenet_prefetch(slots + (Int(truncatingIfNeeded: key.rawValue) & mask))
        }
    }

    /// A view for lookups (see ``Reader``).
    var reader: Reader { Reader(slots: storage.slots, mask: mask) }

    /// The value stored for `key`, if any.
    @inline(__always)
    func value(for key: KeyHash) -> Value? { reader.value(for: key) }

    /// Asks the CPU to start loading the slot where a lookup of `key` begins.
    @inline(__always)
    func prefetch(_ key: KeyHash) { reader.prefetch(key) }

    /// The storage, for writing: copied first when another table shares it.
    private mutating func uniqueStorage() -> TableStorage<Slot> {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    /// Adds `key` with `value` unless it is present or the table is full.
    @discardableResult
    mutating func insert(_ key: KeyHash, value: Value) -> Insertion {
        let index = reader.slotIndex(of: key.rawValue)
        if storage.slots[index].key != 0 { return .present }
        if storage.count >= storage.capacity { return .full }
        uniqueStorage().add(Slot(key: key.rawValue, value: value), key: key.rawValue, at: index)
        return .inserted
    }

    /// Replaces the value of `key` if it is present.
    mutating func update(_ key: KeyHash, value: Value) {
        let index = reader.slotIndex(of: key.rawValue)
        if storage.slots[index].key != 0 { uniqueStorage().slots[index].value = value }
    }

    /// Sets the value of `key`, adding the key unless the table is full:
    /// ``Insertion/present`` when it was there (its value is replaced).
    @discardableResult
    mutating func setValue(_ value: Value, for key: KeyHash) -> Insertion {
        let index = reader.slotIndex(of: key.rawValue)
        if storage.slots[index].key != 0 {
            uniqueStorage().slots[index].value = value
            return .present
        }
        if storage.count >= storage.capacity { return .full }
        uniqueStorage().add(Slot(key: key.rawValue, value: value), key: key.rawValue, at: index)
        return .inserted
    }

    /// Gives every entry `value` (the keys stay).
    mutating func setAllValues(to value: Value) {
        guard count > 0 else { return }
        let storage = uniqueStorage()
        for entry in 0..<storage.count { storage.slots[Int(storage.entrySlots[entry])].value = value }
    }

    /// Removes every entry (the slots stay allocated).
    mutating func removeAll() {
        guard count > 0 else { return }
        let storage = uniqueStorage()
        for entry in 0..<storage.count { storage.slots[Int(storage.entrySlots[entry])].key = 0 }
        storage.count = 0
    }

    /// Calls `body` with the keys, in insertion order.
    func withKeys<Result>(_ body: (UnsafeBufferPointer<UInt64>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: storage.entryKeys, count: storage.count))
    }

    /// Calls `body` with every entry, in insertion order.
    func forEach(_ body: (KeyHash, Value) throws -> Void) rethrows {
        for entry in 0..<storage.count {
            try body(KeyHash(rawValue: storage.entryKeys[entry]), storage.slots[Int(storage.entrySlots[entry])].value)
        }
    }
}

/// The memory of a ``BoundedKeyTable``, allocated once and freed with the
/// object: its slots, and its entries (each key and its slot, in insertion
/// order). The table copies it before changing it when another table shares
/// it, so its contents change only through a table that holds the only
/// reference, and sharing it across threads is safe.
private final class TableStorage<Slot>: @unchecked Sendable {
    let slots: UnsafeMutablePointer<Slot>
    let slotCount: Int
    let entryKeys: UnsafeMutablePointer<UInt64>
    let entrySlots: UnsafeMutablePointer<Int32>
    /// The most entries.
    let capacity: Int
    /// The entries in use.
    var count = 0

    init(slotCount: Int, repeating slot: Slot, capacity: Int) {
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: slot, count: slotCount)
        self.slotCount = slotCount
        entryKeys = .allocate(capacity: capacity)
        entrySlots = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    private init(copying other: TableStorage) {
        slots = .allocate(capacity: other.slotCount)
        slots.initialize(from: other.slots, count: other.slotCount)
        slotCount = other.slotCount
        entryKeys = .allocate(capacity: other.capacity)
        entryKeys.initialize(from: other.entryKeys, count: other.count)
        entrySlots = .allocate(capacity: other.capacity)
        entrySlots.initialize(from: other.entrySlots, count: other.count)
        capacity = other.capacity
        count = other.count
    }

    /// A copy with memory of its own.
    func copy() -> TableStorage { TableStorage(copying: self) }

    /// Fills the empty slot `index` with `slot`, of `key`, and lists it as the
    /// next entry (the caller checked that there is room).
    @inline(__always)
    func add(_ slot: Slot, key: UInt64, at index: Int) {
        slots[index] = slot
        entryKeys[count] = key
        entrySlots[count] = Int32(truncatingIfNeeded: index)
        count += 1
    }

    deinit {
        slots.deinitialize(count: slotCount)
        slots.deallocate()
        entryKeys.deallocate()
        entrySlots.deallocate()
    }
}
