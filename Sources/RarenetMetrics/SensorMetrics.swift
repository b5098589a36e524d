import protocol CoreMetrics.MetricsFactory
import Prometheus
import RarenetEvents
import Synchronization

/// Every metric the sensor exports, registered in one dedicated Prometheus registry.
///
/// The names carry the `rarenet_` prefix and every label takes its value from a
/// closed set (``AttachMode``, ``RecordKind``, ``SkipReason``, ``SuppressionReason``,
/// ``Scale``, `NetworkAction`, the configured detector names and the build version),
/// so the number of series is fixed once the sensor has started.
///
/// Recording is thread-safe and cheap (counters are relaxed atomics); histograms
/// take a short lock, so record them once per batch, never once per event.
///
/// The registry is owned by this instance rather than bootstrapped globally, so
/// tests can create as many as they like. The real binary can route every
/// swift-metrics metric of the process into the same registry with
/// `MetricsSystem.bootstrap(metrics.metricsFactory)`.
public final class SensorMetrics: Sendable {
    /// The registry holding these metrics; ``exposition(now:)`` renders it.
    public let registry: PrometheusCollectorRegistry

    private let version: String
    private let events: [EventSeries: Counter]
    private let kernelDrops: [RecordKind: Counter]
    private let lastKernelDropTotals = Mutex(KernelDropTotals())
    private let ringBufferPendingBytes: Gauge
    private let ringBufferSizeBytes: Gauge
    private let skippedRecords: [SkipReason: Counter]
    private let batchRecords: ValueHistogram
    private let batchScoringDuration: DurationHistogram
    private let detectors: [String: DetectorMetrics]
    private let baselineBuckets: [Scale: Gauge]
    private let snapshotAge: Gauge
    private let snapshotFailures: Counter
    private let lastSnapshot: Mutex<ContinuousClock.Instant>
    private let processTableEntries: Gauge
    private let processTableEvictions: Counter
    private let attachFallbacks: Counter
    private let buildInfo = Mutex<Gauge?>(nil)
    private let sampler = Mutex<(@Sendable () -> Void)?>(nil)

    /// The most detectors a sensor may register (each adds a few series).
    public static let maximumDetectorCount = 32

