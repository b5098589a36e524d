import Logging
import RarenetBaseline
import RarenetMetrics
import RarenetScoring

/// Saves the scorer's baseline to the state directory periodically and on
/// shutdown, and reports each save in the logs and metrics.
///
/// A failed save (a full disk, say) is logged and counted; the sensor keeps
/// running and the previous snapshot stays intact (``SnapshotStore`` writes a
/// temporary file and renames it only when it is complete and synced).
final class BaselinePersistence: @unchecked Sendable {
    private let store: SnapshotStore
    private let interval: Duration
    private let metrics: SensorMetrics
    private let logger: Logger
    private let clock = ContinuousClock()
    private var lastSave: ContinuousClock.Instant

    init(store: SnapshotStore, interval: Duration, metrics: SensorMetrics, logger: Logger) {
        self.store = store
        self.interval = interval
        self.metrics = metrics
        self.logger = logger
        lastSave = clock.now
    }

    /// Loads the saved baseline into `scorer`, if there is one.
    ///
    /// With `resettingInvalid`, a snapshot that cannot be used is moved aside
    /// and the scorer starts fresh; without it, the error is thrown.
    static func restore(
        into scorer: inout RarityScorer,
        from store: SnapshotStore,
        resettingInvalid: Bool,
        logger: Logger
    ) throws {
        let parameters = scorer.baseline.parameters
        let load = try store.load(resettingInvalid: resettingInvalid) { bytes in
            try Baseline(decoding: bytes, expecting: parameters)
        }
        switch load {
        case .absent:
            logger.info("no baseline yet: learning from scratch", metadata: ["state": "\(store.snapshotPath)"])
        case .loaded(let baseline):
            try scorer.restore(baseline)
            logger.info("restored the baseline", metadata: [
                "state": "\(store.snapshotPath)", "completed_buckets": "\(baseline.completedBuckets)",
            ])
        case .reset(let movedTo, let reason):
            logger.warning("refused the saved baseline, moved it aside and started fresh", metadata: [
                "reason": "\(reason)", "moved_to": "\(movedTo)",
            ])
        }
    }

    /// True when the periodic interval has passed since the last save.
    func isDue() -> Bool {
        lastSave.duration(to: clock.now) >= interval
    }

    /// Encodes and saves `baseline` now.
    func save(_ baseline: Baseline) {
        lastSave = clock.now
        do {
            try store.save(baseline.encoded())
            metrics.recordSnapshotSucceeded()
            logger.debug("saved the baseline", metadata: ["state": "\(store.snapshotPath)"])
        } catch {
            metrics.recordSnapshotFailed()
            logger.error("cannot save the baseline; the previous snapshot is kept", metadata: ["error": "\(error)"])
        }
    }
}
