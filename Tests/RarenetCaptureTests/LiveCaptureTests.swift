import CRarenetBPF
import Foundation
import Logging
import RarenetCapture
import RarenetTestSupport
import Testing

/// The probes attached in tracepoint mode, watched while the test itself makes
/// the connects, binds and execs. Other processes run on the machine, so every
/// expectation is about the test's own process or the children it spawned.
@Suite("Live capture in tracepoint mode", .serialized)
struct LiveCaptureTests {
    @Test(
        "TCP connects over IPv4 and IPv6 to loopback arrive once, with the connecting thread's identity",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func loopbackConnects() throws {
        try Privileges.requireRoot()
        let capture = try LiveCapture()
        let me = try TestProcessIdentity.current()
        var connections: [(client: TestEndpoint, server: TestEndpoint, sockets: [TestSocket])] = []
        for loopback in [TestEndpoint.ipv4Loopback, .ipv6Loopback] {
            let listener = try TestSocket.listening(on: loopback)
            let server = try listener.localEndpoint()
            let client = try TestSocket.connected(to: server)
            connections.append((try client.localEndpoint(), server, [listener, client]))
        }
        let records = try capture.records { records in
            connections.allSatisfy { connection in
                !records.network.connects(of: me.pid, from: connection.client, to: connection.server).isEmpty
            }
        }
        for connection in connections {
            let matches = records.network.connects(of: me.pid, from: connection.client, to: connection.server)
            #expect(matches.count == 1, "connect \(connection.client) -> \(connection.server)")
            try expect(#require(matches.first), madeBy: me, transport: 6)
        }
    }

    @Test(
        "a TCP connect to a non-loopback address in a test network namespace arrives once",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func namespaceConnect() throws {
        try Privileges.requireRoot()
        let namespace = try TestNetworkNamespace()
        let capture = try LiveCapture()
        let me = try TestProcessIdentity.current()
        let listener = try namespace.run { try TestSocket.listening(on: namespace.namespaceAddress) }
        let server = try listener.localEndpoint()
        let client = try TestSocket.connected(to: server)
        let local = try client.localEndpoint()
        #expect(local.address == namespace.hostAddress.address)
        let records = try capture.records { !$0.network.connects(of: me.pid, from: local, to: server).isEmpty }
        let matches = records.network.connects(of: me.pid, from: local, to: server)
        #expect(matches.count == 1)
        try expect(#require(matches.first), madeBy: me, transport: 6)
    }

    @Test(
        "TCP and UDP binds on IPv4 and IPv6 arrive once, with the bound address and the real port",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func binds() throws {
        try Privileges.requireRoot()
        let capture = try LiveCapture()
        let me = try TestProcessIdentity.current()
        let cases: [(type: __socket_type, endpoint: TestEndpoint, transport: UInt16)] = [
            (SOCK_STREAM, .ipv4Loopback, 6), (SOCK_DGRAM, .ipv4Any, 17),
            (SOCK_STREAM, .ipv6Loopback, 6), (SOCK_DGRAM, .ipv6Any, 17),
        ]
        var bound: [(endpoint: TestEndpoint, transport: UInt16, socket: TestSocket)] = []
        for (type, endpoint, transport) in cases {
            let socket = try TestSocket.bound(type: type, to: endpoint)
            let local = try socket.localEndpoint()
            #expect(local.port != 0)
            bound.append((local, transport, socket))
        }
        // A bind that fails (the port is taken) is not an event.
        let taken = bound[0].endpoint
        #expect(throws: TestSystemError.self) { try TestSocket.bound(type: SOCK_STREAM, to: taken) }
        let marker = try TestSocket.bound(type: SOCK_DGRAM, to: .ipv4Loopback).localEndpoint()

        let records = try capture.records { !$0.network.binds(of: me.pid, at: marker).isEmpty }
        for (endpoint, transport, _) in bound {
            let matches = records.network.binds(of: me.pid, at: endpoint).filter { $0.transport == transport }
            #expect(matches.count == 1, "bind \(endpoint) protocol \(transport)")
            let record = try #require(matches.first)
            try expect(record, madeBy: me, transport: transport)
            #expect(record.destinationPort == 0)
            #expect(record.destinationAddress.allSatisfy { $0 == 0 })
        }
    }

    @Test(
        "a child that connects and exits at once is attributed to its executable by its exec record",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func shortLivedChild() throws {
        try Privileges.requireRoot()
        let capture = try LiveCapture()
        let listener = try TestSocket.listening(on: .ipv4Loopback)
        let port = try listener.localEndpoint().port
        let script = "exec 3<>/dev/tcp/127.0.0.1/\(port)"
        let child = try TestChildProcess.spawn("/bin/bash", ["bash", "-c", script])
        #expect(try child.wait() == 0)

        let records = try capture.records { $0.exits.contains { $0.process.pid == UInt32(child.pid) } }
        let exec = try #require(records.execs.only { $0.process.pid == UInt32(child.pid) })
        #expect(exec.path == realPath("/bin/bash"))
        #expect(!exec.isDeleted && !exec.isTruncated)
        #expect(exec.arguments == ["bash", "-c", script])
        #expect(exec.ppid == UInt32(getpid()))
        #expect(exec.uid == getuid())
        #expect(exec.comm == "bash")

        let connect = try #require(records.network.only { $0.process.pid == UInt32(child.pid) && $0.isConnect })
        #expect(connect.process == exec.process)
        #expect(connect.destinationPort == port)
        #expect(connect.comm == "bash")
        #expect(connect.ppid == UInt32(getpid()))

        let exit = try #require(records.exits.only { $0.process.pid == UInt32(child.pid) })
        #expect(exit.process == exec.process)
        #expect(exit.exitCode == 0)
    }

    @Test(
        "an executable copied to a new path is reported at that path",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func copiedExecutable() throws {
        try Privileges.requireRoot()
        let directory = try TemporaryDirectory()
        let copy = try directory.copy("/bin/bash", as: "rarenet-renamed-shell")
        let capture = try LiveCapture()
        let listener = try TestSocket.listening(on: .ipv6Loopback)
        let port = try listener.localEndpoint().port
        let child = try TestChildProcess.spawn(copy, ["renamed", "-c", "exec 3<>/dev/tcp/::1/\(port)"])
        #expect(try child.wait() == 0)

        let records = try capture.records { $0.exits.contains { $0.process.pid == UInt32(child.pid) } }
        let exec = try #require(records.execs.only { $0.process.pid == UInt32(child.pid) })
        #expect(exec.path == realPath(copy))
        #expect(!exec.isDeleted)
        #expect(exec.comm == "rarenet-renamed")
        let connect = try #require(records.network.only { $0.process.pid == UInt32(child.pid) && $0.isConnect })
        #expect(connect.process == exec.process)
        #expect(connect.family == 10)
        #expect(connect.destinationAddress == TestEndpoint.ipv6Loopback.address)
    }

    @Test(
        "an executable unlinked before it runs is reported at its path and flagged deleted",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func deletedExecutable() throws {
        try Privileges.requireRoot()
        let directory = try TemporaryDirectory()
        let copy = try directory.copy("/bin/bash", as: "deleted-shell")
        let expectedPath = realPath(copy)
        let descriptor = open(copy, O_RDONLY | O_CLOEXEC)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        try #require(unlink(copy) == 0)
        let capture = try LiveCapture()
        let child = try TestChildProcess.spawn("/proc/self/fd/3", ["deleted-shell", "-c", "exit 3"], passing: descriptor)
        #expect(try child.wait() == 3 << 8)

        let records = try capture.records { $0.exits.contains { $0.process.pid == UInt32(child.pid) } }
        let exec = try #require(records.execs.only { $0.process.pid == UInt32(child.pid) })
        #expect(exec.path == expectedPath)
        #expect(exec.isDeleted)
        let exit = try #require(records.exits.only { $0.process.pid == UInt32(child.pid) })
        #expect(exit.exitCode == 3 << 8)
    }

    @Test(
        "an executable run from a memfd is reported as /memfd:<name>, flagged deleted",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func memfdExecutable() throws {
        try Privileges.requireRoot()
        let memfd = try MemoryFile(name: "rarenet-test", contents: Data(contentsOf: URL(fileURLWithPath: "/bin/bash")))
        let capture = try LiveCapture()
        let child = try TestChildProcess.spawn("/proc/self/fd/3", ["fileless", "-c", "exit 0"], passing: memfd.descriptor)
        #expect(try child.wait() == 0)

        let records = try capture.records { $0.exits.contains { $0.process.pid == UInt32(child.pid) } }
        let exec = try #require(records.execs.only { $0.process.pid == UInt32(child.pid) })
        #expect(exec.path == "/memfd:rarenet-test")
        #expect(exec.isDeleted)
        #expect(exec.arguments == ["fileless", "-c", "exit 0"])
    }

    @Test(
        "the sensor's own process is filtered in the kernel",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func ownProcessIsFiltered() throws {
        try Privileges.requireRoot()
        let capture = try LiveCapture(excludedProcessID: getpid())
        let listener = try TestSocket.listening(on: .ipv4Loopback)
        let port = try listener.localEndpoint().port
        let ownConnect = try TestSocket.connected(to: .ipv4Loopback.withPort(port))
        _ = ownConnect
        // The child's connect comes after the test's own: once it is read, the test's would have been too.
        let child = try TestChildProcess.spawn("/bin/bash", ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\(port)"])
        #expect(try child.wait() == 0)

        let records = try capture.records { records in
            records.network.contains { $0.process.pid == UInt32(child.pid) && $0.isConnect }
        }
        #expect(!records.network.contains { $0.process.pid == UInt32(getpid()) })
    }

    /// Checks the identity and addresses of a record the test's own thread caused.
    private func expect(_ record: ObservedNetwork, madeBy me: TestProcessIdentity, transport: UInt16) throws {
        #expect(record.process.pid == me.pid)
        #expect(record.tid == me.tid)
        #expect(record.ppid == me.ppid)
        #expect(record.uid == me.uid)
        #expect(record.gid == me.gid)
        #expect(record.comm == me.comm)
        #expect(TestProcessIdentity.ticks(fromNanoseconds: record.process.startTimeNanoseconds) == me.startTimeTicks)
        #expect(record.transport == transport)
        #expect(UInt32(record.hook) == RARENET_HOOK_TRACEPOINT.rawValue)
    }
}

/// The probes attached in tracepoint mode with a reader on their ring buffer.
private struct LiveCapture {
    let probes: KernelProbes
    let reader: TestRingReader

    /// By default nothing is excluded, so that the test's own events are captured.
    init(excludedProcessID: Int32? = nil) throws {
        let (logger, _) = CollectingLogHandler.logger()
        probes = try KernelProbes.attach(
            .init(attachMode: .tracepoint, excludedProcessID: excludedProcessID), logger: logger)
        reader = try TestRingReader(probes)
    }

    /// Every record read until `condition` holds, and whatever else the ring already holds.
    func records(until condition: ([ObservedRecord]) -> Bool) throws -> [ObservedRecord] {
        let satisfied = try reader.read(until: condition)
        try #require(satisfied, "the expected records did not arrive")
        try reader.drain()
        #expect(reader.undecodable == 0)
        return reader.records
    }
}

extension Array where Element == ObservedNetwork {
    fileprivate func connects(of pid: UInt32, from client: TestEndpoint, to server: TestEndpoint) -> [ObservedNetwork] {
        filter {
            $0.isConnect && $0.process.pid == pid && $0.family == UInt16(client.family)
                && $0.sourceAddress == client.address && $0.sourcePort == client.port
                && $0.destinationAddress == server.address && $0.destinationPort == server.port
        }
    }

    fileprivate func binds(of pid: UInt32, at endpoint: TestEndpoint) -> [ObservedNetwork] {
        filter {
            $0.isBind && $0.process.pid == pid && $0.family == UInt16(endpoint.family)
                && $0.sourceAddress == endpoint.address && $0.sourcePort == endpoint.port
        }
    }
}

extension Array {
    /// The one element matching `predicate`; `nil` (and a recorded issue) if there are none or several.
    fileprivate func only(_ predicate: (Element) -> Bool) -> Element? {
        let matches = filter(predicate)
        #expect(matches.count == 1, "expected exactly one matching record")
        return matches.count == 1 ? matches[0] : nil
    }
}

private func realPath(_ path: String) -> String {
    URL(fileURLWithPath: path).resolvingSymlinksInPath().path
}

/// A directory under the system's temporary directory, removed with its contents on deinit.
private final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("rarenet-capture-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Copies `source` into the directory as an executable named `name`.
    func copy(_ source: String, as name: String) throws -> String {
        let destination = path + "/" + name
        try FileManager.default.copyItem(atPath: source, toPath: destination)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: destination)
        return destination
    }
}

/// An anonymous in-memory file (memfd_create(2)), closed on deinit.
private final class MemoryFile {
    let descriptor: Int32

    /// libc's memfd_create, looked up at run time: Swift's Glibc module does not export it.
    private static let create: (@convention(c) (UnsafePointer<CChar>, UInt32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memfd_create") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafePointer<CChar>, UInt32) -> Int32).self)
    }()

    init(name: String, contents: Data) throws {
        guard let create = Self.create else { throw TestSystemError(operation: "memfd_create (not in libc)", errno: ENOSYS) }
        descriptor = create(name, 0)
        guard descriptor >= 0 else { throw TestSystemError(operation: "memfd_create", errno: errno) }
        let written = contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == contents.count else {
            close(descriptor)
            throw TestSystemError(operation: "write memfd", errno: errno)
        }
    }

    deinit {
        close(descriptor)
    }
}
