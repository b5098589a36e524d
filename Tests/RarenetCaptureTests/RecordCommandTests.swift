import Foundation
import RarenetEvents
import RarenetTestSupport
import Testing

@testable import RarenetCapture

/// `rarenet record` end to end: the built binary, run as a separate process,
/// while the test makes connects and binds of its own.
@Suite("rarenet record", .serialized)
struct RecordCommandTests {
    @Test(
        "connects and binds are written as event lines with their process, until SIGINT or SIGTERM",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage), arguments: [SIGINT, SIGTERM])
    func recordsUntilSignalled(signal: Int32) throws {
        try Privileges.requireRoot()
        let directory = try TemporaryDirectory()
        let before = wallClock()
        let recording = try RecordingProcess(["record", "--attach", "tracepoint"], in: directory)
        try recording.waitUntilRecording()

        let me = try TestProcessIdentity.current()
        let listener = try TestSocket.listening(on: .ipv4Loopback)
        let server = try listener.localEndpoint()
        let client = try TestSocket.connected(to: server)
        let clientEndpoint = try client.localEndpoint()
        let datagram = try TestSocket.bound(type: SOCK_DGRAM, to: .ipv6Loopback)
        let datagramEndpoint = try datagram.localEndpoint()
        let child = try TestChildProcess.spawn("/bin/bash", ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\(server.port)"])
        #expect(try child.wait() == 0)

        let arrived = try waitUntil {
            try recording.events().contains { $0.pid == child.processID && $0.action == .connect }
        }
        try #require(arrived, "the child's connect was not recorded: \(recording.standardError)")
        try recording.child.signal(signal)
        #expect(try recording.exitCode() == 0)
        let after = wallClock()
        let events = try recording.events()

        let connect = try #require(events.only {
            $0.action == .connect && $0.pid == me.pid && $0.sourcePort == clientEndpoint.port
        })
        expect(connect, madeBy: me)
        #expect(connect.family == .ipv4)
        #expect(connect.transport == .tcp)
        #expect(connect.sourceAddress == clientEndpoint.ipAddress)
        #expect(connect.destinationAddress == server.ipAddress)
        #expect(connect.destinationPort == server.port)
        #expect(connect.timestamp >= before && connect.timestamp <= after)

        let listen = try #require(events.only { $0.action == .bind && $0.pid == me.pid && $0.sourcePort == server.port })
        expect(listen, madeBy: me)
        #expect(listen.transport == .tcp)
        #expect(listen.sourceAddress == server.ipAddress)
        #expect(listen.destinationAddress == nil && listen.destinationPort == nil)

        let bind = try #require(events.only {
            $0.action == .bind && $0.pid == me.pid && $0.sourcePort == datagramEndpoint.port
        })
        expect(bind, madeBy: me)
        #expect(bind.family == .ipv6)
        #expect(bind.transport == .udp)
        #expect(bind.sourceAddress == datagramEndpoint.ipAddress)

        let childConnect = try #require(events.only { $0.action == .connect && $0.pid == child.processID })
        #expect(childConnect.executable == realPath("/bin/bash"))
        #expect(childConnect.comm == "bash")
        #expect(childConnect.ppid == me.pid)
        #expect(childConnect.destinationPort == server.port)
        #expect(childConnect.user == "root")

        #expect(!events.contains { $0.pid == UInt32(recording.child.pid) }, "the recorder's own events are filtered")
    }

    @Test(
        "once recording, every thread holds only CAP_SYS_PTRACE, in a bounding set of just that, with no_new_privs",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func recorderDropsPrivileges() throws {
        try Privileges.requireRoot()
        let directory = try TemporaryDirectory()
        let recording = try RecordingProcess(["record", "--attach", "tracepoint"], in: directory)
        try recording.waitUntilRecording()
        // CAP_SYS_PTRACE (19): reads /proc/<pid>/exe of other users' processes.
        let kept: UInt64 = 1 << 19
        let process = ProcessInspection(pid: recording.child.pid)
        let threads = try process.threads()
        #expect(threads.count > 1)
        for thread in threads {
            let status = try process.status(thread: thread)
            let name = status.fields["Name"] ?? "?"
            #expect(status.capabilities("CapEff") == kept, "thread \(thread) \(name)")
            #expect(status.capabilities("CapPrm") == kept, "thread \(thread) \(name)")
            #expect(status.capabilities("CapBnd") == kept, "thread \(thread) \(name)")
            #expect(status.capabilities("CapAmb") == 0, "thread \(thread) \(name)")
            #expect(status.noNewPrivileges == true, "thread \(thread) \(name)")
        }
        try recording.child.signal(SIGTERM)
        #expect(try recording.exitCode() == 0)
    }

    @Test(
        "--duration ends the recording by itself; --output is created 0600 and holds the events",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func durationAndOutputFile() throws {
        try Privileges.requireRoot()
        let directory = try TemporaryDirectory()
        let path = directory.path + "/events.jsonl"
        let recording = try RecordingProcess(
            ["record", "--attach", "tracepoint", "--duration", "3s", "--output", path], in: directory)
        try recording.waitUntilRecording()
        let socket = try TestSocket.bound(type: SOCK_DGRAM, to: .ipv4Loopback)
        let endpoint = try socket.localEndpoint()

        #expect(try recording.exitCode() == 0)
        var status = stat()
        try #require(stat(path, &status) == 0)
        #expect(status.st_mode & 0o7777 == 0o600)
        let bind = try #require(RecordingProcess.events(in: path).only {
            $0.action == .bind && $0.pid == UInt32(getpid()) && $0.sourcePort == endpoint.port
        })
        #expect(bind.transport == .udp)
        #expect(bind.sourceAddress == endpoint.ipAddress)
        #expect(try recording.events().isEmpty, "nothing goes to standard output with --output")
    }

    @Test(
        "a symlink at the --output path is refused with exit status 2, naming the path",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func outputSymlinkIsRefused() throws {
        try Privileges.requireRoot()
        let directory = try TemporaryDirectory()
        let path = directory.path + "/events.jsonl"
        try #require(symlink(directory.path + "/elsewhere", path) == 0)
        let recording = try RecordingProcess(["record", "--duration", "1s", "--output", path], in: directory)
        #expect(try recording.exitCode() == 2)
        #expect(recording.standardError == "rarenet: --output: cannot open \(path): Too many levels of symbolic links\n")
        #expect(access(directory.path + "/elsewhere", F_OK) != 0)
    }

    @Test(
        "tracefs is mounted when absent: in a mount namespace without it, record mounts it and attaches",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func mountsTracefsWhenAbsent() throws {
        try Privileges.requireRoot()
        let directory = try TemporaryDirectory()
        // Private propagation: the unmounts happen only inside the new namespace.
        let unmountTracefs = """
            umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug 2>/dev/null
            if [ -e /sys/kernel/tracing/events ] || [ -e /sys/kernel/debug/tracing ]; then exit 99; fi
            exec "$@"
            """
        let recording = try RecordingProcess(
            ["record", "--attach", "tracepoint"],
            wrapper: ["unshare", "--mount", "--propagation", "private", "sh", "-c", unmountTracefs, "sh"],
            in: directory)
        try recording.waitUntilRecording()
        #expect(recording.standardError.contains("mounted tracefs"))
        let socket = try TestSocket.bound(type: SOCK_DGRAM, to: .ipv4Loopback)
        let endpoint = try socket.localEndpoint()
        let arrived = try waitUntil {
            try recording.events().contains { $0.action == .bind && $0.sourcePort == endpoint.port }
        }
        #expect(arrived, "the bind was not recorded: \(recording.standardError)")
        try recording.child.signal(SIGINT)
        #expect(try recording.exitCode() == 0)
        #expect(access("/sys/kernel/tracing/events", F_OK) == 0, "the host's tracefs stays mounted")
    }

    @Test(
        "without privileges record exits non-zero with one clear line naming what it needs",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func unprivilegedUserGetsOneClearLine() throws {
        try Privileges.requireRoot()
        let directory = try TemporaryDirectory()
        let recording = try RecordingProcess(
            ["record", "--attach", "tracepoint", "--duration", "1s"],
            wrapper: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
            in: directory)
        #expect(try recording.exitCode() == 1)
        let lines = recording.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(recording.standardError)")
        let line = try #require(lines.last)
        #expect(line.hasPrefix("rarenet: "))
        #expect(line.contains("not permitted") && line.contains("root") && line.contains("CAP_BPF"))
        #expect(!recording.standardError.contains("libbpf"))
    }

    @Test(
        "--attach kprobe on a kernel without kprobes exits non-zero naming CONFIG_KPROBES",
        .enabled(if: Privileges.testsShouldRun && !KernelFeatures.hasKprobes, "needs root and a kernel without kprobes"))
    func forcedKprobeNamesTheMissingFeature() throws {
        try Privileges.requireRoot()
        let directory = try TemporaryDirectory()
        let recording = try RecordingProcess(["record", "--attach", "kprobe", "--duration", "1s"], in: directory)
        #expect(try recording.exitCode() == 1)
        let line = try #require(recording.standardError.split(separator: "\n").last)
        #expect(line.hasPrefix("rarenet: cannot attach the connect hook with a kprobe"))
        #expect(line.contains("CONFIG_KPROBES"))
        #expect(!recording.standardError.contains("libbpf"))
    }

    @Test(
        "--attach auto on a kernel without kprobes falls back to tracepoints, says so, and records",
        .enabled(if: Privileges.testsShouldRun && !KernelFeatures.hasKprobes, "needs root and a kernel without kprobes"))
    func autoFallsBackAndSaysSo() throws {
        try Privileges.requireRoot()
        let directory = try TemporaryDirectory()
        let recording = try RecordingProcess(["record", "--attach", "auto", "--duration", "3s"], in: directory)
        try recording.waitUntilRecording()
        let socket = try TestSocket.bound(type: SOCK_DGRAM, to: .ipv4Loopback)
        let endpoint = try socket.localEndpoint()
        #expect(try recording.exitCode() == 0)
        let log = recording.standardError
        #expect(log.contains("network hooks will use tracepoints"))
        #expect(log.contains("CONFIG_KPROBES"))
        let attached = log.split(separator: "\n").filter { $0.contains("hook attached") }
        for hook in ["connect", "bind"] {
            #expect(attached.contains { $0.contains("hook=\(hook)") && $0.contains("mechanism=tracepoint") && $0.contains("fallback_reason=") })
        }
        #expect(try recording.events().contains { $0.action == .bind && $0.sourcePort == endpoint.port })
    }

    /// Checks the process fields of an event the test's own thread caused.
    private func expect(_ event: NetworkEvent, madeBy me: TestProcessIdentity) {
        #expect(event.pid == me.pid)
        #expect(event.ppid == me.ppid)
        #expect(event.uid == me.uid)
        // The process's name, never the thread's (a test thread's name is the runtime's).
        let executable = realPath("/proc/self/exe")
        #expect(event.comm != me.comm)
        #expect(event.comm == String(decoding: (executable.split(separator: "/").last ?? "").utf8.prefix(15), as: UTF8.self))
        #expect(event.executable == executable)
        #expect(event.user == "root")
        #expect(event.host == hostName())
    }
}

private func wallClock() -> EventTimestamp {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return EventTimestamp(nanosecondsSinceEpoch: Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec))
}

private func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
