#if canImport(Glibc)
import Glibc
#endif
import Logging

/// What the running kernel offers the sensor, read from sysfs and tracefs.
enum KernelFeatures {
    /// The kernel's own BTF, against which libbpf relocates the program (CO-RE).
    static let btfPath = "/sys/kernel/btf/vmlinux"

    /// The perf PMU through which libbpf attaches kprobes.
    static let kprobePMUPath = "/sys/bus/event_source/devices/kprobe/type"

    /// - Throws: ``CaptureError/kernelBTFMissing(path:)`` when the kernel has no BTF.
    static func requireBTF() throws {
        guard access(btfPath, R_OK) == 0 else { throw CaptureError.kernelBTFMissing(path: btfPath) }
    }

    /// Whether kprobes can be attached: the kprobe PMU, or the legacy kprobe_events file in tracefs.
    static var hasKprobes: Bool {
        access(kprobePMUPath, F_OK) == 0
            || Tracefs.candidates.contains { access($0 + "/kprobe_events", F_OK) == 0 }
    }
}

/// tracefs, through which libbpf resolves tracepoints (events/<category>/<name>/id).
enum Tracefs {
    /// Where tracefs is mounted on modern systems, and where the sensor mounts it.
    static let mountPoint = "/sys/kernel/tracing"

    /// The legacy location (under debugfs), which libbpf prefers when it exists.
    static let debugfsPath = "/sys/kernel/debug/tracing"

    /// Both locations, in libbpf's order of preference.
    static let candidates = [debugfsPath, mountPoint]

    /// Makes sure libbpf finds the tracepoint events, mounting tracefs at ``mountPoint`` if needed.
    ///
    /// libbpf reads the debugfs location when it exists and ``mountPoint``
    /// otherwise; the mount is left in place for the next start, as systemd would.
    ///
    /// - Throws: ``CaptureError/notPermitted(operation:)`` or ``CaptureError/tracefsUnavailable(path:errno:)``.
    static func ensureMounted(logger: Logger) throws {
        if access(debugfsPath, F_OK) == 0 || access(mountPoint + "/events", F_OK) == 0 {
            return
        }
        guard mount("tracefs", mountPoint, "tracefs", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), nil) == 0 else {
            let error = errno
            if error == EPERM || error == EACCES {
                throw CaptureError.notPermitted(operation: "mounting tracefs at \(mountPoint)")
            }
            throw CaptureError.tracefsUnavailable(path: mountPoint, errno: error)
        }
        logger.notice("mounted tracefs", metadata: ["path": "\(mountPoint)"])
    }
}
