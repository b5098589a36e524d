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
/// The sleep adapts to the rate (``CoalescingSleep``): 1 ms, up to 4 ms
/// under load. A lone event (an alert's usual cause) is drained as soon as
/// epoll wakes the loop; under load the per-batch costs (two wake-ups, the
/// hand-over) spread over four times as many events, and an event waits at
/// most the upper bound.
final class RingDrainLoop: Sendable {
    private let waiter: EpollWaiter
    private let stopRequested = Atomic<Bool>(false)
    /// The longest sleep between batches, so that the caller's periodic work runs and a stop is seen.
    private let idleWait: Duration
    /// How long records gather in the ring after a drain that found some.
    private let coalescingBounds: ClosedRange<Duration>

    /// - Parameter waiter: an ``EpollWaiter`` on the ring buffer map the caller drains.
    init(
        waiter: EpollWaiter, idleWait: Duration = .milliseconds(250),
        coalescingBounds: ClosedRange<Duration> = CoalescingSleep.defaultBounds
    ) {
        self.waiter = waiter
        self.idleWait = idleWait
        self.coalescingBounds = coalescingBounds
    }

    /// Asks ``run(_:)`` to drain what the ring holds and return. Any thread.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
        waiter.wakeUp()
    }

    /// Calls `drainBatch` (which drains one batch and returns what it did)
    /// until ``stop()`` was called and a batch found the ring caught up.
    func run(_ drainBatch: () -> RingBufferBatch) {
        var coalescing = CoalescingSleep(bounds: coalescingBounds)
        while true {
            let stopping = stopRequested.load(ordering: .acquiring)
            let batch = drainBatch()
            guard batch.end == .caughtUp else { continue }
            if stopping { return }
            if batch.bytes > 0 {
                sleep(coalescing.duration)
                coalescing.adapt(toDrainOf: batch.records)
            } else {
                coalescing.reset()
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

/// How long the drain loop sleeps after a drain that found records, adapted
/// to the rate: it starts at the lower bound, doubles after each drain that
/// found a busy batch (``busyBatchRecords`` or more) up to the upper bound,
/// halves after a quieter one, and starts over when the ring runs empty.
struct CoalescingSleep: Sendable, Hashable {
    /// 1 ms to 4 ms.
    static let defaultBounds: ClosedRange<Duration> = .milliseconds(1) ... .milliseconds(4)
    /// Records in a drain from which the next sleep doubles.
    static let busyBatchRecords = 32

    let bounds: ClosedRange<Duration>
    /// The next sleep.
    private(set) var duration: Duration

    init(bounds: ClosedRange<Duration> = defaultBounds) {
        self.bounds = bounds
        duration = bounds.lowerBound
    }

    /// After a drain that found `records`: the next sleep.
    mutating func adapt(toDrainOf records: Int) {
        duration = records >= Self.busyBatchRecords
            ? min(duration * 2, bounds.upperBound)
            : max(duration / 2, bounds.lowerBound)
    }

    /// The ring ran empty: the next burst starts at the lower bound.
    mutating func reset() {
        duration = bounds.lowerBound
    }
}