    /// Registers every metric.
    ///
    /// - Parameters:
    ///   - version: The sensor's version, exported in `rarenet_build_info`.
    ///   - detectors: The names of the configured detectors (for example `rare_process`),
    ///     lowercase letters, digits and `_`, at most ``maximumDetectorCount``.
    ///   - registry: Where to register; a fresh registry by default.
    ///   - startedAt: The start of the sensor: the snapshot age counts from here until
    ///     the first snapshot succeeds.
    public init(
        version: String,
        detectors: [String],
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        startedAt: ContinuousClock.Instant = .now
    ) {
        precondition(detectors.count <= Self.maximumDetectorCount, "at most \(Self.maximumDetectorCount) detectors")
        precondition(Set(detectors).count == detectors.count, "detector names must be unique")
        precondition(detectors.allSatisfy(Self.isValidDetectorName), "detector names are [a-z][a-z0-9_]*")

        self.registry = registry
        self.version = version
        self.lastSnapshot = Mutex(startedAt)

        let eventsDescriptor = MetricNameDescriptor.rarenet(
            "events", unit: "total",
            help: "Network events (connect, bind) read from the ring buffer."
        )
        var events: [EventSeries: Counter] = [:]
        for action in NetworkAction.allCases {
            for mode in AttachMode.allCases {
                events[EventSeries(action: action, attachMode: mode)] = registry.makeCounter(
                    descriptor: eventsDescriptor,
                    labels: [("action", action.rawValue), ("attach_mode", mode.rawValue)]
                )
            }
        }
        self.events = events
        self.kernelDrops = registry.counters(
            .rarenet(
                "kernel_dropped_records", unit: "total",
                help: "Records the BPF program could not put in the full ring buffer, by record kind."
            ),
            by: "kind"
        )
        self.ringBufferPendingBytes = registry.makeGauge(
            descriptor: .rarenet(
                "ring_buffer_pending", unit: "bytes",
                help: "Bytes written by the kernel into the ring buffer and not yet consumed."
            )
        )
        self.ringBufferSizeBytes = registry.makeGauge(
            descriptor: .rarenet("ring_buffer_size", unit: "bytes", help: "Size of the ring buffer's data area in bytes.")
        )
        self.skippedRecords = registry.counters(
            .rarenet(
                "decoder_skipped_records", unit: "total",
                help: "Ring-buffer records the decoder skipped instead of decoding, by reason."
            ),
            by: "reason"
        )
        self.batchRecords = registry.makeValueHistogram(
            descriptor: .rarenet(
                "batch", unit: "records",
                help: "Records per batch handed from the ring-buffer consumer to the scorer."
            ),
            buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384]
        )
        self.batchScoringDuration = registry.makeDurationHistogram(
            descriptor: .rarenet(
                "batch_scoring_duration", unit: "seconds",
                help: "Time to attribute and score one batch of records."
            ),
            buckets: [
                .microseconds(1), .microseconds(5), .microseconds(10), .microseconds(50),
                .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5),
                .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500),
            ]
        )
        self.detectors = Dictionary(
            uniqueKeysWithValues: detectors.map { ($0, DetectorMetrics(detector: $0, registry: registry)) }
        )
        self.baselineBuckets = registry.gauges(
            .rarenet(
                "baseline", unit: "buckets",
                help: "Decayed number of completed buckets in the baseline, by time scale."
            ),
            by: "scale"
        )
        self.snapshotAge = registry.makeGauge(
            descriptor: .rarenet(
                "snapshot_age", unit: "seconds",
                help: "Seconds since the last successful baseline snapshot (since start before the first)."
            )
        )
        self.snapshotFailures = registry.makeCounter(
            descriptor: .rarenet("snapshot_failures", unit: "total", help: "Baseline snapshots that could not be written.")
        )
        self.processTableEntries = registry.makeGauge(
            descriptor: .rarenet("process_table", unit: "entries", help: "Processes currently held in the process table.")
        )
        self.processTableEvictions = registry.makeCounter(
            descriptor: .rarenet(
                "process_table_evictions", unit: "total",
                help: "Live processes evicted from the full process table."
            )
        )
        self.attachFallbacks = registry.makeCounter(
            descriptor: .rarenet(
                "attach_fallbacks", unit: "total",
                help: "Times attach mode auto fell back from kprobes to tracepoints."
            )
        )
    }

    /// A swift-metrics factory that creates its metrics in ``registry``.
    ///
    /// Bootstrap the process once with it (`MetricsSystem.bootstrap(metrics.metricsFactory)`)
    /// to serve library metrics on the same endpoint; tests should not.
    public var metricsFactory: any MetricsFactory {
        PrometheusMetricsFactory(registry: registry)
    }

    // MARK: Capture

    /// Counts `count` network events of one action seen in the given attach mode.
    public func recordEvents(_ count: Int, action: NetworkAction, attachMode: AttachMode) {
        events[EventSeries(action: action, attachMode: attachMode)]!.increment(by: Int64(count))
    }

    /// Advances the kernel drop counters to the absolute totals read from the BPF map.
    ///
    /// The kernel's per-CPU counters are absolute (summed over CPUs, they count
    /// since the program was loaded), while a Prometheus counter must only rise
    /// and reset only when the process restarts. So the exported
    /// `rarenet_kernel_dropped_records_total` is a counter advanced by the
    /// difference from the previous totals; a total lower than before (the
    /// program was reloaded) counts from zero. A gauge of the absolute value
    /// would show the same number but hide reloads from `rate()`/`increase()`.
    public func updateKernelDrops(_ totals: KernelDropTotals) {
        lastKernelDropTotals.withLock { last in
            for kind in RecordKind.allCases {
                let delta = totals[kind] >= last[kind] ? totals[kind] - last[kind] : totals[kind]
                kernelDrops[kind]!.increment(by: Int64(clamping: delta))
            }
            last = totals
        }
    }

    /// Sets the bytes the kernel has written to the ring buffer and the consumer has not yet read.
    public func setRingBufferPendingBytes(_ bytes: Int) {
        ringBufferPendingBytes.set(Int64(bytes))
    }

    /// Sets the size of the ring buffer's data area.
    public func setRingBufferSize(bytes: Int) {
        ringBufferSizeBytes.set(Int64(bytes))
    }

    /// Counts records the decoder skipped.
    public func recordSkippedRecords(_ count: Int = 1, reason: SkipReason) {
        skippedRecords[reason]!.increment(by: Int64(count))
    }

    /// Records one batch: how many records it held and how long scoring it took.
    public func recordBatch(records: Int, scoringDuration: Duration) {
        batchRecords.record(Double(records))
        batchScoringDuration.record(scoringDuration)
    }

    /// Records how the hooks were attached, and whether `auto` had to fall back to get there.
    ///
    /// Publishes `rarenet_build_info{version, attach_mode} 1`; a later call replaces the series.
    public func recordAttach(mode: AttachMode, fellBack: Bool) {
        buildInfo.withLock { current in
            if let current { registry.unregisterGauge(current) }
            let gauge = registry.makeGauge(
                descriptor: .rarenet(
                    "build", unit: "info",
                    help: "Always 1: the sensor's version and the attach mode in use."
                ),
                labels: [("version", version), ("attach_mode", mode.rawValue)]
            )
            gauge.set(to: 1)
            current = gauge
        }
        if fellBack { attachFallbacks.increment() }
    }

    // MARK: Scoring

    /// The metrics of one configured detector.
    ///
    /// Look it up once and keep it; an unknown name is a programming error.
    public func detector(_ name: String) -> DetectorMetrics {
        guard let metrics = detectors[name] else {
            preconditionFailure("detector \(name) was not registered with SensorMetrics")
        }
        return metrics
    }

    /// Sets the decayed number of completed buckets of history at one scale.
    public func setBaselineBuckets(_ buckets: Double, scale: Scale) {
        baselineBuckets[scale]!.set(buckets)
    }

    // MARK: Persistence

    /// Marks a snapshot as written: the snapshot age restarts from `instant`.
    public func recordSnapshotSucceeded(at instant: ContinuousClock.Instant = .now) {
        lastSnapshot.withLock { $0 = instant }
    }

    /// Counts a snapshot that could not be written.
    public func recordSnapshotFailed() {
        snapshotFailures.increment()
    }

    // MARK: Attribution

    /// Sets the number of processes in the process table.
    public func setProcessTableEntries(_ count: Int) {
        processTableEntries.set(Int64(count))
    }

    /// Counts processes evicted from the full process table.
    public func recordProcessTableEvictions(_ count: Int = 1) {
        processTableEvictions.increment(by: Int64(count))
    }

    // MARK: Exposition

    /// Installs a closure that runs before every exposition, replacing any earlier one.
    ///
    /// Use it to sample values that are only meaningful at scrape time: the ring
    /// buffer's pending bytes, the kernel drop totals, the process table size.
    /// It runs on the metrics server's event loop, so it must be quick (read
    /// atomics or a BPF map, never wait on the scoring thread).
    public func setSampler(_ sample: @escaping @Sendable () -> Void) {
        sampler.withLock { $0 = sample }
    }

    /// Runs the sampler, updates the snapshot age to `now` and renders every metric
    /// in the Prometheus text format 0.0.4.
    public func exposition(now: ContinuousClock.Instant = .now) -> [UInt8] {
        if let sample = sampler.withLock({ $0 }) { sample() }
        let age = lastSnapshot.withLock { $0 }.duration(to: now)
        snapshotAge.set(max(0, age.inSeconds))
        return registry.emitToBuffer()
    }

    private static func isValidDetectorName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else {
            return false
        }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }

    private struct EventSeries: Hashable {
        var action: NetworkAction
        var attachMode: AttachMode
    }
}

