import CRarenetPrefetch
import RarenetIdentity

/// The bounded table of processes the sensor attributes events to:
/// ``ProcessIdentity`` (pid + start time) → ``ProcessRecord``.
///
/// ## Feeding
/// - ``scanProcFS()`` once at start-up, after the kernel hooks are attached,
///   adds every process that started before the sensor.
/// - ``apply(_:)-(ProcessExec)`` for every exec record adds the process or
///   replaces its executable and arguments. The kernel's view wins: a process
///   that exits before anyone reads `/proc` keeps the executable of its exec.
/// - ``apply(_:)-(ProcessExit)`` for every exit record marks the process
///   exited. Its record stays for ``Configuration/exitGracePeriodNanoseconds``
///   of event time (or until evicted) so that events still in flight are
///   attributed.
/// - ``lookup(_:)`` for every event. A known process costs one dictionary
///   probe and no I/O, or less: the record last looked up for the same low
///   bits of the pid is checked first. On a miss (a process that never exec'd since the sensor
///   started, e.g. a fork) the table reads `/proc/<pid>` once, checking the
///   start time so that a reused pid is never mistaken for its former holder;
///   a process that is gone (or exiting: its exe link is gone) gets its parent's executable when
///   the event names the parent and the parent's image predates the child
///   (``ProcessRecord/Source/parent``: a fork that exits right after
///   connecting), else the path its executable file was learned under
///   (``ExecutableHint``), else it is a record of ``ProcessRecord/Source/unknown``;
///   either is remembered like an exited one, never an error.
/// - ``loadDetails(of:)`` before an alert adds what only enrichment needs
///   (working directory, full arguments, user name), once per process.
///
/// ## Bounds and eviction
/// The table never holds more than ``capacity`` records; its storage is
/// allocated up front and does not grow. When a new process needs room:
/// 1. exited processes go first, oldest exit first;
/// 2. otherwise a live process that no lookup touched recently is evicted, by
///    the CLOCK algorithm (an approximation of least recently used that costs
///    one store per lookup): a hand sweeps the records, sparing and clearing
///    each record touched since its last pass, and evicts the first untouched.
/// Evictions are counted in ``statistics``.
///
/// ## Threads
/// Not thread-safe and not `Sendable`: one thread (the scoring thread) owns
/// the table and its records. There are no locks.
public final class ProcessTable<Derived> {
    /// How the table is bounded and how long it remembers exited processes.
    public struct Configuration: Sendable, Hashable {
        /// How many processes the table holds at most.
        public var capacity: Int
        /// How long an exited process stays attributable, in event time
        /// (nanoseconds between its exit record and a later exec/exit record).
        public var exitGracePeriodNanoseconds: UInt64
        /// How many bytes of `/proc/<pid>/cmdline` are kept.
        public var argumentByteLimit: Int
        /// How many uid → user name entries are cached.
        public var userNameCacheCapacity: Int

        /// - Parameters:
        ///   - capacity: processes held at most (at least 1).
        ///   - exitGracePeriodNanoseconds: how long exited processes stay; 10 s by default.
        ///   - argumentByteLimit: bytes of arguments read from `/proc`.
        ///   - userNameCacheCapacity: uids whose names are cached.
        public init(
            capacity: Int = 65_536,
            exitGracePeriodNanoseconds: UInt64 = 10_000_000_000,
            argumentByteLimit: Int = 4096,
            userNameCacheCapacity: Int = 4096
        ) {
            self.capacity = max(1, capacity)
            self.exitGracePeriodNanoseconds = exitGracePeriodNanoseconds
            self.argumentByteLimit = max(0, argumentByteLimit)
            self.userNameCacheCapacity = userNameCacheCapacity
        }
    }

