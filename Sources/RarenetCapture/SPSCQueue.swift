import Synchronization

/// A bounded, lock-free queue for exactly one producer thread and one consumer thread.
///
/// The ring buffer consumer thread pushes decoded batches; the scoring thread
/// pops them. ``tryPush(_:)`` and ``tryPop()`` never block and never take a
/// lock; ``push(_:timeout:)`` and ``pop(timeout:)`` wait, without spinning,
/// when the queue is full or empty.
///
/// Design:
/// - `capacity` slots (a power of two, so a slot is `index & (capacity - 1)`)
///   and two ever-growing indices: `tail` (next slot to fill, written only by
///   the producer) and `head` (next slot to empty, written only by the
///   consumer). The queue holds `tail - head` elements.
/// - The producer writes a slot, then store-releases `tail`; the consumer
///   load-acquires `tail` before it reads the slot (and symmetrically for
///   `head` and slot reuse), so an element is fully written before it is seen.
/// - `tail` and `head` live on separate cache lines (128 bytes apart, the
///   spatial prefetcher's pair of lines), each next to a private copy of the
///   other side's index: a side reloads the shared index only when its copy
///   says the queue is full (producer) or empty (consumer), so in steady state
///   the two threads do not bounce cache lines.
/// - Waiting uses an event count per direction (``Doorbell``): the waiter
///   announces it is going to sleep, re-checks the queue, then blocks on an
///   eventfd; the other side, after publishing its index, checks the
///   announcement and signals the eventfd only if someone sleeps. A full
///   fence on both sides (the Dekker pattern) guarantees that either the
///   waiter sees the new element or the other side sees the waiter, so a
///   wake-up is never lost, and a side that never waits costs the other one
///   only a fence and a load per operation.
///
/// Each side must be used from one thread at a time: ``tryPush(_:)`` and
/// ``push(_:timeout:)`` by the producer, ``tryPop()`` and ``pop(timeout:)`` by
/// the consumer.
public final class SPSCQueue<Element: Sendable>: @unchecked Sendable {
    /// The most elements the queue holds.
    public let capacity: Int

    private let mask: Int
    private let slots: UnsafeMutablePointer<Element>
    /// Two cache-line pairs: the producer's (`tail`, its copy of `head`) and the consumer's (`head`, its copy of `tail`).
    private let indices: UnsafeMutableRawPointer
    private let notEmpty: Doorbell
    private let notFull: Doorbell

    private static var lineSize: Int { 128 }
    private var tail: UnsafeMutablePointer<Atomic<Int>> { indices.assumingMemoryBound(to: Atomic<Int>.self) }
    private var producerCopyOfHead: UnsafeMutablePointer<Int> { (indices + 8).assumingMemoryBound(to: Int.self) }
    private var head: UnsafeMutablePointer<Atomic<Int>> { (indices + Self.lineSize).assumingMemoryBound(to: Atomic<Int>.self) }
    private var consumerCopyOfTail: UnsafeMutablePointer<Int> { (indices + Self.lineSize + 8).assumingMemoryBound(to: Int.self) }

