/// One thing the sensor watches in the kernel, attached as a unit of BPF programs.
///
/// Each hook has a program set per mechanism (see `bpf/rarenet.bpf.c`); a hook
/// is attached all or nothing, with one mechanism.
///
/// The cases are in attach order: the process hooks first, so that every
/// process seen on the network has been seen starting.
public enum CaptureHook: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Successful execs: the executable path and args of a new image.
    case exec
    /// Process (thread group) exits.
    case exit
    /// Outbound TCP connects.
    case connect
    /// TCP and UDP binds.
    case bind

    public var description: String { rawValue }

    /// True for the hooks that produce network records.
    public var isNetwork: Bool {
        switch self {
        case .connect, .bind: true
        case .exec, .exit: false
        }
    }

    /// The mechanisms this hook can use, in the order an attach mode tries them.
    func mechanisms(in mode: AttachMode) -> [HookMechanism] {
        guard isNetwork else { return [.tracepoint] }
        switch mode {
        case .auto: return [.kprobe, .tracepoint]
        case .kprobe: return [.kprobe]
        case .tracepoint: return [.tracepoint]
        }
    }

    /// The names of the BPF programs that make up this hook with `mechanism`.
    func programNames(_ mechanism: HookMechanism) -> [String] {
        switch (self, mechanism) {
        case (.connect, .kprobe):
            ["rarenet_kprobe_tcp_connect"]
        case (.connect, .tracepoint):
            // Exit first and enter last, so that no connect is half seen while attaching.
            ["rarenet_tp_sys_exit_connect", "rarenet_tp_inet_sock_set_state", "rarenet_tp_sys_enter_connect"]
        case (.bind, .kprobe):
            [
                "rarenet_kretprobe_inet_bind", "rarenet_kprobe_inet_bind",
                "rarenet_kretprobe_inet6_bind", "rarenet_kprobe_inet6_bind",
            ]
        case (.bind, .tracepoint):
            ["rarenet_tp_sys_exit_bind", "rarenet_tp_sys_enter_bind"]
        case (.exec, .tracepoint):
            ["rarenet_tp_sched_process_exec"]
        case (.exit, .tracepoint):
            ["rarenet_tp_sched_process_exit"]
        case (.exec, .kprobe), (.exit, .kprobe):
            []
        }
    }
}
