#if canImport(Glibc)
import Glibc
#endif

/// A child process spawned with posix_spawn, so that its pid, parent and
/// executable are exactly what the test chose.
public struct TestChildProcess {
    public let pid: pid_t

    /// Spawns `path` with `arguments` (argv[0] included), `descriptor` passed as fd 3 if given.
    public static func spawn(_ path: String, _ arguments: [String], passing descriptor: Int32? = nil) throws -> TestChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let descriptor {
            posix_spawn_file_actions_adddup2(&actions, descriptor, 3)
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
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw TestChildError.wait(errno: errno) }
        }
        return status
    }
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
