import Logging
import RarenetAlerts
import RarenetAttribution
import RarenetCapture
import RarenetEvents
import RarenetMetrics
import RarenetScoring

/// The scoring thread's work: attributes each captured record to its process,
/// scores connects and binds, and writes alerts.
///
/// Per network record the hot path is one process-table probe (the process's
/// scoring key is computed on first sight and cached in its record) and one
/// probe of the scorer's per-bucket table per detector. Everything slower —
/// reading /proc for an alert's working directory, writing the alert line,
/// encoding a snapshot — happens only for alerts (at most the alert cap per
/// window) or on a timer.
final class ScoringStage: @unchecked Sendable {
    private var scorer: RarityScorer
    private let table: ProcessTable<ProcessKey>
    private let alerts: AlertOutput
    private let metrics: SensorMetrics
    private let detectorMetrics: [Detector: DetectorMetrics]
    private let persistence: BaselinePersistence?
    private let logger: Logger
    private var bootClock = BootClock()
    private var userNames: UserNameCache
    private var publishedEvictions: UInt64 = 0
    private var saturatedDetectors: Set<Detector> = []

    /// How often the stage exports the baseline's health and resynchronizes its clock.
    private static let housekeepingInterval: Duration = .seconds(5)

    init(
        scorer: RarityScorer,
        table: ProcessTable<ProcessKey>,
        alerts: AlertOutput,
        metrics: SensorMetrics,
        persistence: BaselinePersistence?,
        logger: Logger
    ) {
        self.scorer = scorer
        self.table = table
        self.alerts = alerts
        self.metrics = metrics
        self.persistence = persistence
        self.logger = logger
        userNames = UserNameCache(capacity: table.configuration.userNameCacheCapacity)
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
            scorer.advanceClock(to: BootClock.now())
            persistence.save(scorer.baseline)
        }
    }

    /// Scores one batch, in ring order.
    private func process(_ records: CapturedRecordBatch) {
        var tally = EventTally()
        for record in records {
            switch record {
            case .network(let network):
                tally.count(network)
                score(network)
            case .exec(let exec):
                table.apply(ProcessExec(exec))
            case .exit(let exit):
                table.apply(ProcessExit(exit))
            }
        }
        tally.publish(to: metrics)
    }

    private func score(_ network: CapturedNetworkRecord) {
        let process = table.lookup(ProcessIdentity(network.header))
        let key = process.derived ?? cacheKey(of: process, comm: network.comm, uid: network.uid)
        let event = ScoringEvent(
            timestamp: bootClock.eventTime(bootNanoseconds: network.header.bootTimeNanoseconds),
            action: network.action,
            process: key,
            pid: network.header.pid,
            uid: network.uid,
            destinationAddress: network.destinationAddress,
            destinationPort: network.destinationPort)
        scorer.scoreForAlerts(event) { verdict in
            switch verdict.decision {
            case .alert(let alert):
                detectorMetrics[verdict.detector]?.recordAlertEmitted()
                alerts.write(alert, for: network, at: event.timestamp, process: process, table: table)
            case .suppressed(.recentlyAlerted):
                detectorMetrics[verdict.detector]?.recordAlertSuppressed(reason: .repeated)
            case .suppressed(.alertCap(let startsWindow)):
                detectorMetrics[verdict.detector]?.recordAlertSuppressed(reason: .cap)
                if startsWindow {
                    logger.warning("alert cap reached: further alerts in this window are suppressed",
                                   metadata: ["detector": "\(verdict.detector)"])
                    alerts.writeNotice(.alertCapSuppressing(
                        cap: scorer.configuration.alertCap,
                        windowSeconds: scorer.configuration.alertCapWindow.components.seconds),
                        detector: verdict.detector, at: event.timestamp)
                }
            case .belowThreshold, .learning:
                break
            }
        }
    }

    /// Computes a process's scoring key once and keeps it in its record.
    private func cacheKey(of process: ProcessTable<ProcessKey>.Record, comm: String, uid: UInt32) -> ProcessKey {
        let key = scorer.configuration.processKey(
            executable: process.executable?.displayName,
            comm: process.comm ?? comm,
            user: process.userName ?? userNames.name(of: process.uid ?? uid))
        process.derived = key
        return key
    }

    /// Periodic work off the per-event path: clock, baseline and table gauges,
    /// sketch saturation, and the periodic snapshot.
    private func housekeeping() {
        bootClock.resynchronize()
        let buckets = scorer.baseline.baselineBuckets
        for (scale, value) in zip([SensorMetrics.Scale.bucketSpan, .day], buckets) {
            metrics.setBaselineBuckets(value, scale: scale)
        }
        metrics.setProcessTableEntries(table.count)
        let evictions = table.statistics.evictions
        if evictions > publishedEvictions {
            metrics.recordProcessTableEvictions(Int(evictions - publishedEvictions))
            publishedEvictions = evictions
        }
        for detector in scorer.configuration.detectors {
            guard let health = scorer.health(of: detector) else { continue }
            detectorMetrics[detector]?.setSketchFillRatio(health.fillRatio)
            reportSaturation(of: detector, health)
        }
        if let persistence, persistence.isDue() {
            scorer.advanceClock(to: BootClock.now())
            persistence.save(scorer.baseline)
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
