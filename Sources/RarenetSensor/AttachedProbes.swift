import Logging
import RarenetCapture

/// The kernel side once attached: the loaded programs and their hooks, the
/// ring buffer's consumer and wake-up, and the kernel's drop counters — what
/// `rarenet run` and `rarenet record` acquire while still privileged.
final class AttachedProbes: @unchecked Sendable {
    let probes: KernelProbes
    let report: AttachReport
    let consumer: RingBufferConsumer
    let waiter: EpollWaiter
    let kernelCounters: KernelCounters

    /// Loads and attaches the programs of `configuration` (logging each hook
    /// that fell back, and why) and maps the ring buffer and the counters.
    init(_ configuration: KernelProbes.Configuration, logger: Logger) throws {
        probes = try KernelProbes.load(configuration, logger: logger)
        report = try probes.attach()
        for entry in report.entries where entry.fallbackReason != nil {
            logger.notice("hook fell back", metadata: [
                "hook": "\(entry.hook)", "mechanism": "\(entry.mechanism)", "reason": "\(entry.fallbackReason ?? "")",
            ])
        }
        consumer = try RingBufferConsumer(mapFileDescriptor: probes.ringBuffer.fileDescriptor)
        waiter = try EpollWaiter(watching: probes.ringBuffer.fileDescriptor)
        kernelCounters = try KernelCounters(mapFileDescriptor: probes.counters.fileDescriptor)
    }
}
