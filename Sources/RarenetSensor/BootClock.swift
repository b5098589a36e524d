import RarenetEvents
#if canImport(Glibc)
import Glibc
#endif

/// Turns the kernel's record timestamps (CLOCK_BOOTTIME nanoseconds, see
/// bpf/rarenet.h) into wall-clock event time.
///
/// The offset between the two clocks is measured once and again on each
/// ``resynchronize()``, so a wall clock stepped by NTP is followed without a
/// system call per event.
public struct BootClock: Sendable {
    /// CLOCK_REALTIME minus CLOCK_BOOTTIME, in nanoseconds.
    public private(set) var offsetNanoseconds: Int64

    /// A clock synchronized now.
    public init() {
        offsetNanoseconds = Self.measureOffset()
    }

    /// A clock that adds `offsetNanoseconds` to every kernel timestamp, until
    /// ``resynchronize()``: e.g. to replay records into another stretch of time.
    public init(offsetNanoseconds: Int64) {
        self.offsetNanoseconds = offsetNanoseconds
    }

    /// Measures the offset again.
    public mutating func resynchronize() {
        offsetNanoseconds = Self.measureOffset()
    }

    /// The wall-clock time of a kernel timestamp.
    @inline(__always)
    public func eventTime(bootNanoseconds: UInt64) -> EventTimestamp {
        EventTimestamp(nanosecondsSinceEpoch: Int64(truncatingIfNeeded: bootNanoseconds) &+ offsetNanoseconds)
    }

    /// The current wall-clock time.
    public static func now() -> EventTimestamp {
        EventTimestamp(nanosecondsSinceEpoch: read(CLOCK_REALTIME))
    }

    /// The current CLOCK_BOOTTIME in nanoseconds, the clock of the kernel's timestamps.
    public static func bootNanoseconds() -> UInt64 {
        UInt64(read(CLOCK_BOOTTIME))
    }

    /// Reads the wall clock between two boot-clock readings and keeps the
    /// tightest of a few tries, so a preemption between the reads does not skew it.
    private static func measureOffset() -> Int64 {
        var best: (width: Int64, offset: Int64) = (.max, 0)
        for _ in 0..<5 {
            let before = read(CLOCK_BOOTTIME)
            let wall = read(CLOCK_REALTIME)
            let after = read(CLOCK_BOOTTIME)
            if after - before < best.width {
                best = (after - before, wall - (before + (after - before) / 2))
            }
        }
        return best.offset
    }

    private static func read(_ clock: clockid_t) -> Int64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
