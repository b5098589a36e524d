import CRarenetSystem
#if canImport(Glibc)
import Glibc
#endif

/// Gives up every privilege the sensor no longer needs once its probes are attached.
///
/// Loading and attaching BPF programs needs CAP_BPF, CAP_PERFMON and (for
/// tracefs and older kernels) CAP_SYS_ADMIN; reading the ring buffer through
/// its already-mapped memory and already-open descriptors needs none. What the
/// sensor still does afterwards is read `/proc/<pid>/{exe,cwd}` of other users'
/// processes to attribute events, which the kernel allows only with ptrace
/// read access: CAP_SYS_PTRACE. So the drop:
///
/// 1. removes every other capability from the bounding set, so nothing the
///    process execs can regain one;
/// 2. clears the ambient set;
/// 3. sets `no_new_privs`, so setuid binaries and file capabilities grant nothing;
/// 4. sets the effective and permitted sets to just the kept one (when the
///    process had it: under a unit whose bounding set lacks it, nothing is kept).
///
/// Files the sensor writes (state, alerts) are owned by its own uid, which
/// needs no capability.
public enum PrivilegeDrop {
    /// Capabilities kept after the drop, by number (linux/capability.h).
    public static let keptCapabilities: [Int32] = [
        19, // CAP_SYS_PTRACE: ptrace read access to other users' /proc/<pid>/{exe,cwd}
    ]

    /// The kept set as a bit mask, as `/proc/self/status` shows it in `CapEff`.
    public static var keptMask: UInt64 {
        keptCapabilities.reduce(0) { $0 | 1 << UInt64($1) }
    }

    /// Drops every capability but ``keptCapabilities``. Irreversible.
    ///
    /// Capabilities belong to threads, and a thread inherits its creator's: so
    /// the drop must run while the process has a single thread, and every
    /// thread started afterwards (NIO, the concurrency pool, the sensor's own)
    /// holds only what is kept. It refuses to run otherwise.
    public static func dropPrivileges() throws(PrivilegeDropError) {
        let threads = threadCount()
        guard threads == 1 else {
            throw PrivilegeDropError(step: "check that the process is single-threaded (it has \(threads) threads)", errno: EBUSY)
        }
        let lastCapability = highestCapability()
        for capability in 0...lastCapability where !keptCapabilities.contains(capability) {
            // EINVAL: a capability this kernel does not know; nothing to drop.
            if rarenet_drop_bounding_capability(capability) != 0, errno != EINVAL {
                throw PrivilegeDropError(step: "drop capability \(capability) from the bounding set", errno: errno)
            }
        }
        if rarenet_clear_ambient_capabilities() != 0, errno != EINVAL {
            throw PrivilegeDropError(step: "clear the ambient capabilities", errno: errno)
        }
        if rarenet_set_no_new_privileges() != 0 {
            throw PrivilegeDropError(step: "set no_new_privs", errno: errno)
        }
        if rarenet_set_capabilities(keptMask & permittedMask()) != 0 {
            throw PrivilegeDropError(step: "set the effective and permitted capabilities", errno: errno)
        }
    }

    /// The permitted set now (`CapPrm` in /proc/self/status); all bits when it cannot be read.
    private static func permittedMask() -> UInt64 {
        let line = lines(of: "/proc/self/status").first { $0.hasPrefix("CapPrm:") }
        return line.flatMap { UInt64($0.dropFirst("CapPrm:".count).filter(\.isHexDigit), radix: 16) } ?? .max
    }

    /// The highest capability number the running kernel knows.
    private static func highestCapability() -> Int32 {
        lines(of: "/proc/sys/kernel/cap_last_cap").first.flatMap { Int32($0.filter(\.isNumber)) } ?? 40
    }

    /// The number of threads of this process.
    private static func threadCount() -> Int {
        guard let directory = opendir("/proc/self/task") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 }
        }
        return count
    }

    /// The lines of a small text file in /proc; none when it cannot be read.
    private static func lines(of path: String) -> [String] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var lines: [String] = []
        var buffer = [CChar](repeating: 0, count: 512)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            lines.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return lines
    }
}

/// A step of the privilege drop failed.
public struct PrivilegeDropError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was being done.
    public var step: String
    public var errno: Int32

    public var description: String {
        "cannot drop privileges: \(step): \(String(cString: strerror(errno)))"
    }
}
