import Metrics
import Prometheus
import RarenetEvents
import RarenetMetrics
import RarenetTestSupport
import Testing

@Suite("SensorMetrics")
struct SensorMetricsTests {
    static let detectors = ["rare_process", "rare_port"]

    static func makeMetrics(startedAt: ContinuousClock.Instant = .now) -> SensorMetrics {
        SensorMetrics(version: "1.2.3", detectors: detectors, startedAt: startedAt)
    }

    @Test("every metric of DESIGN.md is registered with the rarenet_ prefix, a type and help")
    func everyMetricIsRegistered() {
        let metrics = Self.makeMetrics()
        metrics.recordAttach(mode: .tracepoint, fellBack: true)
        let exposition = Exposition(metrics.exposition())
        let expected: [String: String] = [
            "rarenet_events_total": "counter",
            "rarenet_kernel_dropped_records_total": "counter",
            "rarenet_ring_buffer_pending_bytes": "gauge",
            "rarenet_ring_buffer_size_bytes": "gauge",
            "rarenet_decoder_skipped_records_total": "counter",
            "rarenet_batch_records": "histogram",
            "rarenet_batch_scoring_duration_seconds": "histogram",
            "rarenet_alerts_total": "counter",
            "rarenet_alerts_suppressed_total": "counter",
            "rarenet_baseline_buckets": "gauge",
            "rarenet_sketch_fill_ratio": "gauge",
            "rarenet_bucket_table_overflows_total": "counter",
            "rarenet_snapshot_age_seconds": "gauge",
            "rarenet_snapshot_failures_total": "counter",
            "rarenet_process_table_entries": "gauge",
            "rarenet_process_table_evictions_total": "counter",
            "rarenet_build_info": "gauge",
            "rarenet_attach_fallbacks_total": "counter",
        ]
        #expect(exposition.types == expected)
        for name in expected.keys {
            #expect(exposition.help[name]?.isEmpty == false, "\(name) has no help text")
        }
    }

    @Test("labelled series exist at zero before anything is recorded, so rate() works from the start")
    func labelledSeriesStartAtZero() {
        let exposition = Exposition(Self.makeMetrics().exposition())
        for action in ["connect", "bind"] {
            for mode in ["kprobe", "tracepoint"] {
                #expect(exposition.value("rarenet_events_total", ["action": action, "attach_mode": mode]) == 0)
            }
        }
        for kind in ["network", "exec", "exit"] {
            #expect(exposition.value("rarenet_kernel_dropped_records_total", ["kind": kind]) == 0)
        }
        for detector in Self.detectors {
            #expect(exposition.value("rarenet_alerts_total", ["detector": detector]) == 0)
            #expect(exposition.value("rarenet_alerts_suppressed_total", ["detector": detector, "reason": "cap"]) == 0)
        }
    }