    /// What the table has done since it was created; monotonic counters.
    public struct Statistics: Sendable, Hashable {
        /// Exited processes evicted to make room.
        public var evictedExited: UInt64 = 0
        /// Live processes evicted to make room.
        public var evictedLive: UInt64 = 0
        /// Exited processes dropped when their grace period ended.
        public var expired: UInt64 = 0
        /// Processes read from `/proc` (initial scan and lookup misses).
        public var loadedFromProcFS: UInt64 = 0
        /// Lookups of a process that was neither in the table nor in `/proc`.
        public var unknown: UInt64 = 0
        /// Forks given their parent's executable: gone from `/proc`, or zombies there.
        public var inheritedFromParent: UInt64 = 0

        /// Every eviction to make room.
        public var evictions: UInt64 { evictedExited + evictedLive }
    }

    /// The record type of this table.
    public typealias Record = ProcessRecord<Derived>

    /// How the table is bounded.
    public let configuration: Configuration
    /// What the table has done.
    public private(set) var statistics = Statistics()

    /// Read per event, so without the dynamic exclusivity check: one thread
    /// owns the table (see "Threads"), and no access to it overlaps another.
    @exclusivity(unchecked) @usableFromInline var records: [ProcessIdentity: Record]
    /// The record last looked up for each value of the pid's low bits
    /// (``recentLookupCount`` entries, owned by the table): a connect burst of
    /// one process finds its record here without hashing its identity. An
    /// entry is only trusted while its record is resident. Unsafe storage, so
    /// that reading an entry costs no exclusivity check.
    @usableFromInline let recentLookups: UnsafeMutablePointer<Record?>
    /// Every record at its `slot`; `nil` marks a free slot. The CLOCK hand sweeps it.
    private var slots: ContiguousArray<Record?>
    private var freeSlots: [Int] = []
    private var hand = 0
    /// Exited (and unknown) records, oldest exit first: evicted before live ones.
    private var exited: RingQueue<Record>
    /// The identity of the latest-started process the table holds for each
    /// pid: how a gone fork finds its parent when the parent is gone from
    /// `/proc` too (an exited parent stays held for the grace period).
    private var identityByPID: [UInt32: ProcessIdentity] = [:]
    /// The latest event time seen in an exec or exit record.
    private var now: UInt64 = 0
    private var userNames: UserNameCache
    /// Paths of executable files, learned from execs and `/proc`.
    private var executableIndex: ExecutableIndex
    /// Containers by cgroup.
    private var containers: ContainerDirectory

