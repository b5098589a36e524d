import CRarenetBPF
import RarenetCapture
import RarenetTestSupport
import Testing

/// bpf/ringbuf_producer.bpf.c's populations: the realistic streams the
/// pipeline benchmark drains (few processes and ports, skewed).
@Suite("Ring producer populations", .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
struct RingBufferProducerPopulationTests {
    /// The tgid of process rank 0 (RINGBUF_POPULATION_PID).
    private let firstPID: UInt32 = 0x4000_0000

    private func drain(_ producer: RingBufferTestProducer) throws -> [CapturedRecord] {
        let consumer = try RingBufferConsumer(mapFileDescriptor: producer.ringFileDescriptor)
        var decoder = RecordDecoder()
        var records: [CapturedRecord] = []
        var end: RingBufferBatch.End
        repeat {
            let (batch, decoded) = consumer.drainBatch(decodingWith: &decoder)
            records.append(contentsOf: decoded)
            end = batch.end
        } while end == .batchLimit
        #expect(decoder.rejections.total == 0)
        return records
    }

    @Test func execRecordsExecEveryProcessOnceWithItsOwnExecutable() throws {
        try Privileges.requireRoot()
        let producer = try RingBufferTestProducer(ringSize: 1 << 16)
        #expect(try producer.produce(RARENET_RECORD_EXEC, count: 40, firstSequence: 20, processes: 40).submitted == 40)

        let execs = try drain(producer).compactMap { if case let .exec(record) = $0 { record } else { nil } }
        // Record s execs process s % 40: sequences 20...59 are ranks 20...39, then 0...19.
        let ranks = Array(20..<40) + Array(0..<20)
        #expect(execs.map(\.header.pid) == ranks.map { firstPID + UInt32($0) })
        for (exec, rank) in zip(execs, ranks) {
            let hex = String(rank, radix: 16)
            #expect(exec.executablePath == "/opt/ringbuf-prod/p" + String(repeating: "0", count: 8 - hex.count) + hex)
            #expect(exec.header.tid == exec.header.pid)
            #expect(exec.header.processStartBootTimeNanoseconds == UInt64(exec.header.pid))
            #expect(exec.arguments == ["prod", "seq"])
        }
    }

    @Test func connectsComeFromTheirPopulationsHeadFirst() throws {
        try Privileges.requireRoot()
        let producer = try RingBufferTestProducer(ringSize: 1 << 21)
        let count = 8_000
        #expect(try producer.produce(RARENET_RECORD_NETWORK, count: count, processes: 100, ports: 50).submitted == count)

        let connects = try drain(producer).compactMap { if case let .network(record) = $0 { record } else { nil } }
        #expect(connects.count == count)
        var processCounts = [Int](repeating: 0, count: 100)
        var portCounts = [Int](repeating: 0, count: 51)
        for connect in connects {
            let rank = Int(connect.header.pid &- firstPID)
            try #require(rank < 100, "pid \(connect.header.pid) is outside the population")
            #expect(connect.header.processStartBootTimeNanoseconds == UInt64(connect.header.pid))
            let port = Int(try #require(connect.destinationPort))
            try #require((1...50).contains(port), "port \(port) is outside the population")
            processCounts[rank] += 1
            portCounts[port] += 1
            // Every other field is still the sequence number's, as without a population.
            #expect(connect.sourcePort == UInt16(truncatingIfNeeded: connect.cgroupID))
        }
        // Log-uniform over 7 octaves of ranks: rank 0 takes about 1/7 of the
        // connects, each rank of the last octave (63...99) about 1/448.
        #expect((count / 10...count / 5).contains(processCounts[0]))
        #expect(processCounts[63...].allSatisfy { $0 < count / 100 })
        #expect(processCounts.filter { $0 > 0 }.count > 90, "the tail is drawn too")
        // Ports: 6 octaves, so port 1 (rank 0) takes about 1/6.
        #expect((count / 8...count / 4).contains(portCounts[1]))
        #expect(portCounts[1] == portCounts.max())
    }
}
