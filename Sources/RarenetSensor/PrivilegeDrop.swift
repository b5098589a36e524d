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
/// 1. removes every other capability from the bounding set, when the process
///    may (it holds CAP_SETPCAP: see below);
/// 2. clears the ambient set;
/// 3. sets `no_new_privs`, so setuid binaries and file capabilities grant nothing;
/// 4. sets the effective and permitted sets to just the kept one (when the
///    process had it: under a unit whose bounding set lacks it, nothing is kept).
///
/// Why the bounding set is narrowed only with CAP_SETPCAP: `PR_CAPBSET_DROP`
/// needs it, and the shipped systemd unit does not grant it. Its
/// `CapabilityBoundingSet` already holds just the capabilities the sensor
/// needs to start, and once `no_new_privs` is set (step 3, whose failure is an
/// error) no execve can give the process or its children a capability beyond
/// their permitted set, which step 4 reduces to CAP_SYS_PTRACE: from then on
/// the bounding set limits nothing. Granting CAP_SETPCAP to the unit just to
/// narrow it would give the service one more capability for its whole start-up
/// (it also lets a process change its inheritable set and securebits) and buy
/// no protection. So without CAP_SETPCAP the bounding set stays as the service
/// manager set it; with it (root started by hand), it is narrowed to the kept
/// capabilities as before.
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

    /// CAP_SETPCAP (linux/capability.h): needed to drop a capability from the bounding set.
    static let setPCapCapability: Int32 = 8

    /// What ``dropPrivileges()`` did with the bounding set.
    public enum BoundingSet: String, Sendable {
        /// Narrowed to ``keptCapabilities`` (the process held CAP_SETPCAP).
        case narrowed
        /// Left as the process was started with (no CAP_SETPCAP, as under the
        /// shipped systemd unit, whose bounding set is already narrow).
        case leftAsStarted = "left as started (no CAP_SETPCAP)"
    }

    /// Drops every capability but ``keptCapabilities``. Irreversible.
    ///
    /// Capabilities belong to threads, and a thread inherits its creator's: so
    /// the drop must run while the process has a single thread, and every
    /// thread started afterwards (NIO, the concurrency pool, the sensor's own)
    /// holds only what is kept. It refuses to run otherwise.
    @discardableResult
    public static func dropPrivileges() throws(PrivilegeDropError) -> BoundingSet {
        let threads = threadCount()
        guard threads == 1 else {
            throw PrivilegeDropError(step: "check that the process is single-threaded (it has \(threads) threads)", errno: EBUSY)
        }
        let boundingSet: BoundingSet
        if capabilityMask("CapEff") & 1 << UInt64(setPCapCapability) != 0 {
            let bounding = capabilityMask("CapBnd")
            let lastCapability = highestCapability()
            for capability in 0...lastCapability
            where !keptCapabilities.contains(capability) && bounding & 1 << UInt64(capability) != 0 {
                // EINVAL: a capability this kernel does not know; nothing to drop.
                if rarenet_drop_bounding_capability(capability) != 0, errno != EINVAL {
                    throw PrivilegeDropError(step: "drop capability \(capability) from the bounding set", errno: errno)
                }
            }
            boundingSet = .narrowed
        } else {
            boundingSet = .leftAsStarted
        }
        if rarenet_clear_ambient_capabilities() != 0, errno != EINVAL {
            throw PrivilegeDropError(step: "clear the ambient capabilities", errno: errno)
        }
        if rarenet_set_no_new_privileges() != 0 {
            throw PrivilegeDropError(step: "set no_new_privs", errno: errno)
        }
        if rarenet_set_capabilities(keptMask & capabilityMask("CapPrm")) != 0 {
            throw PrivilegeDropError(step: "set the effective and permitted capabilities", errno: errno)
        }
        return boundingSet
    }

    /// A capability set of this thread as /proc/self/status shows it (`CapEff`,
    /// `CapPrm`, `CapBnd`); all bits when it cannot be read, so that nothing is
    /// skipped on a guess.
    private static func capabilityMask(_ field: String) -> UInt64 {
        let prefix = field + ":"
        let line = lines(of: "/proc/self/status").first { $0.hasPrefix(prefix) }
        return line.flatMap { UInt64($0.dropFirst(prefix.count).filter(\.isHexDigit), radix: 16) } ?? .max
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