    /// Creates an empty queue of at least `minimumCapacity` elements (rounded up to a power of two).
    public init(minimumCapacity: Int) throws(SystemCallError) {
        precondition(minimumCapacity > 0 && minimumCapacity <= 1 << 30, "queue capacity must be in 1...2^30")
        capacity = 1 << (Int.bitWidth - (minimumCapacity - 1).leadingZeroBitCount)
        mask = capacity - 1
        notEmpty = try Doorbell()
        notFull = try Doorbell()
        slots = .allocate(capacity: capacity)
        indices = .allocate(byteCount: 2 * Self.lineSize, alignment: Self.lineSize)
        indices.initializeMemory(as: UInt8.self, repeating: 0, count: 2 * Self.lineSize)
        indices.bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(0))
        (indices + Self.lineSize).bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(0))
        (indices + 8).bindMemory(to: Int.self, capacity: 1).initialize(to: 0)
        (indices + Self.lineSize + 8).bindMemory(to: Int.self, capacity: 1).initialize(to: 0)
    }

    deinit {
        let first = head.pointee.load(ordering: .acquiring)
        let end = tail.pointee.load(ordering: .acquiring)
        for index in first..<end {
            (slots + (index & mask)).deinitialize(count: 1)
        }
        slots.deallocate()
        head.deinitialize(count: 1)
        tail.deinitialize(count: 1)
        indices.deallocate()
    }

    // MARK: Producer side

    /// Appends `element` unless the queue is full. Producer thread only.
    ///
    /// - Returns: false when the queue was full (the element was not added).
    public func tryPush(_ element: Element) -> Bool {
        let index = tail.pointee.load(ordering: .relaxed)
        if index - producerCopyOfHead.pointee == capacity {
            producerCopyOfHead.pointee = head.pointee.load(ordering: .acquiring)
            if index - producerCopyOfHead.pointee == capacity { return false }
        }
        (slots + (index & mask)).initialize(to: element)
        tail.pointee.store(index + 1, ordering: .releasing)
        notEmpty.ring()
        return true
    }

    /// Appends `element`, waiting while the queue is full. Producer thread only.
    ///
    /// - Parameter timeout: how long to wait for space at most; `nil` waits indefinitely.
    /// - Returns: false when the timeout passed with the queue still full.
    public func push(_ element: Element, timeout: Duration?) -> Bool {
        notFull.wait(timeout: timeout) { tryPush(element) }
    }

    // MARK: Consumer side

    /// Removes the oldest element, or returns nil when the queue is empty. Consumer thread only.
    public func tryPop() -> Element? {
        let index = head.pointee.load(ordering: .relaxed)
        if index == consumerCopyOfTail.pointee {
            consumerCopyOfTail.pointee = tail.pointee.load(ordering: .acquiring)
            if index == consumerCopyOfTail.pointee { return nil }
        }
        let element = (slots + (index & mask)).move()
        head.pointee.store(index + 1, ordering: .releasing)
        notFull.ring()
        return element
    }

    /// Removes the oldest element, waiting while the queue is empty. Consumer thread only.
    ///
    /// - Parameter timeout: how long to wait for an element at most; `nil` waits indefinitely.
    /// - Returns: nil when the timeout passed with the queue still empty.
    public func pop(timeout: Duration?) -> Element? {
        var element: Element?
        _ = notEmpty.wait(timeout: timeout) {
            element = tryPop()
            return element != nil
        }
        return element
    }
}

/// An event count: lets one thread sleep until another thread reports progress.
///
/// The waiter sets `sleeping`, re-checks its condition, and blocks on an
/// eventfd; the notifier, after publishing progress, signals the eventfd only
/// when `sleeping` is set. Sequentially consistent fences on both sides order
/// "publish progress, then read `sleeping`" against "set `sleeping`, then
/// re-check", so one of the two always sees the other.
private final class Doorbell: @unchecked Sendable {
    private let sleeping = Atomic<Bool>(false)
    private let event: EventFileDescriptor

    init() throws(SystemCallError) {
        event = try EventFileDescriptor()
    }

    /// Wakes the waiter, if one sleeps. Call after publishing progress.
    func ring() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if sleeping.load(ordering: .relaxed) {
            event.signal()
        }
    }

    /// Runs `attempt` until it succeeds, sleeping between failures, for at most `timeout`.
    func wait(timeout: Duration?, until attempt: () -> Bool) -> Bool {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            if attempt() { return true }
            sleeping.store(true, ordering: .relaxed)
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            defer { sleeping.store(false, ordering: .relaxed) }
            if attempt() { return true }
            let remaining = deadline.map { $0 - ContinuousClock.now }
            if let remaining, remaining <= .zero { return false }
            _ = event.wait(timeout: remaining)
        }
    }
}
