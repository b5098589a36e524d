import RarenetCapture
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The loop of every thread that consumes the ring buffer: drain batch after
/// batch while records are ready, sleep in epoll while the ring is empty, and
/// after ``stop()`` drain what the ring still holds, then return.
///
/// The kernel wakes an epoll waiter for the first record written into a ring
/// its consumer has caught up with, so a thread that waits in epoll right
/// after every drain is woken once per event: at a few thousand connects a
/// second, the wake-ups (here and on the thread the records are handed to)
/// cost more than the events. So after a drain that found records the loop
/// first sleeps — events keep arriving into the ring without waking anyone —
/// and drains again; it waits in epoll only when a drain finds the ring
/// empty, so an idle sensor still sleeps until the kernel has something.
///
/// The sleep adapts to the rate: it starts at the lower bound of
/// ``coalescingIntervals`` (1 ms), doubles after each drain that found a busy
/// batch (``busyBatchRecords`` or more) up to the upper bound (4 ms), and
/// halves after a quieter one. A lone event (an alert's usual cause) is
/// drained as soon as epoll wakes the loop; under load the per-batch costs
/// (two wake-ups, the hand-over) spread over four times as many events, and
/// an event waits at most the upper bound.
final class RingDrainLoop: Sendable {
    private let waiter: EpollWaiter
    private let stopRequested = Atomic<Bool>(false)
    /// The longest sleep between batches, so that the caller's periodic work runs and a stop is seen.
    private let idleWait: Duration
    /// How long records gather in the ring after a drain that found some: at
    /// least the lower bound, at most the upper.
    let coalescingIntervals: ClosedRange<Duration>
    /// Records in a drain from which the next sleep doubles.
    static let busyBatchRecords = 32

    /// - Parameter waiter: an ``EpollWaiter`` on the ring buffer map the caller drains.
    init(
        waiter: EpollWaiter, idleWait: Duration = .milliseconds(250),
        coalescingIntervals: ClosedRange<Duration> = .milliseconds(1) ... .milliseconds(4)
    ) {
        self.waiter = waiter
        self.idleWait = idleWait
        self.coalescingIntervals = coalescingIntervals
    }

    /// Asks ``run(_:)`` to drain what the ring holds and return. Any thread.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
        waiter.wakeUp()
    }

    /// Calls `drainBatch` (which drains one batch and returns what it did)
    /// until ``stop()`` was called and a batch found the ring caught up.
    func run(_ drainBatch: () -> RingBufferBatch) {
        var interval = coalescingIntervals.lowerBound
        while true {
            let stopping = stopRequested.load(ordering: .acquiring)
            let batch = drainBatch()
            guard batch.end == .caughtUp else { continue }
            if stopping { return }
            if batch.bytes > 0 {
                sleep(interval)
                interval = batch.records >= Self.busyBatchRecords
                    ? min(interval * 2, coalescingIntervals.upperBound)
                    : max(interval / 2, coalescingIntervals.lowerBound)
            } else {
                interval = coalescingIntervals.lowerBound
                _ = try? waiter.wait(timeout: idleWait)
            }
        }
    }

    private func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var remaining = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var request = remaining
        while nanosleep(&request, &remaining) != 0, errno == EINTR {
            request = remaining
        }
    }
}
