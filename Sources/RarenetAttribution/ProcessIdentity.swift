#if canImport(Glibc)
import Glibc
#endif

/// A process, named so that a reused pid is never mistaken for the process
/// that held it before: the thread-group id together with the process's start
/// time in clock ticks since boot.
///
/// Both sides of the sensor produce the same identity for one process:
/// - the kernel records carry `start_time_ns`, the group leader's
///   `start_boottime` in CLOCK_BOOTTIME nanoseconds, which
///   ``init(pid:startBootNanoseconds:)`` converts with ``ClockTicks``;
/// - `/proc/<pid>/stat` field 22 is the kernel's own conversion of that same
///   `start_boottime` to clock ticks.
///
/// Ticks (1/100 s on every common architecture) are coarse, but the kernel
/// never hands out a pid again within one tick of its release in practice:
/// pids are allocated cyclically up to `pid_max`.
/// A sensor inside a time namespace would see `/proc` shifted by that
/// namespace's boot-time offset; rarenet runs in the initial one.
public struct ProcessIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The process id (thread-group id, `tgid` in the kernel).
    public var pid: UInt32
    /// When the process started, in clock ticks since boot, as `/proc/<pid>/stat` field 22.
    public var startTicks: UInt64

    /// The identity of a process as `/proc` names it.
    public init(pid: UInt32, startTicks: UInt64) {
        self.pid = pid
        self.startTicks = startTicks
    }

    /// The identity of a process as a kernel record names it: `start_time_ns`
    /// (CLOCK_BOOTTIME nanoseconds) converted exactly as `/proc` converts it.
    public init(pid: UInt32, startBootNanoseconds: UInt64) {
        self.init(pid: pid, startTicks: ClockTicks.system.ticks(fromNanoseconds: startBootNanoseconds))
    }

    public var description: String { "\(pid)@\(startTicks)" }
}

/// The kernel's user-visible clock tick (`USER_HZ`, `sysconf(_SC_CLK_TCK)`),
/// and its conversion of nanoseconds to ticks.
public struct ClockTicks: Hashable, Sendable {
    /// Ticks per second.
    public let perSecond: UInt64

    /// A tick of `perSecond` per second; `perSecond` must be positive.
    public init(perSecond: UInt64) {
        precondition(perSecond > 0, "USER_HZ must be positive")
        self.perSecond = perSecond
    }

    /// This machine's `USER_HZ`, as the kernel reports it to processes.
    public static let system = ClockTicks(perSecond: UInt64(max(1, sysconf(Int32(_SC_CLK_TCK)))))

    /// Converts nanoseconds to ticks exactly as the kernel's `nsec_to_clock_t`
    /// does (kernel/time/time.c), including its 64-bit wrap-around, so that
    /// converting a kernel timestamp gives the very number `/proc` shows.
    public func ticks(fromNanoseconds nanoseconds: UInt64) -> UInt64 {
        let nanosecondsPerSecond: UInt64 = 1_000_000_000
        if nanosecondsPerSecond % perSecond == 0 {
            return nanoseconds / (nanosecondsPerSecond / perSecond)
        }
        if perSecond % 512 == 0 {
            return (nanoseconds &* perSecond / 512) / (nanosecondsPerSecond / 512)
        }
        return (nanoseconds &* 9) / ((9 * nanosecondsPerSecond + perSecond / 2) / perSecond)
    }
}
