import CRarenetSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An OS thread of its own for a loop that blocks (epoll, queue waits), so it
/// never occupies a thread of Swift's cooperative pool.
///
/// ``finished()`` lets async code wait for the loop to end without blocking.
final class DedicatedThread: Sendable {
    private enum State {
        case running
        case waiting(CheckedContinuation<Void, Never>)
        case finished
    }

    private let state = Mutex<State>(.running)

    /// Starts `body` on a new thread named `name` (at most 15 bytes are kept).
    init(name: String, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Box(thread: self, name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            rarenet_set_thread_name(box.name)
            box.body()
            box.thread.markFinished()
            return nil
        }, context)
        precondition(created == 0, "pthread_create failed: \(created)")
        pthread_detach(thread)
    }

    /// Returns when the thread's body has returned.
    func finished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if case .finished = state { return true }
                state = .waiting(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func markFinished() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state = .finished }
            if case .waiting(let continuation) = state { return continuation }
            return nil
        }
        waiter?.resume()
    }

    private final class Box: @unchecked Sendable {
        let thread: DedicatedThread
        let name: String
        let body: @Sendable () -> Void

        init(thread: DedicatedThread, name: String, body: @escaping @Sendable () -> Void) {
            self.thread = thread
            self.name = name
            self.body = body
        }
    }
}
