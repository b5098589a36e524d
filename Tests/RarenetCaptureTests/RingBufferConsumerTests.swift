import CRarenetBPF
import RarenetCapture
import RarenetEvents
import RarenetTestSupport
import Testing

/// The batch consumer against real BPF ring buffers, written by bpf/ringbuf_producer.bpf.c.
@Suite("RingBufferConsumer on a real BPF ring buffer", .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
struct RingBufferConsumerTests {
    private let networkFootprint = ProducedRecord.footprint(ProducedRecord.networkRecordSize)

    /// Drains until the ring is empty and decodes every record.
    private func drainAll(_ consumer: RingBufferConsumer, decoder: inout RecordDecoder) -> (records: [CapturedRecord], batches: [RingBufferBatch]) {
        var records: [CapturedRecord] = []
        var batches: [RingBufferBatch] = []
        repeat {
            batches.append(consumer.drainBatch { bytes in
                if let record = decoder.decode(bytes) { records.append(record) }
            })
        } while batches.last!.end == .batchLimit
        return (records, batches)
    }

    private func networkRecords(_ records: [CapturedRecord]) -> [CapturedNetworkRecord] {
        records.compactMap { if case let .network(record) = $0 { record } else { nil } }
    }

    @Test func recordStraddlingTheEndOfTheRingIsReadIntact() throws {
        try Privileges.requireRoot()
        let producer = try RingBufferTestProducer(ringSize: 4096)
        let consumer = try RingBufferConsumer(mapFileDescriptor: producer.ringFileDescriptor)
        var decoder = RecordDecoder()
        let footprint = ProducedRecord.footprint(ProducedRecord.execRecordSize)

        // Four exec records (872 bytes each in the ring) fill 3488 of 4096 bytes; the fifth starts at 3488
        // and ends 264 bytes into the next lap.
        #expect(try producer.produce(RARENET_RECORD_EXEC, count: 4, firstSequence: 0).submitted == 4)
        #expect(drainAll(consumer, decoder: &decoder).records.count == 4)
        #expect(try producer.produce(RARENET_RECORD_EXEC, count: 4, firstSequence: 4).submitted == 4)
        let straddling = 4 * footprint % consumer.capacity
        #expect(straddling + footprint > consumer.capacity)

        let (records, _) = drainAll(consumer, decoder: &decoder)
        #expect(decoder.rejections.total == 0)
        let execs = records.compactMap { if case let .exec(record) = $0 { record } else { nil } }
        #expect(execs.map(\.header.pid) == [4, 5, 6, 7])
        for exec in execs {
            let sequence = exec.header.pid
            #expect(exec.executablePath == ProducedRecord.executablePath(sequence: sequence), "record \(sequence)")
            #expect(exec.arguments == ["prod", "seq"])
            #expect(exec.comm == "ringbuf-prod")
            #expect(exec.ppid == sequence ^ 0x5a5a)
            #expect(exec.cgroupID == UInt64(sequence))
        }
        #expect(consumer.pendingBytes == 0)
    }

    @Test func discardedRecordsAreSkippedAndCounted() throws {
        try Privileges.requireRoot()
        let producer = try RingBufferTestProducer(ringSize: 1 << 16)
        let consumer = try RingBufferConsumer(mapFileDescriptor: producer.ringFileDescriptor)
        var decoder = RecordDecoder()

        let outcome = try producer.produce(RARENET_RECORD_NETWORK, count: 100, discardEvery: 3)
        #expect(outcome == .init(submitted: 67, discarded: 33, dropped: 0, heldUntilReleased: false))

        let (records, batches) = drainAll(consumer, decoder: &decoder)
        #expect(batches.map(\.discardedRecords).reduce(0, +) == 33)
        #expect(batches.map(\.bytes).reduce(0, +) == 100 * networkFootprint)
        #expect(consumer.discardedRecords == 33)
        #expect(consumer.consumedRecords == 67)
        let expected = (0..<100).filter { ($0 + 1) % 3 != 0 }.map(UInt32.init)
        #expect(networkRecords(records).map(\.header.pid) == expected)
        #expect(consumer.pendingBytes == 0)
    }

    @Test func networkRecordsArriveWithEveryField() throws {
        try Privileges.requireRoot()
        let producer = try RingBufferTestProducer(ringSize: 4096)
        let consumer = try RingBufferConsumer(mapFileDescriptor: producer.ringFileDescriptor)
        var decoder = RecordDecoder()

        _ = try producer.produce(RARENET_RECORD_NETWORK, count: 2, firstSequence: 7)
        let records = networkRecords(drainAll(consumer, decoder: &decoder).records)
        #expect(records.count == 2)
        for record in records {
            let sequence = record.header.pid
            #expect(record.header.tid == sequence)
            #expect(record.header.processStartBootTimeNanoseconds == UInt64(sequence))
            #expect(record.header.bootTimeNanoseconds > 0)
            #expect(record.ppid == sequence ^ 0x5a5a)
            #expect(record.uid == 1000 && record.gid == 1000)
            #expect(record.action == .connect && record.family == .ipv6 && record.transport == .tcp)
            #expect(record.hook == .tracepoint)
            #expect(record.sourcePort == UInt16(sequence) && record.destinationPort == 443)
            #expect(record.sourceAddress.networkOrderBytes == ProducedRecord.sourceAddressBytes(sequence: sequence))
            #expect(record.destinationAddress?.networkOrderBytes == ProducedRecord.destinationAddressBytes(sequence: sequence))
            #expect(record.cgroupID == UInt64(sequence))
            #expect(record.comm == "ringbuf-prod")
        }
    }

    @Test func fullRingDropsAreCountedInTheKernelAndVisibleToUserSpace() throws {
        try Privileges.requireRoot()
        let producer = try RingBufferTestProducer(ringSize: 4096)
        let consumer = try RingBufferConsumer(mapFileDescriptor: producer.ringFileDescriptor)
        let counters = try KernelCounters(mapFileDescriptor: producer.countersFileDescriptor)
        var decoder = RecordDecoder()
        #expect(try counters.read() == KernelDropCounts(network: 0, exec: 0, exit: 0))

        // The kernel keeps less than the ring's size in use: 30 records of 136 ring bytes (4080) fit, the 31st does not.
        let fitting = (consumer.capacity - 1) / networkFootprint
        #expect(fitting == 30)
        let flood = try producer.produce(RARENET_RECORD_NETWORK, count: 100)
        #expect(flood == .init(submitted: fitting, discarded: 0, dropped: 100 - fitting, heldUntilReleased: false))
        #expect(try counters.read() == KernelDropCounts(network: UInt64(100 - fitting), exec: 0, exit: 0))
        #expect(consumer.pendingBytes == fitting * networkFootprint)

        let execFlood = try producer.produce(RARENET_RECORD_EXEC, count: 5)
        #expect(execFlood.dropped == 5)
        #expect(try counters.read() == KernelDropCounts(network: UInt64(100 - fitting), exec: 5, exit: 0))

        #expect(networkRecords(drainAll(consumer, decoder: &decoder).records).map(\.header.pid) == Array(0..<UInt32(fitting)))

        // Once drained, the ring takes records again and the counters stay where they were.
        let refill = try producer.produce(RARENET_RECORD_EXIT, count: 30, firstSequence: 100)
        #expect(refill == .init(submitted: 30, discarded: 0, dropped: 0, heldUntilReleased: false))
        let exits = drainAll(consumer, decoder: &decoder).records.compactMap { if case let .exit(record) = $0 { record } else { nil } }
        #expect(exits.map(\.exitStatus) == (100..<130).map(Int32.init))
        #expect(try counters.read().total == UInt64(100 - fitting + 5))
    }

    @Test func consumerPositionAdvancesExactlyOverManyBatches() throws {
        try Privileges.requireRoot()
        let producer = try RingBufferTestProducer(ringSize: 1 << 14)
        let consumer = try RingBufferConsumer(mapFileDescriptor: producer.ringFileDescriptor, maxRecordsPerBatch: 7)
        var decoder = RecordDecoder()
        var nextSequence: UInt32 = 0
        var received: [UInt32] = []
        var releasedBytes = 0
        var batchCount = 0

        for round in 0..<200 {
            let count = 1 + round * 37 % 50
            let outcome = try producer.produce(RARENET_RECORD_NETWORK, count: count, firstSequence: nextSequence)
            #expect(outcome.submitted == count)
            nextSequence += UInt32(count)
            let (records, batches) = drainAll(consumer, decoder: &decoder)
            received += networkRecords(records).map(\.header.pid)
            releasedBytes += batches.map(\.bytes).reduce(0, +)
            batchCount += batches.count
            #expect(batches.allSatisfy { $0.records <= 7 })
            #expect(batches.last?.end == .caughtUp)
        }

        #expect(received == Array(0..<nextSequence))
        #expect(consumer.consumedRecords == UInt64(nextSequence))
        #expect(releasedBytes == Int(nextSequence) * networkFootprint)
        #expect(batchCount > 200)
        #expect(consumer.pendingBytes == 0)
        // The position was published to the kernel: a new consumer of the same map starts after the last record.
        let successor = try RingBufferConsumer(mapFileDescriptor: producer.ringFileDescriptor)
        #expect(successor.drainBatch { _ in Issue.record("no record should be left") } == .init(records: 0, discardedRecords: 0, bytes: 0, end: .caughtUp))
    }

    @Test func decodingDrainYieldsEveryKindInRingOrderAsTheRecordByRecordDecoderDoes() throws {
        try Privileges.requireRoot()
        // The same mix of kinds, with a record of another ABI version, into two rings of one size.
        let rings = try (0..<2).map { _ in try RingBufferTestProducer(ringSize: 1 << 16) }
        for producer in rings {
            _ = try producer.produce(RARENET_RECORD_EXEC, count: 2, firstSequence: 100)
            _ = try producer.produce(RARENET_RECORD_NETWORK, count: 5, firstSequence: 0)
            _ = try producer.produce(RARENET_RECORD_EXIT, count: 1, firstSequence: 200)
            _ = try producer.produce(RARENET_RECORD_NETWORK, count: 1, firstSequence: 5, version: 99)
            _ = try producer.produce(RARENET_RECORD_NETWORK, count: 3, firstSequence: 6)
            _ = try producer.produce(RARENET_RECORD_EXIT, count: 2, firstSequence: 300)
        }
        var recordByRecord = RecordDecoder()
        let expected = drainAll(try RingBufferConsumer(mapFileDescriptor: rings[0].ringFileDescriptor), decoder: &recordByRecord).records

        let consumer = try RingBufferConsumer(mapFileDescriptor: rings[1].ringFileDescriptor, maxRecordsPerBatch: 4)
        var decoder = RecordDecoder()
        var decoded: [CapturedRecord] = []
        var networkRecordCount = 0
        var batch: RingBufferBatch
        repeat {
            let rejectedBefore = decoder.rejections.total
            let records: CapturedRecordBatch
            (batch, records) = consumer.drainBatch(decodingWith: &decoder)
            #expect(records.count == batch.records - Int(decoder.rejections.total - rejectedBefore))
            decoded += records
            networkRecordCount += records.networkRecords.count
        } while batch.end == .batchLimit

        // The two rings were written at different times: compare everything but the timestamps.
        #expect(expected.count == 13)
        #expect(decoded.map(\.withoutTimestamp) == expected.map(\.withoutTimestamp))
        #expect(decoded.map(\.header.pid) == [100, 101, 0, 1, 2, 3, 4, 200, 6, 7, 8, 300, 301])
        #expect(networkRecordCount == 8)
        #expect(decoder.rejections[.unsupportedVersion] == 1 && decoder.rejections.total == 1)
        #expect(consumer.pendingBytes == 0)
    }

    @Test func batchStopsAtARecordStillBeingWritten() throws {
        try Privileges.requireRoot()
        let producer = try RingBufferTestProducer(ringSize: 4096)
        let consumer = try RingBufferConsumer(mapFileDescriptor: producer.ringFileDescriptor)
        var decoder = RecordDecoder()

        // The producer commits records 0 and 1, reserves record 2 and holds it until released.
        let run = TestThread { try producer.produce(RARENET_RECORD_NETWORK, count: 3, holdLast: true) }
        let deadline = ContinuousClock.now + .seconds(10)
        while consumer.pendingBytes < 3 * networkFootprint, ContinuousClock.now < deadline {}
        #expect(consumer.pendingBytes == 3 * networkFootprint)

        let (held, heldBatches) = drainAll(consumer, decoder: &decoder)
        #expect(networkRecords(held).map(\.header.pid) == [0, 1])
        #expect(heldBatches.last?.end == .busyRecord)
        #expect(consumer.pendingBytes == networkFootprint)

        try producer.releaseHeldRecord()
        #expect(try run.join().heldUntilReleased)
        let (rest, restBatches) = drainAll(consumer, decoder: &decoder)
        #expect(networkRecords(rest).map(\.header.pid) == [2])
        #expect(restBatches.last?.end == .caughtUp)
    }

    @Test func recordsOfAnotherABIVersionAreCountedAndSkipped() throws {
        try Privileges.requireRoot()
        let producer = try RingBufferTestProducer(ringSize: 4096)
        let consumer = try RingBufferConsumer(mapFileDescriptor: producer.ringFileDescriptor)
        var decoder = RecordDecoder()

        _ = try producer.produce(RARENET_RECORD_NETWORK, count: 3, version: UInt32(RARENET_ABI_VERSION) + 1)
        _ = try producer.produce(RARENET_RECORD_NETWORK, count: 2, firstSequence: 3)
        let (records, _) = drainAll(consumer, decoder: &decoder)
        #expect(networkRecords(records).map(\.header.pid) == [3, 4])
        #expect(decoder.rejections[.unsupportedVersion] == 3)
        #expect(decoder.rejections.total == 3)
        #expect(consumer.consumedRecords == 5)
    }

    @Test func waiterWakesWhenTheRingHasData() throws {
        try Privileges.requireRoot()
        let producer = try RingBufferTestProducer(ringSize: 4096)
        let consumer = try RingBufferConsumer(mapFileDescriptor: producer.ringFileDescriptor)
        let waiter = try EpollWaiter(watching: producer.ringFileDescriptor)
        #expect(try waiter.wait(timeout: .zero) == .timedOut)

        // Level-triggered: whether the commit lands before or during the wait, the wait returns.
        let run = TestThread { try producer.produce(RARENET_RECORD_NETWORK, count: 1) }
        #expect(try waiter.wait(timeout: .seconds(30)) == .readable)
        #expect(try run.join().submitted == 1)
        #expect(consumer.drainBatch { _ in }.records == 1)
        #expect(try waiter.wait(timeout: .zero) == .timedOut)

        let wake = TestThread { waiter.wakeUp() }
        #expect(try waiter.wait(timeout: .seconds(30)) == .wokenUp)
        try wake.join()
        #expect(try waiter.wait(timeout: .zero) == .timedOut)
    }

    @Test func concurrentProducerAndConsumerAgreeOnEveryRecord() throws {
        try Privileges.requireRoot()
        let producer = try RingBufferTestProducer(ringSize: 1 << 15)
        let counters = try KernelCounters(mapFileDescriptor: producer.countersFileDescriptor)
        let consumer = try RingBufferConsumer(mapFileDescriptor: producer.ringFileDescriptor, maxRecordsPerBatch: 256)
        let waiter = try EpollWaiter(watching: producer.ringFileDescriptor)
        let runs = 40
        let recordsPerRun = 2_000

        let production = TestThread {
            var submitted = 0
            for run in 0..<runs {
                submitted += try producer.produce(RARENET_RECORD_NETWORK, count: recordsPerRun, firstSequence: UInt32(run * recordsPerRun)).submitted
            }
            waiter.wakeUp()
            return submitted
        }

        var decoder = RecordDecoder()
        var sequences: [UInt32] = []
        var producerFinished = false
        while true {
            let batch = consumer.drainBatch { bytes in
                if case let .network(record) = decoder.decode(bytes) { sequences.append(record.header.pid) }
            }
            if batch.end == .batchLimit || batch.records + batch.discardedRecords > 0 { continue }
            if producerFinished { break }
            producerFinished = try waiter.wait(timeout: .seconds(1)) == .wokenUp
        }
        let submitted = try production.join()
        let dropped = try counters.read().network

        #expect(sequences.count == submitted)
        #expect(Int(dropped) == runs * recordsPerRun - submitted)
        #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 })
        #expect(decoder.rejections.total == 0)
    }

    @Test func mapsOfTheWrongTypeAreRefused() throws {
        try Privileges.requireRoot()
        let producer = try RingBufferTestProducer(ringSize: 4096)
        #expect(throws: BPFMapError.self) { try RingBufferConsumer(mapFileDescriptor: producer.countersFileDescriptor) }
        #expect(throws: BPFMapError.self) { try KernelCounters(mapFileDescriptor: producer.ringFileDescriptor) }
        #expect(throws: BPFMapError.self) { try RingBufferConsumer(mapFileDescriptor: -1) }
    }
}

extension CapturedRecord {
    /// The record with its kernel timestamp zeroed.
    fileprivate var withoutTimestamp: CapturedRecord {
        switch self {
        case var .network(record):
            record.header.bootTimeNanoseconds = 0
            return .network(record)
        case var .exec(record):
            record.header.bootTimeNanoseconds = 0
            return .exec(record)
        case var .exit(record):
            record.header.bootTimeNanoseconds = 0
            return .exit(record)
        }
    }
}