/// The absolute totals of the kernel's drop counters (the `rarenet_counters` map, summed over CPUs).
public struct KernelDropTotals: Sendable, Hashable {
    /// Network records the ring buffer could not take.
    public var network: UInt64
    /// Exec records the ring buffer could not take.
    public var exec: UInt64
    /// Exit records the ring buffer could not take.
    public var exit: UInt64

    /// Totals from the three counters.
    public init(network: UInt64 = 0, exec: UInt64 = 0, exit: UInt64 = 0) {
        self.network = network
        self.exec = exec
        self.exit = exit
    }

    /// The total of one record kind.
    public subscript(kind: SensorMetrics.RecordKind) -> UInt64 {
        switch kind {
        case .network: network
        case .exec: exec
        case .exit: exit
        }
    }
}

/// The metrics of one detector: alerts emitted and suppressed, how full its
/// sketch is, and the keys its bucket tables had no room for.
public struct DetectorMetrics: Sendable {
    private let alertsEmitted: Counter
    private let alertsSuppressed: [SensorMetrics.SuppressionReason: Counter]
    private let sketchFillRatio: Gauge
    private let bucketTableOverflows: Counter

    fileprivate init(detector: String, registry: PrometheusCollectorRegistry) {
        let label = ("detector", detector)
        alertsEmitted = registry.makeCounter(
            descriptor: .rarenet("alerts", unit: "total", help: "Alerts emitted, by detector."),
            labels: [label]
        )
        alertsSuppressed = registry.counters(
            .rarenet(
                "alerts_suppressed", unit: "total",
                help: "Alerts not emitted although their score reached the threshold, by detector and reason."
            ),
            by: "reason",
            alongside: [label]
        )
        sketchFillRatio = registry.makeGauge(
            descriptor: .rarenet(
                "sketch_fill", unit: "ratio",
                help: "Fraction of non-zero counters in the detector's count-min sketch (0 to 1)."
            ),
            labels: [label]
        )
        bucketTableOverflows = registry.makeCounter(
            descriptor: .rarenet(
                "bucket_table_overflows", unit: "total",
                help: "Events whose key found no room in a bucket's key table, by detector and counted once per time scale: "
                    + "the key is still counted, but scored on the slow path. Raise scoring.bucket_key_capacity when this grows."
            ),
            labels: [label]
        )
    }

