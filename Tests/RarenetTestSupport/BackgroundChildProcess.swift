#if canImport(Glibc)
import Glibc
#endif

/// A child process that runs until the test ends: killed (SIGKILL) and
/// reaped on deinit, so a failing test leaves nothing behind.
public final class BackgroundChildProcess {
    private let child: TestChildProcess
    private var isReaped = false

    public var pid: pid_t { child.pid }

    /// Spawns `path` with `arguments` (argv[0] included).
    public init(_ path: String, _ arguments: [String]) throws {
        child = try TestChildProcess.spawn(path, arguments)
    }

    /// True while the child has not exited (it is reaped if it has).
    public var isRunning: Bool {
        guard !isReaped else { return false }
        var status: Int32 = 0
        if waitpid(child.pid, &status, WNOHANG) == child.pid { isReaped = true }
        return !isReaped
    }

    deinit {
        guard !isReaped else { return }
        kill(child.pid, SIGKILL)
        _ = try? child.wait()
    }
}
