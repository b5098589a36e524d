import CLibBPF
import CRarenetBPF
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// rarenet's BPF programs in the kernel, and the maps through which user space reads them.
///
/// Loading and attaching are two steps, so that the programs can be checked by
/// the verifier without being attached:
///
///     let probes = try KernelProbes.load(.init(attachMode: .auto), logger: logger)
///     let report = try probes.attach()     // logs which mechanism each hook uses
///     // consume probes.ringBuffer, export probes.counters ...
///     probes.detach()                      // also done on deinit
///
/// The map file descriptors stay valid for the life of the instance: keep it
/// alive as long as anything reads them. Not thread-safe: load, attach and
/// detach from one task; the descriptors themselves can be shared freely.
public final class KernelProbes {
    /// What to load and how to attach it.
    public struct Configuration: Sendable, Hashable {
        /// How the network hooks attach (`--attach`).
        public var attachMode: AttachMode
        /// The size of the record ring buffer (`--ring-buffer-size`).
        public var ringBufferSize: RingBufferSize
        /// The process whose events the kernel drops: the sensor itself by
        /// default; `nil` drops nothing.
        public var excludedProcessID: Int32?

        public init(
            attachMode: AttachMode = .auto,
            ringBufferSize: RingBufferSize = .default,
            excludedProcessID: Int32? = getpid()
        ) {
            self.attachMode = attachMode
            self.ringBufferSize = ringBufferSize
            self.excludedProcessID = excludedProcessID
        }
    }

    /// The `BPF_MAP_TYPE_RINGBUF` map the programs write records of `bpf/rarenet.h` into.
    public struct RingBufferMap: Sendable, Hashable {
        /// The map's file descriptor, for mmap(2) and epoll.
        public let fileDescriptor: Int32
        /// The size of its data area in bytes (a power of two).
        public let size: Int
    }

    /// The `BPF_MAP_TYPE_PERCPU_ARRAY` of `UInt64` counting records the ring buffer could not take.
    public struct CounterMap: Sendable, Hashable {
        /// The map's file descriptor.
        public let fileDescriptor: Int32
        /// The number of counters (`RARENET_COUNTER_MAX`), indexed by `enum rarenet_counter`.
        public let count: Int
    }

    /// What this instance was loaded with.
    public let configuration: Configuration
    /// Where records arrive.
    public let ringBuffer: RingBufferMap
    /// Where the kernel counts the records it dropped.
    public let counters: CounterMap
    /// How the hooks are attached; `nil` until ``attach()`` succeeds and after ``detach()``.
    public private(set) var attachReport: AttachReport?

    private let object: BPFObject
    private let plan: AttachPlan
    private let logger: Logger
    private var links: [OpaquePointer] = []

    private init(configuration: Configuration, object: BPFObject, plan: AttachPlan, logger: Logger) throws {
        self.configuration = configuration
        self.object = object
        self.plan = plan
        self.logger = logger
        ringBuffer = RingBufferMap(
            fileDescriptor: try object.fileDescriptor(ofMap: BPFObject.eventsMapName),
            size: configuration.ringBufferSize.bytes)
        counters = CounterMap(
            fileDescriptor: try object.fileDescriptor(ofMap: BPFObject.countersMapName),
            count: Int(RARENET_COUNTER_MAX.rawValue))
    }

    deinit {
        detach()
    }

    /// Loads the programs the attach mode may use into the kernel (the verifier
    /// checks them here) and creates the maps. Nothing is attached yet.
    ///
    /// In `auto` mode the kprobe programs are loaded only when the kernel has
    /// kprobes; in `kprobe` mode they are always loaded, so that they are
    /// verified even where they cannot attach.
    ///
    /// - Throws: ``CaptureError``: not permitted, no kernel BTF, programs rejected.
    public static func load(_ configuration: Configuration = .init(), logger: Logger) throws -> KernelProbes {
        LibBPFLogging.route(to: logger)
        try KernelFeatures.requireBTF()
        let plan = AttachPlan(mode: configuration.attachMode, kernelHasKprobes: KernelFeatures.hasKprobes)
        if let reason = plan.kprobesSkipped {
            logger.notice("network hooks will use tracepoints", metadata: ["reason": "\(reason)"])
        }
        let object = try BPFObject()
        try object.setExcludedProcess(configuration.excludedProcessID ?? 0)
        try object.setRingBufferSize(configuration.ringBufferSize)
        let wanted = plan.programNames
        for program in object.programs {
            let name = String(cString: bpf_program__name(program))
            bpf_program__set_autoload(program, wanted.contains(name))
        }
        try object.load()
        logger.debug(
            "loaded BPF programs",
            metadata: ["programs": "\(wanted.sorted())", "ring_buffer_size": "\(configuration.ringBufferSize)"])
        return try KernelProbes(configuration: configuration, object: object, plan: plan, logger: logger)
    }

    /// The programs now loaded in the kernel.
    var loadedProgramNames: Set<String> {
        Set(object.programs.filter { bpf_program__fd($0) >= 0 }.map { String(cString: bpf_program__name($0)) })
    }

