import CLibBPF

#if canImport(Glibc)
import Glibc
#endif

/// Sleeps until a file descriptor is readable, a timeout passes, or another thread calls ``wakeUp()``.
///
/// The ring buffer consumer waits with it on the ring buffer map's file
/// descriptor between batches: the kernel makes that descriptor readable while
/// the ring holds unconsumed data, and wakes waiters when a producer commits a
/// record the consumer has caught up with. The wait is level-triggered, so
/// data that arrived before the call is never missed: drain until a batch
/// comes back empty, then wait.
///
/// ``wait(timeout:)`` is for one thread (the consumer's); ``wakeUp()`` may be
/// called from any thread, for example to stop the consumer promptly.
public final class EpollWaiter: @unchecked Sendable {
    /// Why ``wait(timeout:)`` returned.
    public enum Wake: Sendable, Hashable {
        /// The watched descriptor is readable.
        case readable
        /// Another thread called ``wakeUp()``.
        case wokenUp
        /// The timeout passed.
        case timedOut
    }

    private let epoll: Int32
    private let wakeUpEvent: EventFileDescriptor

    /// Watches `fileDescriptor` (not owned: keep it open while the waiter lives).
    public init(watching fileDescriptor: Int32) throws(SystemCallError) {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw SystemCallError("epoll_create1") }
        do {
            wakeUpEvent = try EventFileDescriptor()
            try Self.add(fileDescriptor, to: epoll)
            try Self.add(wakeUpEvent.fileDescriptor, to: epoll)
        } catch {
            close(epoll)
            throw error
        }
        self.epoll = epoll
    }

    deinit {
        close(epoll)
    }

    /// Blocks until the watched descriptor is readable, ``wakeUp()`` is called, or `timeout` passes.
    ///
    /// - Parameter timeout: how long to wait at most (rounded up to a millisecond); `nil` waits indefinitely.
    public func wait(timeout: Duration?) throws(SystemCallError) -> Wake {
        let wokenUp = wakeUpEvent.fileDescriptor
        let wake: Wake? = withUnsafeTemporaryAllocation(of: epoll_event.self, capacity: 2) { events in
            var count: Int32
            repeat {
                count = epoll_wait(epoll, events.baseAddress, 2, Self.milliseconds(timeout))
            } while count < 0 && errno == EINTR
            guard count >= 0 else { return nil }
            if count == 0 { return .timedOut }
            return events.prefix(Int(count)).contains { $0.data.fd == wokenUp } ? .wokenUp : .readable
        }
        guard let wake else { throw SystemCallError("epoll_wait") }
        if wake == .wokenUp { wakeUpEvent.reset() }
        return wake
    }

    /// Makes the current or next ``wait(timeout:)`` return ``Wake/wokenUp``. Safe from any thread.
    public func wakeUp() {
        wakeUpEvent.signal()
    }

    private static func add(_ fileDescriptor: Int32, to epoll: Int32) throws(SystemCallError) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = fileDescriptor
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fileDescriptor, &event) == 0 else {
            throw SystemCallError("epoll_ctl(EPOLL_CTL_ADD, \(fileDescriptor))")
        }
    }

    /// `timeout` in milliseconds for epoll_wait and poll, rounded up; -1 for none.
    static func milliseconds(_ timeout: Duration?) -> Int32 {
        guard let timeout else { return -1 }
        let (seconds, attoseconds) = timeout.components
        guard seconds >= 0 else { return 0 }
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }
}

/// A Linux eventfd used as a wake-up signal between threads.
///
/// ``signal()`` adds to the event's counter and makes the descriptor readable;
/// ``reset()`` reads the counter back to zero. Signals coalesce: many signals
/// before one wait wake it once.
final class EventFileDescriptor: @unchecked Sendable {
    let fileDescriptor: Int32

    init() throws(SystemCallError) {
        fileDescriptor = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard fileDescriptor >= 0 else { throw SystemCallError("eventfd") }
    }

    deinit {
        close(fileDescriptor)
    }

    /// Makes the descriptor readable (and wakes a thread blocked in ``wait(timeout:)``).
    func signal() {
        var one: UInt64 = 1
        // Fails only when the counter would overflow, which leaves it readable anyway.
        _ = write(fileDescriptor, &one, MemoryLayout<UInt64>.size)
    }

    /// Clears pending signals.
    func reset() {
        var count: UInt64 = 0
        _ = read(fileDescriptor, &count, MemoryLayout<UInt64>.size)
    }

    /// Blocks until signalled or `timeout` passes, then clears the signal.
    ///
    /// - Returns: true when signalled.
    func wait(timeout: Duration?) -> Bool {
        var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        var ready: Int32
        repeat {
            ready = poll(&descriptor, 1, EpollWaiter.milliseconds(timeout))
        } while ready < 0 && errno == EINTR
        guard ready > 0 else { return false }
        reset()
        return true
    }
}

/// A system call that failed, with its name and `errno`.
public struct SystemCallError: Error, Hashable, CustomStringConvertible {
    /// The call that failed, with its salient arguments.
    public var call: String
    /// The `errno` it set.
    public var errno: Int32

    init(_ call: String, errno: Int32 = Glibc.errno) {
        self.call = call
        self.errno = errno
    }

    public var description: String {
        "\(call) failed: \(String(cString: strerror(errno)))"
    }
}
