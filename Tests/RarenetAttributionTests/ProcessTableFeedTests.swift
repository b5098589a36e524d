import Testing
@testable import RarenetAttribution

/// The table fed by kernel exec and exit records, for processes that are not
/// (or no longer) in /proc: pids above the kernel's limit never are.
@Suite("Process table: exec and exit records")
struct ProcessTableFeedTests {
    static let second: UInt64 = 1_000_000_000

    /// An exec record of a process that does not exist in /proc.
    static func exec(_ index: UInt32, at timestamp: UInt64 = 0, path: String? = nil) -> ProcessExec {
        ProcessExec(
            identity: identity(index), timestampNanoseconds: timestamp, parentPID: 1, uid: 0, comm: "worker",
            executable: ExecutablePath(path: path ?? "/opt/app/worker-\(index)", isDeleted: false),
            argumentBytes: Array("worker\u{0}--id\u{0}\(index)\u{0}".utf8))
    }

    static func identity(_ index: UInt32) -> ProcessIdentity {
        ProcessIdentity(pid: impossiblePID + index, startTicks: 1000 + UInt64(index))
    }

    static func exit(_ index: UInt32, at timestamp: UInt64) -> ProcessExit {
        ProcessExit(identity: identity(index), timestampNanoseconds: timestamp)
    }

    @Test("an exec record defines the process: exe, args, parent, uid, comm")
    func execDefinesProcess() {
        let table = ProcessTable<Void>()
        table.apply(Self.exec(1))

        let record = table.lookup(Self.identity(1))
        #expect(record.source == .exec)
        #expect(record.executable?.path == "/opt/app/worker-1")
        #expect(record.arguments == ["worker", "--id", "1"])
        #expect(record.parentPID == 1)
        #expect(record.uid == 0)
        #expect(record.comm == "worker")
        #expect(!record.hasExited)
        #expect(table.statistics.loadedFromProcFS == 0)
    }

    @Test("an exited process keeps the exe of its exec, though /proc never had it")
    func exitedKeepsExecExecutable() {
        let table = ProcessTable<Void>()
        table.apply(Self.exec(1, at: 1 * Self.second))
        table.apply(Self.exit(1, at: 2 * Self.second))

        let record = table.lookup(Self.identity(1))
        #expect(record.hasExited)
        #expect(record.executable?.path == "/opt/app/worker-1")
        table.loadDetails(of: record)
        #expect(record.workingDirectory == nil)
        #expect(record.userName == "root")
    }

    @Test("a process neither seen nor in /proc is unknown, and stays so without another /proc read")
    func unknownProcess() {
        let table = ProcessTable<Void>()
        let record = table.lookup(Self.identity(7))

        #expect(record.source == .unknown)
        #expect(record.executable == nil)
        #expect(record.arguments.isEmpty)
        #expect(table.lookup(Self.identity(7)) === record)
        #expect(table.statistics.unknown == 1)
        table.loadDetails(of: record)
        #expect(record.workingDirectory == nil)
    }

    @Test("an exited process is dropped when its grace period has passed in event time")
    func gracePeriod() {
        let table = ProcessTable<Void>(configuration: .init(exitGracePeriodNanoseconds: 5 * Self.second))
        table.apply(Self.exec(1, at: 1 * Self.second))
        table.apply(Self.exit(1, at: 2 * Self.second))
        table.apply(Self.exec(2, at: 6 * Self.second))
        #expect(table.residentRecord(for: Self.identity(1)) != nil)

        table.apply(Self.exec(3, at: 7 * Self.second))
        #expect(table.residentRecord(for: Self.identity(1)) == nil)
        #expect(table.statistics.expired == 1)
        #expect(table.count == 2)
    }

