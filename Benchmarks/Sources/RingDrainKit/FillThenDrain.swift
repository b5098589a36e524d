/// The ring-drain comparison, one round at a time: the producer fills a ring
/// while its consumer is idle, then only the drain is timed. Both consumers
/// run in the same process, each on its own ring of the same size, in
/// alternating order, so a noisy machine slows both alike.
public struct FillThenDrain {
    /// Bytes of each ring.
    public let ringSize: Int
    /// Records written per fill: as many as the ring holds.
    public let recordsPerFill: Int

    private let swiftSide: Side
    private let libbpfSide: Side

    /// One consumer on its own producer's ring.
    private final class Side {
        let producer: RingProducer
        let drain: any RingDrain
        var recordsPerSecond: [Double] = []
        var dropped = 0

        init(producer: RingProducer, drain: any RingDrain) {
            self.producer = producer
            self.drain = drain
        }

        /// Fills the ring, then times draining it; returns the drain's records per second.
        func round(records: Int, firstSequence: UInt32) throws -> Double {
            let produced = try producer.produceNetworkRecords(count: records, firstSequence: firstSequence)
            dropped += produced.dropped
            let clock = ContinuousClock()
            let start = clock.now
            let consumed = drain.drainAvailable()
            let elapsed = clock.now - start
            guard consumed == produced.submitted else {
                throw RingProducer.Failure(description: "\(type(of: drain).label) consumed \(consumed) of \(produced.submitted) records")
            }
            return Double(consumed) / elapsed.seconds
        }
    }

    /// Loads two producers with rings of `ringSize` bytes and opens each consumer on one.
    public init(ringSize: Int) throws {
        self.ringSize = ringSize
        recordsPerFill = ringSize / RingProducer.networkRecordFootprint
        let swiftProducer = try RingProducer(ringSize: ringSize)
        let libbpfProducer = try RingProducer(ringSize: ringSize)
        swiftSide = Side(producer: swiftProducer, drain: try SwiftRingDrain(ringFileDescriptor: swiftProducer.ringFileDescriptor))
        libbpfSide = Side(producer: libbpfProducer, drain: try LibbpfRingDrain(ringFileDescriptor: libbpfProducer.ringFileDescriptor))
    }

    /// Runs `warmUpRounds` unrecorded rounds, then `rounds` recorded ones.
    public func run(rounds: Int, warmUpRounds: Int = 3) throws -> RingDrainResult {
        var ratios: [Double] = []
        for round in 0..<(warmUpRounds + rounds) {
            let firstSequence = UInt32(truncatingIfNeeded: round &* recordsPerFill)
            let order = round.isMultiple(of: 2) ? [swiftSide, libbpfSide] : [libbpfSide, swiftSide]
            var rates: [ObjectIdentifier: Double] = [:]
            for side in order {
                rates[ObjectIdentifier(side)] = try side.round(records: recordsPerFill, firstSequence: firstSequence)
            }
            guard round >= warmUpRounds else { continue }
            let swiftRate = rates[ObjectIdentifier(swiftSide)]!
            let libbpfRate = rates[ObjectIdentifier(libbpfSide)]!
            swiftSide.recordsPerSecond.append(swiftRate)
            libbpfSide.recordsPerSecond.append(libbpfRate)
            ratios.append(swiftRate / libbpfRate)
        }
        return RingDrainResult(
            variant: "fill then drain, ring \(ringSize / 1024) KiB, \(recordsPerFill) records per fill, \(rounds) rounds",
            swift: measurement(swiftSide), libbpf: measurement(libbpfSide), ratios: ratios
        )
    }

    private func measurement(_ side: Side) -> ConsumerMeasurement {
        ConsumerMeasurement(
            label: type(of: side.drain).label, recordsPerSecond: side.recordsPerSecond,
            dropped: side.dropped, totals: side.drain.totals
        )
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
