import Logging
import RarenetAlerts
import RarenetAttribution
import RarenetCapture
import RarenetEvents
import RarenetMetrics
import RarenetScoring

/// The scoring thread's work: attributes each captured record to its process,
/// scores connects and binds (``RecordScorer``), and writes alerts.
///
/// Per network record the hot path is one process-table probe (the process's
/// scoring key is computed on first sight and cached in its record) and one
/// probe of the scorer's per-bucket table per detector. Everything slower —
/// reading /proc for an alert's working directory, writing the alert line,
/// encoding a snapshot — happens only for alerts (at most the alert cap per
/// window) or on a timer.
final class ScoringStage: @unchecked Sendable {
    private var scoring: RecordScorer
    private let table: ScoringProcessTable
    /// The scorer's configuration, read while ``scoring`` is being mutated.
    private let configuration: ScoringConfiguration
    private let alerts: AlertOutput
    private let metrics: SensorMetrics
    private let detectorMetrics: [Detector: DetectorMetrics]
    private let persistence: BaselinePersistence?
    private let logger: Logger
    private var publishedEvictions: UInt64 = 0
    /// Per detector, the overflowed keys already added to the metric.
    private var publishedOverflows: [Detector: UInt64] = [:]
    private var saturatedDetectors: Set<Detector> = []

    /// How often the stage exports the baseline's health and resynchronizes its clock.
    private static let housekeepingInterval: Duration = .seconds(5)

    init(
        scorer: RarityScorer,
        table: ScoringProcessTable,
        alerts: AlertOutput,
        metrics: SensorMetrics,
        persistence: BaselinePersistence?,
        logger: Logger
    ) {
        scoring = RecordScorer(scorer: scorer, table: table, images: ContainerImageResolver())
        self.table = table
        configuration = scorer.configuration
        self.alerts = alerts
        self.metrics = metrics
        self.persistence = persistence
        self.logger = logger
        detectorMetrics = Dictionary(uniqueKeysWithValues: scorer.configuration.detectors.map {
            ($0, metrics.detector($0.rawValue))
        })
    }

    /// Takes batches from `queue` until the capture loop says it has finished,
    /// then writes the final snapshot. On the scoring thread only.
    func run(from queue: SPSCQueue<CaptureMessage>) {
        let clock = ContinuousClock()
        var nextHousekeeping = clock.now
        while true {
            if let message = queue.pop(timeout: Self.housekeepingInterval) {
                guard case .records(let records) = message else { break }
                let started = clock.now
                process(records)
                metrics.recordBatch(records: records.count, scoringDuration: started.duration(to: clock.now))
            }
            if clock.now >= nextHousekeeping {
                housekeeping()
                nextHousekeeping = clock.now.advanced(by: Self.housekeepingInterval)
            }
        }
        housekeeping()
        if let persistence {
            scoring.scorer.advanceClock(to: BootClock.now())
            persistence.save(scoring.scorer.baseline)
        }
    }

    /// Scores one batch, in ring order.
    private func process(_ records: CapturedRecordBatch) {
        var tally = EventTally()
        for record in records.networkRecords { tally.count(record) }
        scoring.process(records) { event, verdict, time in act(on: verdict, for: event, at: time) }
        tally.publish(to: metrics)
    }

    /// Writes and counts an alert, or counts a suppressed one (and says so
    /// once per window when the alert cap holds alerts back).
    private func act(on verdict: Verdict, for event: AttributedEvent, at time: EventTimestamp) {
        switch verdict.decision {
        case .alert(let alert):
            detectorMetrics[verdict.detector]?.recordAlertEmitted()
            alerts.write(alert, for: event, at: time, table: table)
        case .suppressed(.recentlyAlerted):
            detectorMetrics[verdict.detector]?.recordAlertSuppressed(reason: .repeated)
        case .suppressed(.alertCap(let startsWindow)):
            detectorMetrics[verdict.detector]?.recordAlertSuppressed(reason: .cap)
            if startsWindow {
                logger.warning("alert cap reached: further alerts in this window are suppressed",
                               metadata: ["detector": "\(verdict.detector)"])
                alerts.writeNotice(.alertCapSuppressing(
                    cap: configuration.alertCap,
                    windowSeconds: configuration.alertCapWindow.components.seconds),
                    detector: verdict.detector, at: time)
            }
        case .belowThreshold, .learning:
            break
        }
    }

    /// Periodic work off the per-event path: clock, baseline and table gauges,
    /// sketch saturation, and the periodic snapshot.
    private func housekeeping() {
        scoring.bootClock.resynchronize()
        let buckets = scoring.scorer.baseline.baselineBuckets
        for (scale, value) in zip([SensorMetrics.Scale.bucketSpan, .day], buckets) {
            metrics.setBaselineBuckets(value, scale: scale)
        }
        metrics.setProcessTableEntries(table.count)
        let evictions = table.statistics.evictions
        if evictions > publishedEvictions {
            metrics.recordProcessTableEvictions(Int(evictions - publishedEvictions))
            publishedEvictions = evictions
        }
        for detector in configuration.detectors {
            guard let health = scoring.scorer.health(of: detector) else { continue }
            detectorMetrics[detector]?.setSketchFillRatio(health.fillRatio)
            let overflows = scoring.scorer.statistics(for: detector).keyTableOverflows
            if overflows > publishedOverflows[detector, default: 0] {
                detectorMetrics[detector]?.recordBucketTableOverflows(Int(overflows - publishedOverflows[detector, default: 0]))
                publishedOverflows[detector] = overflows
            }
            reportSaturation(of: detector, health)
        }
        if let persistence, persistence.isDue() {
            scoring.scorer.advanceClock(to: BootClock.now())
            persistence.save(scoring.scorer.baseline)
        }
    }

    /// Logs and alerts once when a detector's sketch becomes saturated, and
    /// logs when it recovers (decay frees counters).
    private func reportSaturation(of detector: Detector, _ health: SketchHealth) {
        if health.isSaturated, saturatedDetectors.insert(detector).inserted {
            logger.warning(
                "sketch saturated: a never-seen key may look seen; raise the sketch width",
                metadata: [
                    "detector": "\(detector)", "fill_ratio": "\(health.fillRatio)",
                    "false_seen_probability": "\(health.neverSeenLooksSeenProbability)",
                ])
            alerts.writeNotice(.baselineSaturated(fillRatio: health.fillRatio), detector: detector, at: BootClock.now())
        } else if !health.isSaturated, saturatedDetectors.remove(detector) != nil {
            logger.notice("sketch no longer saturated", metadata: ["detector": "\(detector)"])
        }
    }
}

/// Per-batch counts of network events by action and attach mechanism, so the
/// metrics are touched once per batch, not once per event.
private struct EventTally {
    private var counts = [Int](repeating: 0, count: 4)

    mutating func count(_ record: CapturedNetworkRecord) {
        let action = record.action == .connect ? 0 : 1
        let hook = record.hook == .kprobe ? 0 : 2
        counts[action + hook] += 1
    }

    func publish(to metrics: SensorMetrics) {
        for (index, count) in counts.enumerated() where count > 0 {
            metrics.recordEvents(
                count,
                action: index % 2 == 0 ? .connect : .bind,
                attachMode: index < 2 ? .kprobe : .tracepoint)
        }
    }
}
