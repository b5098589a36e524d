/// How the sensor attaches its network hooks (`--attach`).
///
/// The process hooks (exec and exit) are tracepoints in every mode.
public enum AttachMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Each network hook tries its kprobe first and falls back to its tracepoint
    /// where the kprobe cannot attach (for example on a kernel without kprobes).
    case auto
    /// kprobes only (`tcp_connect`, `inet_bind`, `inet6_bind`); fails on a kernel without kprobes.
    case kprobe
    /// Tracepoints only (`sock:inet_sock_set_state`, `syscalls:sys_{enter,exit}_{connect,bind}`).
    case tracepoint

    public var description: String { rawValue }
}

/// The kind of kernel hook a capture hook ended up attached with.
public enum HookMechanism: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case kprobe
    case tracepoint

    public var description: String { rawValue }
}
