/// A first-in first-out queue of at most `capacity` elements in one
/// allocation made up front: a ring over a fixed buffer.
struct RingQueue<Element> {
    private var storage: ContiguousArray<Element?>
    private var head = 0
    private(set) var count = 0

    /// An empty queue that can hold `capacity` (at least 1) elements.
    init(capacity: Int) {
        storage = ContiguousArray(repeating: nil, count: max(1, capacity))
    }

    var isEmpty: Bool { count == 0 }

    /// The oldest element.
    var first: Element? { storage[head] }

    /// Appends `element`; the caller keeps the queue within its capacity.
    mutating func append(_ element: Element) {
        precondition(count < storage.count, "RingQueue is full")
        storage[(head + count) % storage.count] = element
        count += 1
    }

    /// Removes and returns the oldest element.
    mutating func popFirst() -> Element? {
        guard let element = storage[head] else { return nil }
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        return element
    }
}