    @Test("recorded values appear under the right labels")
    func recordedValuesAppear() {
        let metrics = Self.makeMetrics()
        metrics.recordEvents(3, action: .connect, attachMode: .tracepoint)
        metrics.recordEvents(2, action: .connect, attachMode: .tracepoint)
        metrics.recordEvents(7, action: .bind, attachMode: .tracepoint)
        metrics.recordSkippedRecords(4, reason: .sizeMismatch)
        metrics.recordBatch(records: 20, scoringDuration: .microseconds(30))
        metrics.recordBatch(records: 2, scoringDuration: .milliseconds(2))
        metrics.detector("rare_port").recordAlertEmitted()
        metrics.detector("rare_port").recordAlertSuppressed(reason: .cap)
        metrics.detector("rare_port").recordAlertSuppressed(reason: .cap)
        metrics.detector("rare_process").setSketchFillRatio(0.25)
        metrics.detector("rare_process").recordBucketTableOverflows(3)
        metrics.detector("rare_process").recordBucketTableOverflows(4)
        metrics.setBaselineBuckets(96.5, scale: .bucketSpan)
        metrics.setProcessTableEntries(321)
        metrics.recordProcessTableEvictions(5)
        metrics.recordSnapshotFailed()
        metrics.setRingBufferSize(bytes: 1 << 24)
        metrics.setRingBufferPendingBytes(4096)

        let exposition = Exposition(metrics.exposition())
        #expect(exposition.value("rarenet_events_total", ["action": "connect", "attach_mode": "tracepoint"]) == 5)
        #expect(exposition.value("rarenet_events_total", ["action": "bind", "attach_mode": "tracepoint"]) == 7)
        #expect(exposition.value("rarenet_events_total", ["action": "connect", "attach_mode": "kprobe"]) == 0)
        #expect(exposition.value("rarenet_decoder_skipped_records_total", ["reason": "size_mismatch"]) == 4)
        #expect(exposition.value("rarenet_batch_records_count") == 2)
        #expect(exposition.value("rarenet_batch_records_sum") == 22)
        #expect(exposition.value("rarenet_batch_records_bucket", ["le": "16.0"]) == 1)
        #expect(exposition.value("rarenet_batch_records_bucket", ["le": "64.0"]) == 2)
        #expect(exposition.value("rarenet_batch_scoring_duration_seconds_bucket", ["le": "0.00005"]) == 1)
        #expect(exposition.value("rarenet_batch_scoring_duration_seconds_bucket", ["le": "0.005"]) == 2)
        #expect(exposition.value("rarenet_alerts_total", ["detector": "rare_port"]) == 1)
        #expect(exposition.value("rarenet_alerts_total", ["detector": "rare_process"]) == 0)
        #expect(exposition.value("rarenet_alerts_suppressed_total", ["detector": "rare_port", "reason": "cap"]) == 2)
        #expect(exposition.value("rarenet_sketch_fill_ratio", ["detector": "rare_process"]) == 0.25)
        #expect(exposition.value("rarenet_bucket_table_overflows_total", ["detector": "rare_process"]) == 7)
        #expect(exposition.value("rarenet_bucket_table_overflows_total", ["detector": "rare_port"]) == 0)
        #expect(exposition.value("rarenet_baseline_buckets", ["scale": "bucket_span"]) == 96.5)
        #expect(exposition.value("rarenet_process_table_entries") == 321)
        #expect(exposition.value("rarenet_process_table_evictions_total") == 5)
        #expect(exposition.value("rarenet_snapshot_failures_total") == 1)
        #expect(exposition.value("rarenet_ring_buffer_size_bytes") == Double(1 << 24))
        #expect(exposition.value("rarenet_ring_buffer_pending_bytes") == 4096)
    }

    @Test("kernel drop totals advance a counter by their deltas, and a reloaded program counts from zero")
    func kernelDropsAdvanceByDeltas() {
        let metrics = Self.makeMetrics()
        func dropped(_ kind: String) -> Double? {
            Exposition(metrics.exposition()).value("rarenet_kernel_dropped_records_total", ["kind": kind])
        }
        metrics.updateKernelDrops(KernelDropTotals(network: 5, exec: 1))
        #expect(dropped("network") == 5)
        #expect(dropped("exec") == 1)
        metrics.updateKernelDrops(KernelDropTotals(network: 8, exec: 1))
        #expect(dropped("network") == 8)
        #expect(dropped("exec") == 1)
        // The BPF program was reloaded: its counters restarted from zero.
        metrics.updateKernelDrops(KernelDropTotals(network: 2, exec: 1))
        #expect(dropped("network") == 10)
        #expect(dropped("exec") == 1)
        #expect(dropped("exit") == 0)
    }

    @Test("the snapshot age counts from start, then from the last successful snapshot")
    func snapshotAge() {
        let start = ContinuousClock.now
        let metrics = Self.makeMetrics(startedAt: start)
        #expect(Exposition(metrics.exposition(now: start + .seconds(30))).value("rarenet_snapshot_age_seconds") == 30)
        metrics.recordSnapshotSucceeded(at: start + .seconds(40))
        #expect(Exposition(metrics.exposition(now: start + .seconds(45.5))).value("rarenet_snapshot_age_seconds") == 5.5)
    }

