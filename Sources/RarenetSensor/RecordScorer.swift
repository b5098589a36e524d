import RarenetAttribution
import RarenetCapture
import RarenetEvents
import RarenetScoring

/// A connect or bind attributed to the process it came from.
public struct AttributedEvent {
    /// The record as the kernel wrote it.
    public let record: CapturedNetworkRecord
    /// The process's record in the table: what an alert is enriched from.
    public let process: ProcessTable<ProcessKey>.Record
    /// The process's scoring key, computed once per process image and cached in ``process``.
    public let key: ProcessKey
}

/// The scoring thread's work per captured record, in ring order: exec and
/// exit records feed the process table; each connect or bind is attributed
/// to its process and scored.
///
/// Per network record this is one process-table probe (the scoring key is
/// computed on a process's first event and kept in its record) and the
/// scorer's per-event work (``RarityScorer/scoreForAlerts(_:_:)``). What to do
/// with an alert — write it, count it — is the caller's: ``score(_:_:)`` hands
/// over only the verdicts that need action.
///
/// Not thread-safe: one thread owns it, its table and its scorer.
public struct RecordScorer {
    /// The scorer, with its learned baseline.
    public internal(set) var scorer: RarityScorer
    /// The processes events are attributed to.
    public let table: ProcessTable<ProcessKey>
    /// Turns the records' boot-clock timestamps into event time; resynchronize
    /// it now and then so that a stepped wall clock is followed.
    public var bootClock: BootClock
    private var userNames: UserNameCache

    /// Scores with `scorer`, attributes to `table` (by default an empty one of
    /// the default capacity), and dates events with `bootClock`.
    public init(scorer: RarityScorer, table: ProcessTable<ProcessKey> = ProcessTable(), bootClock: BootClock = BootClock()) {
        self.scorer = scorer
        self.table = table
        self.bootClock = bootClock
        userNames = UserNameCache(capacity: table.configuration.userNameCacheCapacity)
    }

    /// Takes the next record of the ring: an exec or exit record updates the
    /// process table and yields `nil`; a connect or bind yields the event
    /// attributed to its process, ready for ``score(_:_:)``.
    public mutating func attribute(_ record: CapturedRecord) -> AttributedEvent? {
        switch record {
        case .network(let network):
            let process = table.lookup(ProcessIdentity(network.header))
            let key = process.derived ?? cacheKey(of: process, comm: network.comm, uid: network.uid)
            return AttributedEvent(record: network, process: process, key: key)
        case .exec(let exec):
            table.apply(ProcessExec(exec))
        case .exit(let exit):
            table.apply(ProcessExit(exit))
        }
        return nil
    }

    /// Scores `event` at its kernel time; calls `onAction` with each verdict
    /// that needs action (an alert or a suppressed alert) and the event's
    /// wall-clock time. Below-threshold and learning verdicts cost no call.
    public mutating func score(_ event: AttributedEvent, _ onAction: (Verdict, EventTimestamp) -> Void) {
        let network = event.record
        let scoringEvent = ScoringEvent(
            timestamp: bootClock.eventTime(bootNanoseconds: network.header.bootTimeNanoseconds),
            action: network.action,
            process: event.key,
            pid: network.header.pid,
            uid: network.uid,
            destinationAddress: network.destinationAddress,
            destinationPort: network.destinationPort)
        scorer.scoreForAlerts(scoringEvent) { onAction($0, scoringEvent.timestamp) }
    }

    /// Computes a process's scoring key once and keeps it in its record.
    private mutating func cacheKey(of process: ProcessTable<ProcessKey>.Record, comm: String, uid: UInt32) -> ProcessKey {
        let key = scorer.configuration.processKey(
            executable: process.executable?.displayName,
            comm: process.comm ?? comm,
            user: process.userName ?? userNames.name(of: process.uid ?? uid))
        process.derived = key
        return key
    }
}