    /// Counts one emitted alert.
    public func recordAlertEmitted() {
        alertsEmitted.increment()
    }

    /// Counts one alert that was not emitted.
    public func recordAlertSuppressed(reason: SensorMetrics.SuppressionReason) {
        alertsSuppressed[reason]!.increment()
    }

    /// Sets the fraction (0...1) of the sketch's counters that are non-zero.
    public func setSketchFillRatio(_ ratio: Double) {
        sketchFillRatio.set(ratio)
    }

    /// Counts lookups of keys that found no room in a bucket's key table.
    public func recordBucketTableOverflows(_ count: Int) {
        bucketTableOverflows.increment(by: Int64(count))
    }
}

extension MetricNameDescriptor {
    /// The descriptor of `rarenet_<name>_<unit>`.
    fileprivate static func rarenet(_ name: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "rarenet", metricName: name, unitName: unit, helpText: help)
    }
}

extension PrometheusCollectorRegistry {
    /// One counter per value of a closed label set, all registered (at zero) now.
    fileprivate func counters<Label: RawRepresentable<String> & CaseIterable & Hashable>(
        _ descriptor: MetricNameDescriptor,
        by labelName: String,
        alongside fixedLabels: [(String, String)] = []
    ) -> [Label: Counter] {
        Dictionary(uniqueKeysWithValues: Label.allCases.map { value in
            (value, makeCounter(descriptor: descriptor, labels: fixedLabels + [(labelName, value.rawValue)]))
        })
    }

    /// One gauge per value of a closed label set, all registered (at zero) now.
    fileprivate func gauges<Label: RawRepresentable<String> & CaseIterable & Hashable>(
        _ descriptor: MetricNameDescriptor,
        by labelName: String
    ) -> [Label: Gauge] {
        Dictionary(uniqueKeysWithValues: Label.allCases.map { value in
            (value, makeGauge(descriptor: descriptor, labels: [(labelName, value.rawValue)]))
        })
    }
}

extension Duration {
    /// The duration in seconds, with its fraction.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