    @Test("derived data is kept across lookups and cleared by an exec")
    func derivedData() {
        let table = ProcessTable<UInt64>()
        table.apply(Self.exec(1))
        table.lookup(Self.identity(1)).derived = 0xfeed

        #expect(table.lookup(Self.identity(1)).derived == 0xfeed)
        table.apply(Self.exec(1, path: "/usr/bin/other"))
        let record = table.lookup(Self.identity(1))
        #expect(record.derived == nil)
        #expect(record.executable?.path == "/usr/bin/other")
        #expect(table.count == 1)
    }

    @Test("a flood of 10^6 distinct processes never grows the table past its capacity")
    func flood() {
        let capacity = 1024
        let floodSize: UInt32 = 1_000_000
        let table = ProcessTable<Void>(configuration: .init(capacity: capacity))
        var largest = 0
        for index in 0..<floodSize {
            table.apply(Self.exec(index))
            largest = max(largest, table.count)
        }

        #expect(largest == capacity)
        #expect(table.statistics.evictedLive == UInt64(floodSize) - UInt64(capacity))
        #expect(table.statistics.evictions == UInt64(floodSize) - UInt64(capacity))
        #expect(table.residentRecord(for: Self.identity(floodSize - 1)) != nil)
    }

    @Test("exited processes are evicted before live ones, oldest exit first")
    func exitedEvictedFirst() {
        let table = ProcessTable<Void>(configuration: .init(capacity: 4))
        for index: UInt32 in 0..<4 { table.apply(Self.exec(index, at: 1)) }
        table.apply(Self.exit(2, at: 2))
        table.apply(Self.exit(0, at: 3))

        table.apply(Self.exec(4, at: 4))
        table.apply(Self.exec(5, at: 4))
        table.apply(Self.exec(6, at: 4))

        #expect(table.residentRecord(for: Self.identity(2)) == nil)
        #expect(table.residentRecord(for: Self.identity(0)) == nil)
        #expect(table.statistics.evictedExited == 2)
        #expect(table.statistics.evictedLive == 1)
        #expect(table.count == 4)
    }

    @Test("a process looked up since the eviction hand last passed survives; an idle one goes")
    func recentlyUsedSurvives() {
        let table = ProcessTable<Void>(configuration: .init(capacity: 4))
        for index: UInt32 in 0..<4 { table.apply(Self.exec(index)) }
        // The first eviction sweeps once, clearing every mark, and evicts one record.
        table.apply(Self.exec(4))
        let survivors = (0..<4).filter { table.residentRecord(for: Self.identity($0)) != nil }
        #expect(survivors.count == 3)

        // Touch all survivors but one: that one is the next to go.
        let idle = survivors[1]
        for index in survivors where index != idle { _ = table.lookup(Self.identity(index)) }
        _ = table.lookup(Self.identity(4))
        table.apply(Self.exec(5))

        #expect(table.residentRecord(for: Self.identity(idle)) == nil)
        for index in survivors where index != idle {
            #expect(table.residentRecord(for: Self.identity(index)) != nil)
        }
    }

    @Test("a record looked up, then evicted, is never handed out again; a pid's next holder gets its own record")
    func evictedRecordIsNotReturned() {
        let table = ProcessTable<Void>(configuration: .init(capacity: 2))
        table.apply(Self.exec(0, at: 1))
        let evicted = table.lookup(Self.identity(0))
        #expect(table.lookup(Self.identity(0)) === evicted)
        table.apply(Self.exit(0, at: 2))
        table.apply(Self.exec(1, at: 3))
        table.apply(Self.exec(2, at: 3))
        #expect(table.residentRecord(for: Self.identity(0)) == nil)

        // Same pid, another start time: a reused pid is another process.
        let reused = ProcessIdentity(pid: Self.identity(1).pid, startTicks: Self.identity(1).startTicks + 1)
        #expect(table.lookup(Self.identity(1)).executable?.path == "/opt/app/worker-1")
        #expect(table.lookup(reused).source == .unknown)

        let again = table.lookup(Self.identity(0))
        #expect(again !== evicted)
        #expect(again.source == .unknown)
    }
}
