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
/// processes to attribute events, which the kernel allows only with
/// CAP_SYS_PTRACE (ptrace read access) and CAP_DAC_READ_SEARCH. So the drop:
///
/// 1. removes every other capability from the bounding set, so nothing the
///    process execs can regain one;
/// 2. clears the ambient set;
/// 3. sets `no_new_privs`, so setuid binaries and file capabilities grant nothing;
/// 4. sets the effective and permitted sets to just the kept ones.
///
/// Files the sensor writes (state, alerts) are owned by its own uid, which
/// needs no capability.
public enum PrivilegeDrop {
    /// Capabilities kept after the drop, by number (linux/capability.h).
    public static let keptCapabilities: [Int32] = [
        2,  // CAP_DAC_READ_SEARCH: read /proc/<pid>/cwd and exe of any process
        19, // CAP_SYS_PTRACE: ptrace read access to other users' /proc entries
    ]

    /// The kept set as a bit mask, as `/proc/self/status` shows it in `CapEff`.
    public static var keptMask: UInt64 {
        keptCapabilities.reduce(0) { $0 | 1 << UInt64($1) }
    }

    /// Drops every capability but ``keptCapabilities``. Irreversible.
    public static func dropPrivileges() throws(PrivilegeDropError) {
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
        if rarenet_set_capabilities(keptMask) != 0 {
            throw PrivilegeDropError(step: "set the effective and permitted capabilities", errno: errno)
        }
    }

    /// The highest capability number the running kernel knows.
    private static func highestCapability() -> Int32 {
        guard let file = fopen("/proc/sys/kernel/cap_last_cap", "r") else { return 40 }
        defer { fclose(file) }
        var value: Int32 = 40
        var buffer = [CChar](repeating: 0, count: 16)
        if fgets(&buffer, Int32(buffer.count), file) != nil {
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            value = Int32(text.filter(\.isNumber)) ?? value
        }
        return value
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
