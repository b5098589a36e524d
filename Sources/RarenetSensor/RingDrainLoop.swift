import RarenetCapture
import Synchronization

/// The loop of every thread that consumes the ring buffer: drain batch after
/// batch while records are ready, sleep in epoll while the ring is empty, and
/// after ``stop()`` drain what the ring still holds, then return.
final class RingDrainLoop: Sendable {
    private let waiter: EpollWaiter
    private let stopRequested = Atomic<Bool>(false)
    /// The longest sleep between batches, so that the caller's periodic work runs and a stop is seen.
    private let idleWait: Duration

    /// - Parameter waiter: an ``EpollWaiter`` on the ring buffer map the caller drains.
    init(waiter: EpollWaiter, idleWait: Duration = .milliseconds(250)) {
        self.waiter = waiter
        self.idleWait = idleWait
    }

    /// Asks ``run(_:)`` to drain what the ring holds and return. Any thread.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
        waiter.wakeUp()
    }

    /// Calls `drainBatch` (which drains one batch and returns what it did)
    /// until ``stop()`` was called and a batch found the ring caught up.
    func run(_ drainBatch: () -> RingBufferBatch) {
        while true {
            let stopping = stopRequested.load(ordering: .acquiring)
            let batch = drainBatch()
            guard batch.end == .caughtUp else { continue }
            if stopping { return }
            _ = try? waiter.wait(timeout: idleWait)
        }
    }
}
