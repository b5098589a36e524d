/// The closed sets of label values that rarenet's metrics use.
///
/// Every label of every `rarenet_` metric takes its value from one of these
/// enumerations (or from the configured detector names and the build version,
/// fixed at start-up), so the number of series is bounded by construction:
/// no label ever carries a process, executable, user, address or port.
extension SensorMetrics {
    /// How the network hooks are attached in the kernel.
    public enum AttachMode: String, Sendable, CaseIterable {
        /// kprobes on `tcp_connect`, `inet_bind`, `inet6_bind`.
        case kprobe
        /// The tracepoint fallback (`sock:inet_sock_set_state`, the bind syscall tracepoints).
        case tracepoint
    }

    /// The kind of ring-buffer record the kernel failed to deliver (bpf/rarenet.h `rarenet_counter`).
    public enum RecordKind: String, Sendable, CaseIterable {
        /// A connect or bind record.
        case network
        /// A process exec record.
        case exec
        /// A process exit record.
        case exit
    }

    /// Why the ring-buffer decoder skipped a record instead of decoding it.
    public enum SkipReason: String, Sendable, CaseIterable {
        /// The header's `kind` is not one this build knows.
        case unknownKind = "unknown_kind"
        /// The header's `version` is not `RARENET_ABI_VERSION`.
        case versionMismatch = "version_mismatch"
        /// The header's `size` does not match the size of its kind.
        case sizeMismatch = "size_mismatch"
        /// The fields are out of range (for example an unknown action or address family).
        case malformed
    }

    /// Why an alert was not emitted although its score reached the threshold.
    public enum SuppressionReason: String, Sendable, CaseIterable {
        /// The per-window alert cap was reached.
        case cap
        /// The key was already alerted within the re-alert interval.
        case repeated
    }

    /// The time scale of a baseline (DESIGN.md, "Time scales").
    public enum Scale: String, Sendable, CaseIterable {
        /// Buckets of the configured bucket span (15 minutes by default).
        case bucketSpan = "bucket_span"
        /// One-day buckets.
        case day
    }
}