    @Test("build info carries the version and the attach mode, and a fallback is counted")
    func buildInfo() {
        let metrics = Self.makeMetrics()
        metrics.recordAttach(mode: .tracepoint, fellBack: true)
        var exposition = Exposition(metrics.exposition())
        #expect(exposition.value("rarenet_build_info", ["version": "1.2.3", "attach_mode": "tracepoint"]) == 1)
        #expect(exposition.value("rarenet_attach_fallbacks_total") == 1)

        metrics.recordAttach(mode: .kprobe, fellBack: false)
        exposition = Exposition(metrics.exposition())
        #expect(exposition.samples.filter { $0.name == "rarenet_build_info" }.map(\.labels)
            == [["version": "1.2.3", "attach_mode": "kprobe"]])
        #expect(exposition.value("rarenet_attach_fallbacks_total") == 1)
    }

    @Test("the sampler runs before every exposition")
    func samplerRunsBeforeExposition() {
        let metrics = Self.makeMetrics()
        metrics.setSampler { [metrics] in
            metrics.setRingBufferPendingBytes(8192)
            metrics.updateKernelDrops(KernelDropTotals(exit: 3))
        }
        let exposition = Exposition(metrics.exposition())
        #expect(exposition.value("rarenet_ring_buffer_pending_bytes") == 8192)
        #expect(exposition.value("rarenet_kernel_dropped_records_total", ["kind": "exit"]) == 3)
    }

    @Test("swift-metrics metrics created with the factory land in the same registry")
    func swiftMetricsFactoryUsesTheRegistry() {
        let metrics = Self.makeMetrics()
        let counter = Counter(label: "rarenet_library_operations_total", factory: metrics.metricsFactory)
        counter.increment(by: 4)
        #expect(Exposition(metrics.exposition()).value("rarenet_library_operations_total") == 4)
        #expect(Exposition(Self.makeMetrics().exposition()).value("rarenet_library_operations_total") == nil)
    }

    @Test("no label carries per-process or per-address values: every label comes from a closed set")
    func labelsAreBounded() {
        let metrics = Self.makeMetrics()
        for action in NetworkAction.allCases {
            for mode in SensorMetrics.AttachMode.allCases {
                metrics.recordEvents(1, action: action, attachMode: mode)
            }
        }
        for reason in SensorMetrics.SkipReason.allCases { metrics.recordSkippedRecords(reason: reason) }
        for detector in Self.detectors {
            metrics.detector(detector).recordAlertEmitted()
            for reason in SensorMetrics.SuppressionReason.allCases {
                metrics.detector(detector).recordAlertSuppressed(reason: reason)
            }
        }
        metrics.recordAttach(mode: .tracepoint, fellBack: true)
        metrics.recordBatch(records: 1000, scoringDuration: .milliseconds(1))

        let allowed: [String: Set<String>] = [
            "action": ["connect", "bind"],
            "attach_mode": ["kprobe", "tracepoint"],
            "kind": ["network", "exec", "exit"],
            "reason": ["unknown_kind", "version_mismatch", "size_mismatch", "malformed", "cap", "repeated"],
            "detector": Set(Self.detectors),
            "scale": ["bucket_span", "day"],
            "version": ["1.2.3"],
        ]
        let exposition = Exposition(metrics.exposition())
        var seriesPerFamily: [String: Int] = [:]
        for sample in exposition.samples {
            for (name, value) in sample.labels where name != "le" {
                #expect(allowed[name]?.contains(value) == true, "label \(name)=\"\(value)\" on \(sample.name)")
            }
            seriesPerFamily[sample.name, default: 0] += 1
        }
        // Whatever was recorded, the series count is what the closed sets allow.
        #expect(exposition.samples.count < 200)
        #expect(seriesPerFamily["rarenet_events_total"] == 4)
        #expect(seriesPerFamily["rarenet_alerts_suppressed_total"] == 4)
    }
}
