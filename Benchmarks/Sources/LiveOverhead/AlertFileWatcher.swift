import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Follows a growing alert file on its own thread and stamps every line with
/// the wall-clock time it was first read (`CLOCK_REALTIME`, the clock the
/// sensor's `@timestamp` is on).
///
/// An inotify `IN_MODIFY` watch wakes the thread as soon as the sensor's
/// `write(2)` lands, so a stamp is late by one wake-up and one `read(2)`, not
/// by a polling interval.
final class AlertFileWatcher: Sendable {
    /// A complete line and when it was read, in nanoseconds since the epoch.
    struct ObservedLine: Sendable {
        var line: String
        var observedNanoseconds: Int64
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let file: Int32
    private let notifications: Int32
    private let observed = Mutex<[ObservedLine]>([])
    private let stopRequested = Atomic<Bool>(false)
    private let arrivals = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts following `path`, which must exist; lines already in it are skipped.
    init(path: String) throws {
        file = open(path, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        lseek(file, 0, SEEK_END)
        notifications = inotify_init1(Int32(IN_CLOEXEC))
        guard notifications >= 0, inotify_add_watch(notifications, path, UInt32(IN_MODIFY)) >= 0 else {
            close(file)
            throw Failure(description: "cannot watch \(path) with inotify: \(String(cString: strerror(errno)))")
        }
        let thread = Thread { [self] in follow() }
        thread.name = "alert-watcher"
        thread.start()
    }

    deinit {
        close(notifications)
        close(file)
    }

    /// Stops the thread (within 50 ms) and waits for it.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
        finished.wait()
    }

    /// The lines observed so far, from the `index`-th on.
    func lines(from index: Int) -> ArraySlice<ObservedLine> {
        observed.withLock { $0[min(index, $0.count)...] }
    }

    /// Waits until new lines may have arrived or `timeout` passed.
    func waitForLines(timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        _ = arrivals.wait(timeout: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
    }

    private func follow() {
        var events = [UInt8](repeating: 0, count: 4096)
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var partial: [UInt8] = []
        while !stopRequested.load(ordering: .acquiring) {
            var descriptor = pollfd(fd: notifications, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            _ = read(notifications, &events, events.count)
            var lines: [ObservedLine] = []
            while true {
                let count = read(file, &chunk, chunk.count)
                guard count > 0 else { break }
                let now = Self.realtimeNanoseconds()
                partial += chunk[..<count]
                while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(ObservedLine(line: String(decoding: partial[..<newline], as: UTF8.self), observedNanoseconds: now))
                    partial.removeSubrange(...newline)
                }
            }
            guard !lines.isEmpty else { continue }
            observed.withLock { $0 += lines }
            arrivals.signal()
        }
        finished.signal()
    }

    static func realtimeNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
