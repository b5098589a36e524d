import Foundation

/// The identity the kernel gives the calling thread, read independently of the probes.
struct TestProcessIdentity {
    let pid: UInt32
    let tid: UInt32
    let ppid: UInt32
    let uid: UInt32
    let gid: UInt32
    /// The thread's name (`comm`), which is what the kernel records.
    let comm: String
    /// The process start time, in clock ticks since boot (/proc/self/stat field 22).
    let startTimeTicks: UInt64

    static func current() throws -> TestProcessIdentity {
        let comm = try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
        return TestProcessIdentity(
            pid: UInt32(getpid()), tid: try currentThreadID(), ppid: UInt32(getppid()),
            uid: getuid(), gid: getgid(),
            comm: comm.trimmingCharacters(in: .newlines),
            startTimeTicks: try startTimeTicks(of: getpid()))
    }

    /// The calling thread's id, from the /proc/thread-self link ("<pid>/task/<tid>").
    static func currentThreadID() throws -> UInt32 {
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")
        guard let tid = link.split(separator: "/").last.flatMap({ UInt32($0) }) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return tid
    }

    /// Field 22 of /proc/<pid>/stat.
    static func startTimeTicks(of pid: pid_t) throws -> UInt64 {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name, which is in parentheses and may contain spaces.
        guard let end = stat.lastIndex(of: ")") else { throw CocoaError(.fileReadCorruptFile) }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 19, let ticks = UInt64(fields[19]) else { throw CocoaError(.fileReadCorruptFile) }
        return ticks
    }

    /// A kernel start time (CLOCK_BOOTTIME ns) in /proc's clock ticks, as the kernel converts it.
    static func ticks(fromNanoseconds nanoseconds: UInt64) -> UInt64 {
        nanoseconds / (1_000_000_000 / UInt64(sysconf(Int32(_SC_CLK_TCK))))
    }
}
