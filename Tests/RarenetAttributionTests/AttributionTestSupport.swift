import Foundation
import RarenetAttribution
#if canImport(Glibc)
import Glibc
#endif

/// A child process a test starts with `posix_spawn`; killed and reaped when
/// the value goes away, whatever the test's outcome.
final class ChildProcess {
    let pid: pid_t

    struct SpawnFailed: Error, CustomStringConvertible {
        let path: String
        let code: Int32
        var description: String { "posix_spawn \(path): \(String(cString: strerror(code)))" }
    }

    /// Starts `path` with `arguments` (argv[0] first).
    init(_ path: String, _ arguments: [String]) throws {
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, path, nil, nil, argv, environ)
        guard code == 0 else { throw SpawnFailed(path: path, code: code) }
        self.pid = pid
    }

    var processID: UInt32 { UInt32(pid) }

    /// The child's identity, from the test's own reading of `/proc/<pid>/stat`.
    func identity() throws -> ProcessIdentity {
        guard let stat = ProcStatFields(pid: pid) else { throw ProcessGone(pid: pid) }
        return ProcessIdentity(pid: processID, startTicks: stat.startTicks)
    }

    /// Waits until the child runs `path` (after an exec of its own); false if it never does.
    func waitForExec(of path: String) -> Bool {
        waitUntil { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) == path }
    }

    struct ProcessGone: Error {
        let pid: pid_t
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}

/// Polls `condition` until it holds or `seconds` have passed; returns whether it held.
func waitUntil(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
    while monotonicNanoseconds() < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

func monotonicNanoseconds() -> UInt64 { clockNanoseconds(CLOCK_MONOTONIC) }

func bootNanoseconds() -> UInt64 { clockNanoseconds(CLOCK_BOOTTIME) }

private func clockNanoseconds(_ clock: clockid_t) -> UInt64 {
    var now = timespec()
    clock_gettime(clock, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// What the test reads from `/proc/<pid>/stat` on its own, independently of
/// the module under test: comm, state, ppid and start time (fields 2, 3, 4 and 22).
struct ProcStatFields {
    var comm: String
    var state: Substring
    var parentPID: UInt32
    var startTicks: UInt64

    init?(pid: pid_t) {
        guard let line = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")")
        else { return nil }
        let fields = line[line.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let parentPID = UInt32(fields[1]), let startTicks = UInt64(fields[19]) else { return nil }
        comm = String(line[line.index(after: open)..<close])
        state = fields[0]
        self.parentPID = parentPID
        self.startTicks = startTicks
    }
}

/// The real path of `path`, symbolic links resolved.
func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// A fresh directory under the temporary directory; removed by the caller.
func makeTemporaryDirectory() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rarenet-attribution-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    return realPath(directory.path)
}

/// A pid no kernel hands out: above `PID_MAX_LIMIT` (4 194 304 on 64-bit).
let impossiblePID: UInt32 = 5_000_000