    /// Loads and attaches in one step: ``load(_:logger:)`` then ``attach()``.
    public static func attach(_ configuration: Configuration = .init(), logger: Logger) throws -> KernelProbes {
        let probes = try load(configuration, logger: logger)
        try probes.attach()
        return probes
    }

    /// Attaches every hook (mounting tracefs first if it is absent) and logs how.
    ///
    /// In `auto` mode each network hook falls back from its kprobe to its
    /// tracepoint, and a hook that cannot attach at all is logged and left
    /// out; only when no network hook attaches does it throw. In a forced mode
    /// any hook that cannot attach is an error, and nothing stays attached.
    ///
    /// - Throws: ``CaptureError``.
    @discardableResult
    public func attach() throws -> AttachReport {
        precondition(attachReport == nil, "KernelProbes.attach() called while attached")
        do {
            try Tracefs.ensureMounted(logger: logger)
            var entries: [AttachReport.Entry] = []
            var failures: [CaptureHook: CaptureError] = [:]
            for hook in CaptureHook.allCases {
                do {
                    entries.append(try attach(hook))
                } catch let error as CaptureError where configuration.attachMode == .auto {
                    logger.error("hook not attached", metadata: ["hook": "\(hook)", "error": "\(error)"])
                    failures[hook] = error
                }
            }
            guard entries.contains(where: \.hook.isNetwork) else {
                throw CaptureError.nothingAttached(failures: CaptureHook.allCases.compactMap { failures[$0] })
            }
            let report = AttachReport(entries: entries, failures: failures)
            attachReport = report
            logger.info(
                "attached",
                metadata: ["mode": "\(configuration.attachMode)", "hooks": "\(report)"])
            return report
        } catch {
            detach()
            throw error
        }
    }

    /// Detaches every hook. The maps stay readable until the instance goes away.
    public func detach() {
        for link in links.reversed() {
            bpf_link__destroy(link)
        }
        links = []
        attachReport = nil
    }

    /// Attaches `hook` with the first of its planned mechanisms that works.
    private func attach(_ hook: CaptureHook) throws -> AttachReport.Entry {
        var fallbackReason = hook.isNetwork ? plan.kprobesSkipped : nil
        var lastFailure: CaptureError?
        for mechanism in plan.mechanisms(for: hook) {
            do {
                try attachPrograms(of: hook, with: mechanism)
                let entry = AttachReport.Entry(hook: hook, mechanism: mechanism, fallbackReason: fallbackReason)
                var metadata: Logger.Metadata = ["hook": "\(hook)", "mechanism": "\(mechanism)"]
                if let fallbackReason {
                    metadata["fallback_reason"] = "\(fallbackReason)"
                }
                logger.info("hook attached", metadata: metadata)
                return entry
            } catch let failure as CaptureError {
                logger.notice(
                    "hook cannot attach this way",
                    metadata: ["hook": "\(hook)", "mechanism": "\(mechanism)", "error": "\(failure)"])
                fallbackReason = failure.description
                lastFailure = failure
            }
        }
        guard let lastFailure else { preconditionFailure("no mechanism planned for the \(hook) hook") }
        throw lastFailure
    }

    /// Attaches all programs of `hook` with `mechanism`, or none of them.
    private func attachPrograms(of hook: CaptureHook, with mechanism: HookMechanism) throws {
        var attached: [OpaquePointer] = []
        for name in hook.programNames(mechanism) {
            let program = try object.program(named: name)
            guard let link = bpf_program__attach(program) else {
                let error = errno
                attached.reversed().forEach { bpf_link__destroy($0) }
                if mechanism == .kprobe && !KernelFeatures.hasKprobes {
                    throw CaptureError.kprobesUnavailable(hook: hook)
                }
                if error == EPERM || error == EACCES {
                    throw CaptureError.notPermitted(operation: "attaching BPF programs")
                }
                throw CaptureError.attachFailed(hook: hook, mechanism: mechanism, program: name, errno: error)
            }
            attached.append(link)
        }
        links += attached
    }
}

/// Which mechanisms each hook tries, given the attach mode and the kernel.
struct AttachPlan: Sendable, Hashable {
    let mode: AttachMode
    /// Why `auto` mode does not even try kprobes, or `nil` when it does.
    let kprobesSkipped: String?

    init(mode: AttachMode, kernelHasKprobes: Bool) {
        self.mode = mode
        kprobesSkipped = mode == .auto && !kernelHasKprobes
            ? "this kernel has no kprobe support (CONFIG_KPROBES / CONFIG_KPROBE_EVENTS is off)" : nil
    }

    /// The mechanisms `hook` tries, in order.
    func mechanisms(for hook: CaptureHook) -> [HookMechanism] {
        let mechanisms = hook.mechanisms(in: mode)
        return kprobesSkipped == nil ? mechanisms : mechanisms.filter { $0 != .kprobe }
    }

    /// Every program some hook may attach: those to load.
    var programNames: Set<String> {
        Set(CaptureHook.allCases.flatMap { hook in mechanisms(for: hook).flatMap(hook.programNames) })
    }
}
