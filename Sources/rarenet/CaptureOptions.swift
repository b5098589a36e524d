import ArgumentParser
import RarenetConfig

/// The kernel-capture flags shared by `run` and `record`.
///
/// Each flag overrides the configuration file's field of the same name and is
/// validated by the same parser.
struct CaptureOptions: ParsableArguments {
    @Option(help: "How the network hooks attach: auto | kprobe | tracepoint. [capture.attach]")
    var attach: String?

    @Option(help: "BPF ring buffer size, a power of two, e.g. 16MiB. [capture.ring_buffer_size]")
    var ringBufferSize: String?

    @Option(help: "Most processes tracked at once. [process_table.capacity]")
    var processTableCapacity: String?

    /// Adds the flags that were given to `overrides`.
    func apply(to overrides: inout ConfigurationOverrides) {
        overrides.set(.attach, to: attach, flag: "--attach")
        overrides.set(.ringBufferSize, to: ringBufferSize, flag: "--ring-buffer-size")
        overrides.set(.processTableCapacity, to: processTableCapacity, flag: "--process-table-capacity")
    }
}
