import Testing

@testable import RarenetSensor

/// The drain loop's sleep after a drain that found records.
@Suite("Coalescing sleep")
struct CoalescingSleepTests {
    @Test("busy drains double the sleep up to 4 ms, quiet ones halve it down to 1 ms, an empty ring starts over")
    func adaptsToTheRate() {
        var sleep = CoalescingSleep()
        #expect(sleep.duration == .milliseconds(1))
        var busy: [Duration] = []
        for _ in 0..<4 {
            sleep.adapt(toDrainOf: CoalescingSleep.busyBatchRecords)
            busy.append(sleep.duration)
        }
        #expect(busy == [.milliseconds(2), .milliseconds(4), .milliseconds(4), .milliseconds(4)])
        var quiet: [Duration] = []
        for _ in 0..<3 {
            sleep.adapt(toDrainOf: CoalescingSleep.busyBatchRecords - 1)
            quiet.append(sleep.duration)
        }
        #expect(quiet == [.milliseconds(2), .milliseconds(1), .milliseconds(1)])
        sleep.adapt(toDrainOf: 1_000)
        sleep.adapt(toDrainOf: 1_000)
        sleep.reset()
        #expect(sleep.duration == .milliseconds(1))
    }
}
