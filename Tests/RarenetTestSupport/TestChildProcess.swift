#if canImport(Glibc)
import Glibc
#endif

/// A child process spawned with posix_spawn, so that its pid, parent and
/// executable are exactly what the test chose.
///
/// A child the test did not wait for is killed and reaped when the value goes
/// away, whatever the test's outcome: no test leaves a process behind.
public final class TestChildProcess {
    public let pid: pid_t
    /// The wait(2) status once the child has been reaped.
    public private(set) var status: Int32?

    private init(pid: pid_t) {
        self.pid = pid
    }

    deinit {
        guard status == nil else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// The exit code once the child has been reaped; nil before, or when a signal ended it.
    public var exitCode: Int32? {
        guard let status, status & 0x7f == 0 else { return nil }
        return (status >> 8) & 0xff
    }

    /// The child's pid as the kernel's records carry it.
    public var processID: UInt32 { UInt32(pid) }

    /// Spawns `path` with `arguments` (argv[0] included).
    ///
    /// - Parameters:
    ///   - descriptor: passed to the child as fd 3, if given.
    ///   - standardOutput: the child's fd 1, if given (else the test's).
    ///   - standardError: the child's fd 2, if given (else the test's).
    public static func spawn(
        _ path: String, _ arguments: [String], passing descriptor: Int32? = nil,
        standardOutput: Int32? = nil, standardError: Int32? = nil
    ) throws -> TestChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (source, target) in [(descriptor, 3), (standardOutput, STDOUT_FILENO), (standardError, STDERR_FILENO)] {
            if let source { posix_spawn_file_actions_adddup2(&actions, source, Int32(target)) }
        }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard result == 0 else { throw TestChildError.spawn(path, errno: result) }
        return TestChildProcess(pid: pid)
    }

    /// Runs `arguments` (looked up in PATH) to completion; throws unless it exits 0.
    public static func run(_ arguments: [String]) throws {
        let child = try spawn("/usr/bin/env", ["env"] + arguments)
        let status = try child.wait()
        guard status == 0 else { throw TestChildError.failed(arguments, status: status) }
    }

    /// Waits for the child to end; returns its wait(2) status.
    public func wait() throws -> Int32 {
        if let status { return status }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw TestChildError.wait(errno: errno) }
        }
        self.status = status
        return status
    }

    /// Waits at most `timeout` for the child to end.
    ///
    /// - Returns: its wait(2) status, or nil when it is still running.
    public func wait(timeout: Duration) throws -> Int32? {
        if let status { return status }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                self.status = status
                return status
            }
            guard reaped == 0 || errno == EINTR else { throw TestChildError.wait(errno: errno) }
            guard clock.now < deadline else { return nil }
            usleep(5_000)
        }
    }

    /// Sends `signal` to the child.
    public func signal(_ signal: Int32) throws {
        guard kill(pid, signal) == 0 else { throw TestSystemError(operation: "kill \(pid)", errno: errno) }
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
public func waitUntil(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try condition() { return true }
        usleep(2_000)
    }
    return try condition()
}

public enum TestChildError: Error, CustomStringConvertible {
    case spawn(String, errno: Int32)
    case wait(errno: Int32)
    case failed([String], status: Int32)

    public var description: String {
        switch self {
        case .spawn(let path, let errno): "cannot spawn \(path): \(String(cString: strerror(errno)))"
        case .wait(let errno): "waitpid: \(String(cString: strerror(errno)))"
        case .failed(let arguments, let status): "\(arguments.joined(separator: " ")) failed with status \(status)"
        }
    }
}
