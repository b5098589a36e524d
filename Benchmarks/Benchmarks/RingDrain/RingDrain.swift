import Benchmark
import RingDrainKit

/// Each iteration fills a 1 MiB ring with as many network records as it holds
/// while the consumer is idle, then measures only the drain.
let benchmarks: @Sendable () -> Void = {
    let ringSize = 1 << 20
    let records = ringSize / RingProducer.networkRecordFootprint
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        scalingFactor: .one,
        maxDuration: .seconds(5),
        maxIterations: 1_000
    )

    drainBenchmark(SwiftRingDrain.self, ringSize: ringSize, records: records, configuration: configuration) {
        try SwiftRingDrain(ringFileDescriptor: $0)
    }
    drainBenchmark(LibbpfRingDrain.self, ringSize: ringSize, records: records, configuration: configuration) {
        try LibbpfRingDrain(ringFileDescriptor: $0)
    }
}

/// A producer and one consumer on its ring, made by the benchmark's setup hook (root only).
private final class DrainFixture: @unchecked Sendable {
    var producer: RingProducer?
    var drain: (any RingDrain)?
}

private func drainBenchmark(
    _ kind: any RingDrain.Type, ringSize: Int, records: Int, configuration: Benchmark.Configuration,
    makeDrain: @escaping @Sendable (Int32) throws -> any RingDrain
) {
    let fixture = DrainFixture()
    Benchmark(
        "\(kind.label), \(records) network records",
        configuration: configuration,
        closure: { benchmark in
            guard let producer = fixture.producer, let drain = fixture.drain else { return }
            let produced = try producer.produceNetworkRecords(count: records)
            benchmark.startMeasurement()
            let consumed = drain.drainAvailable()
            benchmark.stopMeasurement()
            if consumed != produced.submitted {
                benchmark.error("consumed \(consumed) of \(produced.submitted) records")
            }
        },
        setup: {
            let producer = try RingProducer(ringSize: ringSize)
            fixture.drain = try makeDrain(producer.ringFileDescriptor)
            fixture.producer = producer
        },
        teardown: {
            fixture.drain = nil
            fixture.producer = nil
        }
    )
}
