import RarenetTestSupport
import Testing
@testable import RarenetAttribution
#if canImport(Glibc)
import Glibc
#endif

@Suite("Process identity")
struct ProcessIdentityTests {
    @Test("nanoseconds convert to ticks as the kernel's nsec_to_clock_t does", arguments: [
        // USER_HZ divides 10^9: plain division.
        (UInt64(100), UInt64(1_999_999_999), UInt64(199)),
        (100, 2_000_000_000, 200),
        (1000, 1_234_567_891, 1234),
        // USER_HZ a multiple of 512 (alpha's 1024): x * USER_HZ / 512 / (10^9 / 512).
        (1024, 1_000_000_000, 1024),
        (1024, 1_499_999_999, 1535),
        // Otherwise x * 9 / ((9 * 10^9 + USER_HZ / 2) / USER_HZ).
        (300, 1_234_567_890, 370),
        // ... which is not exact for every USER_HZ: the kernel says 6 here, and so must we.
        (7, 1_000_000_000, 6),
    ])
    func kernelConversion(perSecond: UInt64, nanoseconds: UInt64, ticks: UInt64) {
        #expect(ClockTicks(perSecond: perSecond).ticks(fromNanoseconds: nanoseconds) == ticks)
    }

    @Test("this machine's USER_HZ is the one sysconf reports")
    func systemTicks() {
        #expect(ClockTicks.system.perSecond == UInt64(sysconf(Int32(_SC_CLK_TCK))))
    }

    @Test("a child's boot-time start converts to the start time /proc shows")
    func bootTimeMatchesProc() throws {
        let before = bootNanoseconds()
        let child = try TestChildProcess.spawn("/bin/sleep", ["sleep", "30"])
        let after = bootNanoseconds()
        let stat = try #require(ProcStatFields(pid: child.pid))

        let earliest = ProcessIdentity(pid: child.processID, startBootNanoseconds: before)
        let latest = ProcessIdentity(pid: child.processID, startBootNanoseconds: after)
        #expect(earliest.startTicks <= stat.startTicks)
        #expect(stat.startTicks <= latest.startTicks)
    }

    @Test("the same pid with another start time is another process")
    func pidReuseIsAnotherIdentity() {
        let first = ProcessIdentity(pid: 4242, startTicks: 100)
        let reused = ProcessIdentity(pid: 4242, startTicks: 101)
        #expect(first != reused)
        #expect(first == ProcessIdentity(pid: 4242, startBootNanoseconds: 1_000_000_000 * 100 / ClockTicks.system.perSecond))
    }
}
