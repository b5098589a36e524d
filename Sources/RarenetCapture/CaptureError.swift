#if canImport(Glibc)
import Glibc
#endif

/// Why the sensor could not load or attach its kernel probes, in words an operator can act on.
public enum CaptureError: Error, Hashable, CustomStringConvertible {
    /// The kernel refused an operation that needs privileges (`EPERM`/`EACCES`).
    case notPermitted(operation: String)
    /// The kernel has no BTF type information, which CO-RE relocation needs.
    case kernelBTFMissing(path: String)
    /// `--ring-buffer-size` is not a power of two, not page-aligned, or out of range.
    case invalidRingBufferSize(String)
    /// The embedded BPF object is not what this build expects (a build problem, not the host's).
    case invalidBPFObject(String)
    /// The kernel rejected the BPF programs while loading them (usually the verifier).
    case loadFailed(errno: Int32)
    /// Tracepoints need tracefs, which is not mounted and could not be.
    case tracefsUnavailable(path: String, errno: Int32)
    /// `--attach kprobe` on a kernel without kprobe support.
    case kprobesUnavailable(hook: CaptureHook)
    /// A hook's program could not be attached.
    case attachFailed(hook: CaptureHook, mechanism: HookMechanism, program: String, errno: Int32)
    /// No network hook could be attached with any mechanism.
    case nothingAttached(failures: [CaptureError])

    public var description: String {
        switch self {
        case .notPermitted(let operation):
            "\(operation) is not permitted: rarenet must run as root (or with CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)"
        case .kernelBTFMissing(let path):
            "this kernel has no BTF type information (\(path) is missing; it needs CONFIG_DEBUG_INFO_BTF=y): "
                + "rarenet's BPF program uses it to adapt to the running kernel"
        case .invalidRingBufferSize(let reason):
            "invalid ring buffer size: \(reason)"
        case .invalidBPFObject(let reason):
            "the BPF object embedded in this build is unusable: \(reason)"
        case .loadFailed(let errno):
            "the kernel refused to load rarenet's BPF programs (\(Self.message(errno))); "
                + "run with --log-level debug to see libbpf's and the verifier's log"
        case .tracefsUnavailable(let path, let errno):
            "tracepoints need tracefs, which is not mounted at \(path) and could not be mounted (\(Self.message(errno)))"
        case .kprobesUnavailable(let hook):
            "cannot attach the \(hook) hook with a kprobe: this kernel has no kprobe support "
                + "(CONFIG_KPROBES / CONFIG_KPROBE_EVENTS is off: neither /sys/bus/event_source/devices/kprobe "
                + "nor kprobe_events in tracefs exists); use --attach tracepoint or --attach auto"
        case .attachFailed(let hook, let mechanism, let program, let errno):
            "cannot attach the \(hook) hook with a \(mechanism) (program \(program)): \(Self.message(errno))"
        case .nothingAttached(let failures):
            "no network hook could be attached: "
                + failures.map(\.description).joined(separator: "; ")
        }
    }

    private static func message(_ errno: Int32) -> String {
        "\(String(cString: strerror(errno))), errno \(errno)"
    }
}