    /// An empty table; every allocation it will need is made here.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        records = Dictionary(minimumCapacity: configuration.capacity)
        recentLookups = .allocate(capacity: Self.recentLookupCount)
        recentLookups.initialize(repeating: nil, count: Self.recentLookupCount)
        slots = []
        slots.reserveCapacity(configuration.capacity)
        exited = RingQueue(capacity: configuration.capacity)
        userNames = UserNameCache(capacity: configuration.userNameCacheCapacity)
        executableIndex = ExecutableIndex(capacity: configuration.capacity)
        containers = ContainerDirectory(capacity: configuration.capacity)
    }

    deinit {
        recentLookups.deinitialize(count: Self.recentLookupCount)
        recentLookups.deallocate()
    }

    /// How many processes the table holds at most.
    public var capacity: Int { configuration.capacity }

    /// How many processes the table holds.
    public var count: Int { records.count }

    // MARK: Lookup

    /// The record of `identity`, for an event of that process.
    ///
    /// One dictionary probe for a process the table holds; otherwise a single
    /// read of `/proc/<pid>`, after which the process is held. Never fails: a
    /// process that cannot be found has ``ProcessRecord/Source/unknown`` as
    /// its source and no executable.
    ///
    /// `executable` is what the event's own record says the process runs: for
    /// a process that is neither held nor in `/proc` any more (a fork that
    /// connected and exited), it names the executable through the files
    /// learned from other processes' execs and `/proc` (``executableIndex``).
    @inlinable
    public func lookup(_ identity: ProcessIdentity, executable: ExecutableHint = ExecutableHint()) -> Record {
        let recent = Int(identity.pid) & (Self.recentLookupCount - 1)
        if let record = recentLookups[recent], record.identity == identity, record.isResident {
            record.recentlyUsed = true
            return record
        }
        let record: Record
        if let resident = records[identity] {
            resident.recentlyUsed = true
            record = resident
        } else {
            record = loadMissing(identity, executable: executable)
        }
        recentLookups[recent] = record
        return record
    }

    /// Entries of ``recentLookups`` (a power of two): 32 KiB of references.
    @usableFromInline static var recentLookupCount: Int { 4_096 }

    /// Starts loading into the cache the record that ``lookup(_:)`` of
    /// `identity` will most likely find first; a hint, so call it some events
    /// ahead. Reads the entry's reference without retaining it: a retain would
    /// wait for the very cache line the prefetch is for.
    public func prefetchRecord(of identity: ProcessIdentity) {
        let entry = UnsafeRawPointer(recentLookups + (Int(identity.pid) & (Self.recentLookupCount - 1)))
        if let object = entry.load(as: UnsafeRawPointer?.self) { rarenet_prefetch(object) }
    }

    /// The record of `identity` if the table holds it; no I/O, and the lookup
    /// does not count as use for eviction.
    public func residentRecord(for identity: ProcessIdentity) -> Record? {
        records[identity]
    }

    @usableFromInline
    func loadMissing(_ identity: ProcessIdentity, executable hint: ExecutableHint) -> Record {
        if let record = loadFromProcFS(pid: identity.pid, expecting: identity) {
            // No executable, and no exec record told of one: a fork on its way
            // out (its exe link goes before it is a zombie), or a zombie already.
            if record.executable == nil {
                if let parentPID = hint.parentPID, let parent = imageParent(of: identity, parentPID: parentPID) {
                    inherit(record, from: parent)
                }
                complete(record, from: hint)
            }
            return record
        }
        statistics.unknown += 1
        let record = Record(identity: identity, source: .unknown)
        if let parentPID = hint.parentPID, let parent = imageParent(of: identity, parentPID: parentPID) {
            // A fork that is gone already.
            record.parentPID = parentPID
            record.uid = parent.uid
            record.comm = parent.comm
            inherit(record, from: parent)
        }
        complete(record, from: hint)
        record.container = containers.container(inCgroup: hint.cgroupID)
        insert(record)
        retire(record, until: now &+ configuration.exitGracePeriodNanoseconds)
        return record
    }

    // MARK: Feeding

    /// Adds every process in `/proc` that the table does not hold yet; returns
    /// how many it added. Call once after the kernel hooks are attached, so
    /// that a process is either in the scan or in an exec record.
    @discardableResult
    public func scanProcFS() -> Int {
        var added = 0
        for pid in ProcessDirectory.allPIDs() where loadFromProcFS(pid: pid, expecting: nil) != nil {
            added += 1
        }
        return added
    }

    /// Records that a process started running a new executable.
    ///
    /// The exec's executable, arguments, parent, uid and task name replace
    /// what the table knew; ``ProcessRecord/derived`` is cleared, since it was
    /// derived from the previous image. A path the kernel had to truncate is
    /// replaced by `/proc`'s full one while the process still runs.
    public func apply(_ exec: ProcessExec) {
        advanceClock(to: exec.timestampNanoseconds)
        let record = records[exec.identity] ?? insert(Record(identity: exec.identity, source: .exec))
        record.source = .exec
        record.parentPID = exec.parentPID
        record.uid = exec.uid
        record.comm = exec.comm
        record.executable = exec.executable
        record.executableSinceTicks = ClockTicks.system.ticks(fromNanoseconds: exec.timestampNanoseconds)
        if exec.executableTruncated, let directory = ProcessDirectory(pid: exec.identity.pid),
           directory.stat()?.startTicks == exec.identity.startTicks,
           let executable = directory.executable() {
            record.executable = executable
        }
        record.arguments = ArgumentVector.decode(exec.argumentBytes)
        record.argumentsTruncated = exec.argumentsTruncated
        record.executableFile = exec.executableFile
        record.mountNamespace = exec.mountNamespace
        record.container = containers.container(cgroupID: exec.cgroupID) {
            guard let directory = ProcessDirectory(pid: exec.identity.pid),
                  directory.stat()?.startTicks == exec.identity.startTicks else { return nil }
            return directory.cgroups()
        }
        learnExecutable(of: record)
        record.derived = nil
        record.detailsLoaded = false
        record.recentlyUsed = true
    }

    /// Records that a process exited. It stays attributable for the grace
    /// period; exited processes are the first to be evicted.
    public func apply(_ exit: ProcessExit) {
        advanceClock(to: exit.timestampNanoseconds)
        if let record = records[exit.identity], !record.hasExited {
            retire(record, until: exit.timestampNanoseconds &+ configuration.exitGracePeriodNanoseconds)
        }
        expireExited()
    }

    // MARK: Enrichment

    /// Completes `record` with what only an alert needs: the working
    /// directory, the full arguments when the exec record truncated them, and
    /// the user name. Reads `/proc` at most once per process (and again after
    /// an exec); for a process that is gone, what cannot be read stays `nil`.
    public func loadDetails(of record: Record) {
        guard !record.detailsLoaded else { return }
        record.detailsLoaded = true
        if let uid = record.uid {
            record.userName = userNames.name(of: uid)
        }
        guard !record.hasExited, record.workingDirectory == nil || record.argumentsTruncated,
              let directory = ProcessDirectory(pid: record.identity.pid),
              directory.stat()?.startTicks == record.identity.startTicks
        else { return }
        if record.workingDirectory == nil {
            record.workingDirectory = directory.workingDirectory()
        }
        if record.argumentsTruncated, let (arguments, truncated) = directory.arguments(limit: configuration.argumentByteLimit) {
            record.arguments = arguments
            record.argumentsTruncated = truncated
        }
    }

    /// Fills in what `hint` says `record`'s process runs and, when its
    /// executable is still unknown, the path that file was learned under.
    private func complete(_ record: Record, from hint: ExecutableHint) {
        record.executableFile = record.executableFile ?? hint.file
        record.mountNamespace = record.mountNamespace ?? hint.mountNamespace
        if record.executable == nil, let file = record.executableFile {
            record.executable = executableIndex.executable(of: file, inMountNamespace: record.mountNamespace)
        }
    }

    /// Gives the fork `record` its parent's image: a fork runs what its parent runs.
    private func inherit(_ record: Record, from parent: Record) {
        record.source = .parent
        record.executable = parent.executable
        record.executableSinceTicks = parent.executableSinceTicks
        record.executableFile = parent.executableFile
        record.mountNamespace = parent.mountNamespace
        record.container = parent.container
        record.arguments = parent.arguments
        record.argumentsTruncated = parent.argumentsTruncated
        statistics.inheritedFromParent += 1
    }

    /// The record of the process `parentPID` (from `/proc` when it is still
    /// there, else the latest the table holds with that pid, exited or not)
    /// when `child` can only have been forked from its current executable:
    /// the parent has one, and ran it already when the child started. `nil`
    /// otherwise, or when the parent is unknown too.
    private func imageParent(of child: ProcessIdentity, parentPID: UInt32) -> Record? {
        let identity: ProcessIdentity
        if let directory = ProcessDirectory(pid: parentPID), let stat = directory.stat() {
            identity = ProcessIdentity(pid: parentPID, startTicks: stat.startTicks)
        } else if let held = identityByPID[parentPID] {
            identity = held
        } else {
            return nil
        }
        guard identity.startTicks <= child.startTicks,
              let parent = records[identity] ?? loadFromProcFS(pid: parentPID, expecting: identity),
              parent.executable != nil,
              (parent.executableSinceTicks ?? parent.identity.startTicks) <= child.startTicks
        else { return nil }
        return parent
    }

    /// Remembers which path `record`'s executable file has, for processes
    /// that are gone before they can be read.
    private func learnExecutable(of record: Record) {
        guard let file = record.executableFile, let executable = record.executable else { return }
        executableIndex.learn(file, executable: executable, mountNamespace: record.mountNamespace)
    }

    // MARK: Storage

    /// Reads `/proc/<pid>` and holds the process (as exited if it is a
    /// zombie); `nil` when it is gone, or
    /// when it is not `expected` (the pid was reused) or is already held.
    private func loadFromProcFS(pid: UInt32, expecting expected: ProcessIdentity?) -> Record? {
        guard let directory = ProcessDirectory(pid: pid), let stat = directory.stat() else { return nil }
        let identity = ProcessIdentity(pid: pid, startTicks: stat.startTicks)
        guard expected == nil || expected == identity, records[identity] == nil else { return nil }
        let record = Record(identity: identity, source: .procfs)
        record.parentPID = stat.parentPID
        record.comm = stat.comm
        record.uid = directory.realUID()
        record.executable = directory.executable()
        if let (arguments, truncated) = directory.arguments(limit: configuration.argumentByteLimit) {
            record.arguments = arguments
            record.argumentsTruncated = truncated
        }
        record.workingDirectory = directory.workingDirectory()
        record.executableFile = directory.executableFile()
        record.mountNamespace = directory.mountNamespace()
        record.container = containers.container(cgroupID: 0) { directory.cgroups() }
        learnExecutable(of: record)
        statistics.loadedFromProcFS += 1
        insert(record)
        if stat.hasExited {
            // A zombie: its executable and arguments are gone already.
            retire(record, until: now &+ configuration.exitGracePeriodNanoseconds)
        }
        return record
    }

    /// Holds `record`, evicting one record first when the table is full.
    @discardableResult
    private func insert(_ record: Record) -> Record {
        if records.count >= configuration.capacity {
            evictOne()
        }
        if let slot = freeSlots.popLast() {
            slots[slot] = record
            record.slot = slot
        } else {
            record.slot = slots.count
            slots.append(record)
        }
        records[record.identity] = record
        let pid = record.identity.pid
        if let held = identityByPID[pid], held.startTicks > record.identity.startTicks {
            // An older holder of the pid, read late: the newer one stays.
        } else {
            identityByPID[pid] = record.identity
        }
        return record
    }

    /// Drops `record` from the table.
    private func remove(_ record: Record) {
        guard let slot = record.slot else { return }
        records[record.identity] = nil
        if identityByPID[record.identity.pid] == record.identity {
            identityByPID[record.identity.pid] = nil
        }
        slots[slot] = nil
        freeSlots.append(slot)
        record.slot = nil
    }

    /// Marks `record` exited, to be dropped at `expiry` or evicted first.
    private func retire(_ record: Record, until expiry: UInt64) {
        record.hasExited = true
        record.expiresAtNanoseconds = expiry
        exited.append(record)
    }

    /// Evicts the oldest exited record, or else the first record the CLOCK
    /// hand finds untouched since its last pass.
    private func evictOne() {
        while let record = exited.popFirst() {
            if record.isResident {
                remove(record)
                statistics.evictedExited += 1
                return
            }
        }
        // No exited record: every slot holds a live one, so the sweep ends
        // within two passes.
        while true {
            hand = hand + 1 < slots.count ? hand + 1 : 0
            guard let record = slots[hand] else { continue }
            if record.recentlyUsed {
                record.recentlyUsed = false
            } else {
                remove(record)
                statistics.evictedLive += 1
                return
            }
        }
    }

    /// Moves event time forward (never back: records from different CPUs
    /// arrive slightly out of order) and drops exited records whose grace
    /// period has ended.
    private func advanceClock(to timestamp: UInt64) {
        now = max(now, timestamp)
        expireExited()
    }

    private func expireExited() {
        while let oldest = exited.first, oldest.expiresAtNanoseconds <= now {
            _ = exited.popFirst()
            if oldest.isResident {
                remove(oldest)
                statistics.expired += 1
            }
        }
    }
}
