import RarenetCapture
import RarenetScoring
import RarenetSensor
import RingDrainKit

/// How far down the sensor's per-record path a stage takes each record.
enum StageDepth: CaseIterable {
    /// `RingBufferConsumer.drainBatch(decodingWith:)`, then each connect's
    /// fields folded into a checksum (``RecordFold``, the use the ring-drain
    /// benchmark makes of a record, so that the decoding cannot be elided).
    case decode
    /// Decode, then every record through ``RecordScorer/attribute(_:)``: exec
    /// and exit records into the process table, each connect to its process
    /// and scoring key.
    case attribute
    /// Decode, then every batch through ``RecordScorer/process(_:_:)``: attributed and scored.
    case score

    /// What the table calls the stage.
    var label: String {
        switch self {
        case .decode: "drain + decode"
        case .attribute: "drain + decode + attribute"
        case .score: "drain + decode + attribute + score"
        }
    }
}

/// What a stage did with the records it drained: the figures the checks compare.
struct StageCounts: Sendable, Hashable {
    /// Records decoded, of every kind.
    var records = 0
    /// Connects decoded.
    var connects = 0
    /// Connects attributed to a process (by the stage that stops there).
    var attributed = 0
    /// Sum of ``RecordFold/fold(_:)`` over the decoded connects.
    var fieldChecksum: UInt64 = 0
    /// Alerts the scorer handed over.
    var alerts = 0
    /// Suppressed alerts the scorer handed over.
    var suppressed = 0

    mutating func count(_ verdict: Verdict) {
        switch verdict.decision {
        case .alert: alerts += 1
        case .suppressed: suppressed += 1
        case .belowThreshold, .learning: break
        }
    }
}

/// One stage of the comparison, on its own producer's ring: drains and
/// decodes as the sensor's capture thread does, then takes each record as
/// deep as ``depth`` through a ``RecordScorer`` of its own, as the sensor's
/// scoring thread does.
final class StageDrain {
    let depth: StageDepth
    let producer: RingProducer
    private let consumer: RingBufferConsumer
    private var decoder = RecordDecoder()
    private(set) var scoring: RecordScorer
    private(set) var counts = StageCounts()

    /// Loads a producer with a ring of `ringSize` bytes, consumes it, and
    /// attributes and scores with a fresh table and `configuration`.
    init(depth: StageDepth, ringSize: Int, configuration: ScoringConfiguration) throws {
        self.depth = depth
        producer = try RingProducer(ringSize: ringSize)
        consumer = try RingBufferConsumer(mapFileDescriptor: producer.ringFileDescriptor)
        scoring = RecordScorer(scorer: try RarityScorer(configuration: configuration))
    }

    /// Dates the records written from now on from `time` (wall-clock
    /// nanoseconds) on, as they are written.
    func moveClock(to time: Int64) {
        scoring.bootClock = BootClock(offsetNanoseconds: time - Int64(BootClock.bootNanoseconds()))
    }

    /// Consumes every record available now; returns how many.
    func drainAvailable() -> Int {
        consumer.drainAvailable(decodingWith: &decoder, take)
    }

    private func take(_ records: CapturedRecordBatch) {
        counts.records += records.count
        counts.connects += records.networkRecords.count
        guard depth != .decode else {
            for record in records.networkRecords {
                counts.fieldChecksum &+= RecordFold.fold(record)
            }
            return
        }
        guard depth != .score else {
            scoring.process(records) { _, verdict, _ in counts.count(verdict) }
            return
        }
        for record in records where scoring.attribute(record) != nil {
            counts.attributed += 1
        }
    }
}

extension StageDrain {
    /// Why a round could not be measured: the producer or the drain lost records.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Execs every process of `population` through the stage, untimed, so that
    /// attribution finds each process's executable in the table (exec records
    /// are decoded and, by the stages that attribute, applied to the table).
    func seed(_ population: RecordPopulation) throws {
        let perFill = producer.ringSize / RingProducer.execRecordFootprint
        var first = 0
        while first < population.processes {
            let count = min(perFill, population.processes - first)
            let produced = try producer.produceExecRecords(count: count, firstSequence: UInt32(first), population: population)
            let consumed = drainAvailable()
            guard produced.submitted == count, consumed == count else {
                throw Failure(description: "\(depth.label): \(produced.submitted) of \(count) exec records written, \(consumed) consumed")
            }
            first += count
        }
    }

    /// Fills the ring with `count` connects of `population` while the stage is
    /// idle, then times draining them through the stage.
    func round(connects count: Int, firstSequence: UInt32, population: RecordPopulation) throws -> Duration {
        let produced = try producer.produceNetworkRecords(count: count, firstSequence: firstSequence, population: population)
        let clock = ContinuousClock()
        let start = clock.now
        let consumed = drainAvailable()
        let elapsed = clock.now - start
        guard produced.submitted == count, produced.dropped == 0, consumed == count else {
            throw Failure(description: "\(depth.label): \(produced.submitted) of \(count) connects written (\(produced.dropped) dropped), \(consumed) consumed")
        }
        return elapsed
    }
}
