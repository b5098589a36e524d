import CLibBPF
import Logging
import RarenetTestSupport
import Testing

@testable import RarenetCapture

@Suite("Loading and attaching the kernel probes", .serialized)
struct KernelProbesTests {
    private static let kprobePrograms = Set([CaptureHook.connect, .bind].flatMap { $0.programNames(.kprobe) })
    private static let tracepointPrograms = Set(CaptureHook.allCases.flatMap { $0.programNames(.tracepoint) })

    @Test(
        "the kprobe programs pass the verifier (loaded, not attached)",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func kprobeProgramsPassTheVerifier() throws {
        try Privileges.requireRoot()
        let (logger, _) = CollectingLogHandler.logger()
        let probes = try KernelProbes.load(.init(attachMode: .kprobe), logger: logger)
        #expect(probes.loadedProgramNames.isSuperset(of: Self.kprobePrograms))
        #expect(probes.attachReport == nil)
    }

    @Test(
        "forced kprobe mode fails on a kernel without kprobes, naming the missing feature",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func forcedKprobeModeNamesTheMissingFeature() throws {
        try Privileges.requireRoot()
        let (logger, _) = CollectingLogHandler.logger()
        let probes = try KernelProbes.load(.init(attachMode: .kprobe), logger: logger)
        guard !KernelFeatures.hasKprobes else {
            let report = try probes.attach()
            #expect(report.mechanism(of: .connect) == .kprobe)
            #expect(report.mechanism(of: .bind) == .kprobe)
            return
        }
        let error = #expect(throws: CaptureError.self) { try probes.attach() }
        #expect(error == .kprobesUnavailable(hook: .connect))
        #expect(error?.description.contains("CONFIG_KPROBES") == true)
        #expect(probes.attachReport == nil)
    }

    @Test(
        "the tracepoint programs attach, and only they are loaded",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func tracepointProgramsAttach() throws {
        try Privileges.requireRoot()
        let (logger, _) = CollectingLogHandler.logger()
        let probes = try KernelProbes.attach(.init(attachMode: .tracepoint), logger: logger)
        let report = try #require(probes.attachReport)
        #expect(report.entries.map(\.hook) == CaptureHook.allCases)
        #expect(report.entries.allSatisfy { $0.mechanism == .tracepoint && $0.fallbackReason == nil })
        #expect(report.failures.isEmpty)
        #expect(probes.loadedProgramNames == Self.tracepointPrograms)
        probes.detach()
        #expect(probes.attachReport == nil)
    }

    @Test(
        "auto mode falls back per hook and logs which mechanism each hook uses",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func autoModeFallsBackPerHook() throws {
        try Privileges.requireRoot()
        let (logger, logs) = CollectingLogHandler.logger()
        let probes = try KernelProbes.attach(.init(attachMode: .auto), logger: logger)
        let report = try #require(probes.attachReport)
        let expected: HookMechanism = KernelFeatures.hasKprobes ? .kprobe : .tracepoint
        #expect(report.mechanism(of: .connect) == expected)
        #expect(report.mechanism(of: .bind) == expected)
        #expect(report.mechanism(of: .exec) == .tracepoint)
        #expect(report.mechanism(of: .exit) == .tracepoint)
        let attached = logs.all.filter { $0.message == "hook attached" }
        #expect(Set(attached.compactMap { $0.metadata["hook"]?.description }) == Set(CaptureHook.allCases.map(\.rawValue)))
        if !KernelFeatures.hasKprobes {
            let connect = try #require(report.entries.first { $0.hook == .connect })
            #expect(connect.fallbackReason?.contains("kprobe") == true)
            let connectLog = try #require(attached.first { $0.metadata["hook"] == "connect" })
            #expect(connectLog.metadata["mechanism"] == "tracepoint")
            #expect(connectLog.metadata["fallback_reason"] != nil)
        }
    }

    @Test(
        "libbpf's messages go to the logger at debug level",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func libbpfMessagesAreLoggedAtDebugLevel() throws {
        try Privileges.requireRoot()
        let (logger, logs) = CollectingLogHandler.logger(level: .debug)
        _ = try KernelProbes.load(.init(attachMode: .tracepoint), logger: logger)
        let libbpf = logs.all.filter { $0.metadata["libbpf"] != nil }
        #expect(!libbpf.isEmpty)
        #expect(libbpf.allSatisfy { $0.level == .debug })
        #expect(libbpf.contains { $0.message.contains("rarenet_events") })
    }

    @Test(
        "the ring buffer map has the size asked for",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func ringBufferHasTheRequestedSize() throws {
        try Privileges.requireRoot()
        let (logger, _) = CollectingLogHandler.logger()
        let size = try RingBufferSize(bytes: 1 << 20)
        let probes = try KernelProbes.load(.init(attachMode: .tracepoint, ringBufferSize: size), logger: logger)
        #expect(probes.ringBuffer.size == 1 << 20)
        var info = bpf_map_info()
        var length = UInt32(MemoryLayout<bpf_map_info>.size)
        #expect(bpf_obj_get_info_by_fd(probes.ringBuffer.fileDescriptor, &info, &length) == 0)
        #expect(info.type == BPF_MAP_TYPE_RINGBUF.rawValue)
        #expect(info.max_entries == 1 << 20)
        #expect(bpf_obj_get_info_by_fd(probes.counters.fileDescriptor, &info, &length) == 0)
        #expect(info.type == BPF_MAP_TYPE_PERCPU_ARRAY.rawValue)
        #expect(Int(info.max_entries) == probes.counters.count)
    }
}
