import RarenetCapture
import Synchronization
import Testing

/// The SPSC queue that carries decoded batches from the ring buffer consumer to the scoring thread.
@Suite("SPSCQueue")
struct RingBufferQueueTests {
    @Test func capacityIsRoundedUpToAPowerOfTwo() throws {
        #expect(try SPSCQueue<Int>(minimumCapacity: 1).capacity == 1)
        #expect(try SPSCQueue<Int>(minimumCapacity: 5).capacity == 8)
        #expect(try SPSCQueue<Int>(minimumCapacity: 64).capacity == 64)
    }

    @Test func refusesToPushWhenFullAndPopsNothingWhenEmpty() throws {
        let queue = try SPSCQueue<Int>(minimumCapacity: 4)
        #expect(queue.tryPop() == nil)
        for value in 0..<4 { #expect(queue.tryPush(value)) }
        #expect(!queue.tryPush(4))
        #expect(queue.tryPop() == 0)
        #expect(queue.tryPush(4))
        #expect((0..<4).compactMap { _ in queue.tryPop() } == [1, 2, 3, 4])
        #expect(queue.tryPop() == nil)
    }

    @Test func waitsGiveUpAtTheirTimeout() throws {
        let queue = try SPSCQueue<Int>(minimumCapacity: 1)
        #expect(queue.pop(timeout: .milliseconds(5)) == nil)
        #expect(queue.push(1, timeout: .zero))
        #expect(!queue.push(2, timeout: .milliseconds(5)))
        #expect(queue.pop(timeout: .zero) == 1)
    }

    @Test func twoThreadsPassEveryItemOnceAndInOrder() throws {
        let count = 1_000_000
        let queue = try SPSCQueue<Int>(minimumCapacity: 64)
        let producer = TestThread {
            var refusals = 0
            for value in 0..<count {
                // Mostly the non-blocking path; block when it refuses, so both ways are exercised.
                if !queue.tryPush(value) {
                    refusals += 1
                    precondition(queue.push(value, timeout: nil))
                }
            }
            return refusals
        }
        var expected = 0
        var outOfOrder = 0
        while expected < count {
            guard let value = queue.pop(timeout: nil) else { continue }
            if value != expected { outOfOrder += 1 }
            expected += 1
        }
        _ = try producer.join()
        #expect(outOfOrder == 0)
        #expect(expected == count)
        #expect(queue.tryPop() == nil)
    }

    @Test func aConsumerAsleepOnAnEmptyQueueIsWokenByAPush() throws {
        let queue = try SPSCQueue<[Int]>(minimumCapacity: 2)
        let consumer = TestThread { queue.pop(timeout: nil) }
        #expect(queue.push([1, 2, 3], timeout: nil))
        #expect(try consumer.join() == [1, 2, 3])
    }

    @Test func elementsLeftInTheQueueAreReleasedWithIt() throws {
        final class Tracked: Sendable {}
        let weakReferences: [Weak]
        do {
            let queue = try SPSCQueue<Tracked>(minimumCapacity: 8)
            let elements = (0..<5).map { _ in Tracked() }
            weakReferences = elements.map(Weak.init)
            for element in elements { #expect(queue.tryPush(element)) }
            _ = queue.tryPop()
        }
        #expect(weakReferences.allSatisfy { $0.object == nil })
    }
}

private struct Weak {
    weak var object: AnyObject?
    init(_ object: AnyObject) { self.object = object }
}
