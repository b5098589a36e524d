import Foundation
import RarenetTestSupport
import Testing
@testable import RarenetAttribution
#if canImport(Glibc)
import Glibc
#endif

/// The table's view of real processes, read from `/proc`.
@Suite("Process table: /proc")
struct ProcFSAttributionTests {
    @Test("a fork gone from /proc before its first event takes its parent's executable, when the parent ran it already")
    func goneForkTakesItsParentsExecutable() throws {
        let table = ProcessTable<Void>()
        let ownStat = try #require(ProcStatFields(pid: getpid()))
        // A child of this process that started after it and is gone: no /proc entry.
        let child = ProcessIdentity(pid: impossiblePID, startTicks: ownStat.startTicks + 1)

        let record = table.lookup(child, executable: ExecutableHint(parentPID: UInt32(getpid())))
        #expect(record.source == .parent)
        #expect(record.executable?.path == realPath(CommandLine.arguments[0]))
        #expect(record.parentPID == UInt32(getpid()))
        #expect(record.hasExited)
        #expect(table.statistics.inheritedFromParent == 1)
        #expect(table.lookup(ProcessIdentity(pid: impossiblePID + 1, startTicks: ownStat.startTicks)).source == .unknown,
                "without the parent's pid there is nothing to inherit")
    }

    @Test("a zombie no exec record told of (its exe link gone) is taken for a fork and given its parent's executable")
    func zombieTakesItsParentsExecutable() throws {
        // A child left unreaped: a zombie. It did exec /bin/true, but the table
        // has no exec record of it, which in the sensor (whose exec records come
        // before any event of a new image) means it never exec'd: a fork.
        // (Not fork() here: a forked copy of this test process would hold every
        // file the parallel tests have open for writing, and their execs of those
        // files fail with ETXTBSY.)
        let child = try TestChildProcess.spawn("/bin/true", ["true"])
        defer { _ = try? child.wait() }
        #expect(Polling.until(within: .seconds(10)) { ProcStatFields(pid: child.pid)?.state == "Z" })
        let table = ProcessTable<Void>()

        let record = table.lookup(try child.identity(), executable: ExecutableHint(parentPID: UInt32(getpid())))
        #expect(record.source == .parent)
        #expect(record.hasExited)
        #expect(record.executable?.path == realPath(CommandLine.arguments[0]))
    }

    @Test("a gone fork whose parent is gone too takes the executable of the parent's exec record")
    func goneForkOfAGoneParent() throws {
        let table = ProcessTable<Void>()
        let ticksPerSecond = ClockTicks.system.perSecond
        // The parent started at 10 s, exec'd at 10.5 s, forked the child at 11 s and exited at 12 s.
        let parent = ProcessIdentity(pid: impossiblePID, startTicks: 10 * ticksPerSecond)
        table.apply(ProcessExec(
            identity: parent, timestampNanoseconds: 10_500_000_000, parentPID: 1, uid: 0, comm: "dropper",
            executable: ExecutablePath(path: "/tmp/dropper", isDeleted: false), argumentBytes: Array("dropper\u{0}".utf8)))
        table.apply(ProcessExit(identity: parent, timestampNanoseconds: 12_000_000_000))

        let child = table.lookup(ProcessIdentity(pid: impossiblePID + 1, startTicks: 11 * ticksPerSecond), executable: ExecutableHint(parentPID: parent.pid))
        #expect(child.source == .parent)
        #expect(child.executable?.path == "/tmp/dropper")
        #expect(child.arguments == ["dropper"])
    }

    @Test("a gone fork does not take an executable its parent exec'd after the fork, nor one of a parent younger than itself")
    func goneForkOfAChangedParentIsUnknown() throws {
        let table = ProcessTable<Void>()
        let ownStat = try #require(ProcStatFields(pid: getpid()))
        let me = ProcessIdentity(pid: UInt32(getpid()), startTicks: ownStat.startTicks)
        let older = ProcessIdentity(pid: impossiblePID, startTicks: ownStat.startTicks - 1)
        #expect(table.lookup(older, executable: ExecutableHint(parentPID: me.pid)).source == .unknown, "a parent cannot be younger than its child")

        // This process "exec'd" two seconds after the child started: the child ran what came before.
        let childStart = ownStat.startTicks + 1
        let execTime = (childStart + 2 * ClockTicks.system.perSecond) * (1_000_000_000 / ClockTicks.system.perSecond)
        table.apply(ProcessExec(
            identity: me, timestampNanoseconds: execTime, parentPID: UInt32(getppid()), uid: getuid(), comm: "new-image",
            executable: ExecutablePath(path: "/opt/new-image", isDeleted: false), argumentBytes: []))
        let child = table.lookup(ProcessIdentity(pid: impossiblePID + 1, startTicks: childStart), executable: ExecutableHint(parentPID: me.pid))
        #expect(child.source == .unknown)
        #expect(child.executable == nil)
    }

    @Test("the initial scan finds this process and a child, with exe, args, cwd, parent and user")
    func initialScan() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sleepPath = realPath("/bin/sleep")
        let child = try TestChildProcess.spawn("/usr/bin/env", ["env", "--chdir=" + directory, sleepPath, "30", "0.5"])
        try #require(child.waitForExec(of: sleepPath))
        let table = ProcessTable<Void>()

        #expect(table.scanProcFS() >= 2)

        let ownStat = try #require(ProcStatFields(pid: getpid()))
        let own = try #require(table.residentRecord(for: ProcessIdentity(pid: UInt32(getpid()), startTicks: ownStat.startTicks)))
        #expect(own.source == .procfs)
        #expect(own.executable?.path == realPath(CommandLine.arguments[0]))
        #expect(own.parentPID == UInt32(getppid()))
        #expect(own.uid == getuid())
        #expect(own.workingDirectory == FileManager.default.currentDirectoryPath)

        let record = try #require(table.residentRecord(for: child.identity()))
        #expect(record.executable == ExecutablePath(path: sleepPath, isDeleted: false))
        #expect(record.arguments == [sleepPath, "30", "0.5"])
        #expect(!record.argumentsTruncated)
        #expect(record.workingDirectory == directory)
        #expect(record.parentPID == UInt32(getpid()))
        #expect(record.uid == getuid())
        #expect(record.comm == "sleep")

        table.loadDetails(of: record)
        #expect(record.userName == String(cString: getpwuid(getuid())!.pointee.pw_name))
    }

    @Test("a lookup miss reads /proc once; later lookups are the same record")
    func lookupMissLoadsOnce() throws {
        let child = try TestChildProcess.spawn("/bin/sleep", ["sleep", "30"])
        let identity = try child.identity()
        let table = ProcessTable<Void>()

        let first = table.lookup(identity)
        let second = table.lookup(identity)

        #expect(first === second)
        #expect(first.source == .procfs)
        #expect(first.executable?.path == realPath("/bin/sleep"))
        #expect(table.statistics.loadedFromProcFS == 1)
        #expect(table.count == 1)
    }

    @Test("a zombie is read as an exited process without executable, never an error")
    func zombie() throws {
        // false exits at once; unreaped, it stays a zombie.
        let child = try TestChildProcess.spawn("/bin/false", ["false"])
        try #require(waitUntil { ProcStatFields(pid: child.pid)?.state == "Z" })

        let table = ProcessTable<Void>()
        let record = table.lookup(try child.identity())

        #expect(record.source == .procfs)
        #expect(record.hasExited)
        #expect(record.executable == nil)
        #expect(record.comm == "false")
        #expect(record.parentPID == UInt32(getpid()))
    }

    @Test("a reused pid is not taken for the process that held it before")
    func pidReuse() throws {
        let child = try TestChildProcess.spawn("/bin/sleep", ["sleep", "30"])
        let live = try child.identity()
        let former = ProcessIdentity(pid: live.pid, startTicks: live.startTicks - 1)
        let table = ProcessTable<Void>()
        table.apply(ProcessExec(
            identity: former, timestampNanoseconds: 1, parentPID: 1, uid: 0, comm: "old",
            executable: ExecutablePath(path: "/opt/old/daemon", isDeleted: false), argumentBytes: Array("old\0".utf8)))

        #expect(table.lookup(former).executable?.path == "/opt/old/daemon")
        #expect(table.lookup(live).executable?.path == realPath("/bin/sleep"))
        // /proc now shows the live process, so an identity that matches neither is unknown.
        let neither = ProcessIdentity(pid: live.pid, startTicks: live.startTicks + 1)
        #expect(table.lookup(neither).source == .unknown)
        #expect(table.lookup(neither).executable == nil)
    }

    @Test("a process running an unlinked file is flagged deleted, in the kernel's (deleted) form")
    func deletedExecutable() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let copy = directory + "/implant"
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: copy)
        chmod(copy, 0o755)
        let child = try TestChildProcess.spawn(copy, ["implant", "30"])
        try FileManager.default.removeItem(atPath: copy)

        let table = ProcessTable<Void>()
        let record = table.lookup(try child.identity())

        let executable = try #require(record.executable)
        #expect(executable.origin == .deleted)
        #expect(executable.path == copy)
        #expect(executable.displayName == copy + " (deleted)")
    }

    @Test("a process running from a memfd is flagged memfd")
    func memfdExecutable() throws {
        // memfd_create without MFD_CLOEXEC, so that exec through /proc/self/fd/N can open it.
        let script = """
            import os
            fd = os.memfd_create('rarenet-test', 0)
            os.write(fd, open('/bin/sleep', 'rb').read())
            os.execv('/proc/self/fd/%d' % fd, ['payload', '30'])
            """
        let child = try TestChildProcess.spawn("/usr/bin/python3", ["python3", "-c", script])
        try #require(child.waitForExec(of: "/memfd:rarenet-test (deleted)"))

        let table = ProcessTable<Void>()
        let record = table.lookup(try child.identity())

        let executable = try #require(record.executable)
        #expect(executable.origin == .memfd)
        #expect(executable.path == "/memfd:rarenet-test")
        #expect(executable.displayName == "/memfd:rarenet-test (deleted)")
    }

    @Test("a process that renames itself (PR_SET_NAME) keeps its real executable")
    func renamedProcess() throws {
        // A task name with ") " in it also checks that /proc/<pid>/stat is parsed from its last ")".
        let disguise = "nginx) S 1 (x"
        let script = "import ctypes, time; ctypes.CDLL(None).prctl(15, b'\(disguise)', 0, 0, 0); time.sleep(30)"
        let child = try TestChildProcess.spawn("/usr/bin/python3", ["python3", "-c", script])
        try #require(waitUntil { ProcStatFields(pid: child.pid)?.comm == disguise }, "the child never renamed itself")

        let table = ProcessTable<Void>()
        let record = table.lookup(try child.identity())

        #expect(record.comm == disguise)
        #expect(record.parentPID == UInt32(getpid()))
        #expect(record.executable?.path == realPath("/usr/bin/python3"))
        #expect(record.arguments.first == "python3")
    }

    @Test("a process that lies in argv[0] keeps its real executable")
    func argvDisguise() throws {
        let child = try TestChildProcess.spawn("/bin/bash", ["bash", "-c", "exec -a nginx /bin/sleep 30"])
        let sleepPath = realPath("/bin/sleep")
        try #require(child.waitForExec(of: sleepPath))

        let table = ProcessTable<Void>()
        let record = table.lookup(try child.identity())

        #expect(record.arguments == ["nginx", "30"])
        #expect(record.executable?.path == sleepPath)
    }

    @Test("details of an exec-fed process come from /proc: cwd, full arguments, user name")
    func detailsOfExecFedProcess() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A valid duration for sleep (zero), long enough to pass the exec record's 256 bytes.
        let long = "0." + String(repeating: "0", count: 300)
        let sleepPath = realPath("/bin/sleep")
        let child = try TestChildProcess.spawn("/usr/bin/env", ["env", "--chdir=" + directory, "sleep", "30", long])
        try #require(child.waitForExec(of: sleepPath))
        let identity = try child.identity()
        let table = ProcessTable<Void>()
        // As the kernel reports it: the arguments cut at 256 bytes.
        let argumentBytes = Array(("sleep\u{0}30\u{0}" + long + "\u{0}").utf8.prefix(256))
        table.apply(ProcessExec(
            identity: identity, timestampNanoseconds: bootNanoseconds(), parentPID: UInt32(getpid()), uid: getuid(),
            comm: "sleep", executable: ExecutablePath(path: sleepPath, isDeleted: false),
            argumentBytes: argumentBytes, argumentsTruncated: true))

        let record = table.lookup(identity)
        #expect(record.source == .exec)
        #expect(record.workingDirectory == nil)
        #expect(record.argumentsTruncated)

        table.loadDetails(of: record)
        #expect(record.workingDirectory == directory)
        #expect(record.arguments == ["sleep", "30", long])
        #expect(!record.argumentsTruncated)
        #expect(record.userName == String(cString: getpwuid(getuid())!.pointee.pw_name))
        #expect(table.statistics.loadedFromProcFS == 0)
    }
}
