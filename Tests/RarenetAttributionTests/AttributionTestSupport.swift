import Foundation
import RarenetAttribution
import RarenetTestSupport
#if canImport(Glibc)
import Glibc
#endif

extension TestChildProcess {
    /// The child's identity, from the test's own reading of `/proc/<pid>/stat`.
    func identity() throws -> ProcessIdentity {
        guard let stat = ProcStatFields(pid: pid) else { throw ProcessGone(pid: pid) }
        return ProcessIdentity(pid: processID, startTicks: stat.startTicks)
    }

    /// Waits until the child runs `path` (after an exec of its own) with its
    /// new arguments in place; false if it never does. The `exe` link changes
    /// before the kernel has set up the new image's arguments, and
    /// `/proc/<pid>/cmdline` reads empty in between.
    func waitForExec(of path: String) -> Bool {
        waitUntil {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) == path
                && FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")?.isEmpty == false
        }
    }
}

/// The child is no longer in `/proc`.
struct ProcessGone: Error {
    let pid: pid_t
}

/// CLOCK_BOOTTIME now, in nanoseconds: the clock of the kernel's timestamps.
func bootNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_BOOTTIME, &now)
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
