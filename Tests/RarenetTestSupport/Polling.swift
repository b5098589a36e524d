#if canImport(Glibc)
import Glibc
#endif

/// Waiting for an observable condition with a deadline, never for a fixed time.
public enum Polling {
    /// Calls `probe` every `interval` until it returns a value, and returns
    /// that value; returns nil when `timeout` passes first.
    public static func value<T>(
        within timeout: Duration,
        every interval: Duration = .milliseconds(10),
        _ probe: () throws -> T?
    ) rethrows -> T? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let value = try probe() { return value }
            guard ContinuousClock.now < deadline else { return nil }
            pause(interval)
        }
    }

    /// Calls `condition` every `interval` until it holds; returns false when `timeout` passes first.
    public static func until(
        within timeout: Duration,
        every interval: Duration = .milliseconds(10),
        _ condition: () throws -> Bool
    ) rethrows -> Bool {
        try value(within: timeout, every: interval) { try condition() ? true : nil } ?? false
    }

    /// Blocks the calling thread for `duration` (between two probes).
    private static func pause(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var remaining = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var request = remaining
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
