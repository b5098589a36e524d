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

/// The scoring thread's work per captured batch, in ring order: exec and
/// exit records feed the process table; each connect or bind is attributed
/// to its process and scored.
///
/// Per network record this is one process-table probe (the scoring key is
/// computed on a process's first event and kept in its record) and the
/// scorer's per-event work, a run of consecutive connects and binds at a time
/// (``RarityScorer/scoreForAlerts(_:_:)-(Span<ScoringEvent>,_)``). What to do
/// with an alert — write it, count it — is the caller's: ``process(_:_:)``
/// hands over only the verdicts that need action.
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

    /// Attributes and scores `batch` in ring order; calls `onAction` with each
    /// verdict that needs action (an alert or a suppressed alert), the event it
    /// concerns and the event's wall-clock time. Below-threshold and learning
    /// verdicts cost no call.
    ///
    /// An exec or exit record is applied to the table where it stands in the
    /// ring, between runs of connects and binds: each event is attributed to
    /// its process as it was when the event happened.
    public mutating func process(_ batch: CapturedRecordBatch, _ onAction: (AttributedEvent, Verdict, EventTimestamp) -> Void) {
        for run in batch.runs {
            switch run {
            case .network(let range): score(batch.networkRecords[range], onAction)
            case .other(let record): _ = attribute(record)
            }
        }
    }

    /// Takes one record: an exec or exit record updates the process table and
    /// yields `nil`; a connect or bind yields the event attributed to its
    /// process (not scored).
    public mutating func attribute(_ record: CapturedRecord) -> AttributedEvent? {
        switch record {
        case .network(let network):
            let process = table.lookup(ProcessIdentity(network.header), parentPID: network.ppid)
            return AttributedEvent(record: network, process: process, key: key(of: process, for: network))
        case .exec(let exec):
            table.apply(ProcessExec(exec))
        case .exit(let exit):
            table.apply(ProcessExit(exit))
        }
        return nil
    }

    /// Attributes a run of connects and binds, then scores it as one batch.
    private mutating func score(_ records: ArraySlice<CapturedNetworkRecord>, _ onAction: (AttributedEvent, Verdict, EventTimestamp) -> Void) {
        let identities = records.map { ProcessIdentity($0.header) }
        var processes: [ProcessTable<ProcessKey>.Record] = []
        var events: [ScoringEvent] = []
        processes.reserveCapacity(records.count)
        events.reserveCapacity(records.count)
        for (offset, network) in zip(0..., records) {
            if offset + Self.prefetchDistance < identities.count {
                table.prefetchRecord(of: identities[offset + Self.prefetchDistance])
            }
            let process = table.lookup(identities[offset], parentPID: network.ppid)
            processes.append(process)
            events.append(ScoringEvent(
                timestamp: bootClock.eventTime(bootNanoseconds: network.header.bootTimeNanoseconds),
                action: network.action,
                process: key(of: process, for: network),
                pid: network.header.pid,
                uid: network.uid,
                destinationAddress: network.destinationAddress,
                destinationPort: network.destinationPort))
        }
        scorer.scoreForAlerts(events.span) { index, verdict in
            let event = events[index]
            onAction(
                AttributedEvent(record: records[records.startIndex + index], process: processes[index], key: event.process),
                verdict, event.timestamp)
        }
    }

    /// How many records ahead a run prefetches the process records it will
    /// look up: the table's records are scattered on the heap, each a likely
    /// cache miss.
    private static let prefetchDistance = 8

    /// The process's scoring key: computed on its first event and kept in its record.
    private mutating func key(of process: ProcessTable<ProcessKey>.Record, for network: CapturedNetworkRecord) -> ProcessKey {
        if let key = process.derived { return key }
        let key = scorer.configuration.processKey(
            executable: process.executable?.displayName,
            comm: process.comm ?? network.comm,
            user: process.userName ?? userNames.name(of: process.uid ?? network.uid))
        process.derived = key
        return key
    }
}
