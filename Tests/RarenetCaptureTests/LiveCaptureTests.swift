import Foundation
import Logging
import RarenetCapture
import RarenetEvents
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
            try expect(#require(matches.first), madeBy: me, transport: .tcp)
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
        try expect(#require(matches.first), madeBy: me, transport: .tcp)
    }

    @Test(
        "TCP and UDP binds on IPv4 and IPv6 arrive once, with the bound address and the real port",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func binds() throws {
        try Privileges.requireRoot()
        let capture = try LiveCapture()
        let me = try TestProcessIdentity.current()
        let cases: [(type: __socket_type, endpoint: TestEndpoint, transport: TransportProtocol)] = [
            (SOCK_STREAM, .ipv4Loopback, .tcp), (SOCK_DGRAM, .ipv4Any, .udp),
            (SOCK_STREAM, .ipv6Loopback, .tcp), (SOCK_DGRAM, .ipv6Any, .udp),
        ]
        var bound: [(endpoint: TestEndpoint, transport: TransportProtocol, socket: TestSocket)] = []
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
            #expect(record.destinationPort == nil)
            #expect(record.destinationAddress == nil)
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

        let records = try capture.records { $0.exits.contains { $0.header.pid == UInt32(child.pid) } }
        let exec = try #require(records.execs.only { $0.header.pid == UInt32(child.pid) })
        #expect(exec.executablePath == realPath("/bin/bash"))
        #expect(!exec.isExecutableDeleted && !exec.isPathTruncated && !exec.areArgumentsTruncated)
        #expect(exec.arguments == ["bash", "-c", script])
        #expect(exec.ppid == UInt32(getpid()))
        #expect(exec.uid == getuid())
        #expect(exec.comm == "bash")

        let connect = try #require(records.network.only { $0.header.pid == UInt32(child.pid) && $0.action == .connect })
        #expect(connect.header.process == exec.header.process)
        #expect(connect.destinationPort == port)
        #expect(connect.comm == "bash")
        #expect(connect.ppid == UInt32(getpid()))

        let exit = try #require(records.exits.only { $0.header.pid == UInt32(child.pid) })
        #expect(exit.header.process == exec.header.process)
        #expect(exit.exitStatus == 0)
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

        let records = try capture.records { $0.exits.contains { $0.header.pid == UInt32(child.pid) } }
        let exec = try #require(records.execs.only { $0.header.pid == UInt32(child.pid) })
        #expect(exec.executablePath == realPath(copy))
        #expect(!exec.isExecutableDeleted)
        #expect(exec.comm == "rarenet-renamed")
        let connect = try #require(records.network.only { $0.header.pid == UInt32(child.pid) && $0.action == .connect })
        #expect(connect.header.process == exec.header.process)
        #expect(connect.family == .ipv6)
        #expect(connect.destinationAddress == TestEndpoint.ipv6Loopback.ipAddress)
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

        let records = try capture.records { $0.exits.contains { $0.header.pid == UInt32(child.pid) } }
        let exec = try #require(records.execs.only { $0.header.pid == UInt32(child.pid) })
        #expect(exec.executablePath == expectedPath)
        #expect(exec.isExecutableDeleted)
        let exit = try #require(records.exits.only { $0.header.pid == UInt32(child.pid) })
        #expect(exit.exitStatus == 3 << 8)
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

        let records = try capture.records { $0.exits.contains { $0.header.pid == UInt32(child.pid) } }
        let exec = try #require(records.execs.only { $0.header.pid == UInt32(child.pid) })
        #expect(exec.executablePath == "/memfd:rarenet-test")
        #expect(exec.isExecutableDeleted)
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
            records.network.contains { $0.header.pid == UInt32(child.pid) && $0.action == .connect }
        }
        #expect(!records.network.contains { $0.header.pid == UInt32(getpid()) })
    }

    @Test(
        "a refused TCP connect arrives once, with the source port its SYN used (the RST releases the port before connect(2) returns)",
        .enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func refusedConnect() throws {
        try Privileges.requireRoot()
        let capture = try LiveCapture()
        let me = try TestProcessIdentity.current()
        // A port nothing listens on, held (bound, not listening) so that nothing else takes it.
        let closed = try TestSocket.bound(type: SOCK_STREAM, to: .ipv4Loopback)
        let server = try closed.localEndpoint()
        let syns = try SYNWatcher()
        let client = try TestSocket(type: SOCK_STREAM, family: AF_INET)
        let result = server.withSocketAddress { connect(client.descriptor, $0, $1) }
        let error = errno
        try #require(result == -1 && error == ECONNREFUSED, "connect to a closed port: \(result), errno \(error)")
        let sourcePort = try #require(try syns.sourcePort(to: server, within: .seconds(5)), "no SYN to \(server) seen")
        let client4 = TestEndpoint.ipv4Loopback.withPort(sourcePort)
        let records = try capture.records { !$0.network.connects(of: me.pid, from: client4, to: server).isEmpty }
        let toServer = records.network.filter {
            $0.action == .connect && $0.header.pid == me.pid && $0.destinationPort == server.port
        }
        #expect(toServer.count == 1, "connects to \(server): \(toServer.map(\.sourcePort))")
        try expect(#require(toServer.first), madeBy: me, transport: .tcp)
        #expect(toServer.first?.sourcePort == sourcePort)
        withExtendedLifetime(closed) {}
    }

    /// Checks the identity and addresses of a record the test's own thread caused.
    private func expect(_ record: CapturedNetworkRecord, madeBy me: TestProcessIdentity, transport: TransportProtocol) throws {
        #expect(record.header.pid == me.pid)
        #expect(record.header.tid == me.tid)
        #expect(record.ppid == me.ppid)
        #expect(record.uid == me.uid)
        #expect(record.gid == me.gid)
        #expect(record.comm == me.comm)
        #expect(TestProcessIdentity.ticks(fromNanoseconds: record.header.processStartBootTimeNanoseconds) == me.startTimeTicks)
        #expect(record.transport == transport)
        #expect(record.hook == .tracepoint)
    }
}

/// The probes attached in tracepoint mode with the sensor's reader on their ring buffer.
private struct LiveCapture {
    let probes: KernelProbes
    let reader: LiveRecordReader

    /// By default nothing is excluded, so that the test's own events are captured.
    init(excludedProcessID: Int32? = nil) throws {
        let (logger, _) = CollectingLogHandler.logger()
        probes = try KernelProbes.attach(
            .init(attachMode: .tracepoint, excludedProcessID: excludedProcessID), logger: logger)
        reader = try LiveRecordReader(probes)
    }

    /// Every record read until `condition` holds, and whatever else the ring already holds.
    func records(until condition: ([CapturedRecord]) -> Bool) throws -> [CapturedRecord] {
        let satisfied = try reader.read(until: condition)
        try #require(satisfied, "the expected records did not arrive")
        reader.drain()
        #expect(reader.rejections.total == 0)
        return reader.records
    }
}

extension Array where Element == CapturedNetworkRecord {
    fileprivate func connects(of pid: UInt32, from client: TestEndpoint, to server: TestEndpoint) -> [CapturedNetworkRecord] {
        filter {
            $0.action == .connect && $0.header.pid == pid && $0.family == client.addressFamily
                && $0.sourceAddress == client.ipAddress && $0.sourcePort == client.port
                && $0.destinationAddress == server.ipAddress && $0.destinationPort == server.port
        }
    }

    fileprivate func binds(of pid: UInt32, at endpoint: TestEndpoint) -> [CapturedNetworkRecord] {
        filter {
            $0.action == .bind && $0.header.pid == pid && $0.family == endpoint.addressFamily
                && $0.sourceAddress == endpoint.ipAddress && $0.sourcePort == endpoint.port
        }
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

/// A raw IPv4 TCP socket: a copy of every TCP segment the host receives, here
/// to read the source port of a SYN as loopback delivers it.
private final class SYNWatcher {
    private let descriptor: Int32

    init() throws {
        descriptor = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_TCP))
        guard descriptor >= 0 else { throw TestSystemError(operation: "raw TCP socket", errno: errno) }
    }

    deinit {
        close(descriptor)
    }

    /// The source port of the first SYN to `server` received within `timeout`; nil if none came.
    func sourcePort(to server: TestEndpoint, within timeout: Duration) throws -> UInt16? {
        let deadline = ContinuousClock.now + timeout
        var packet = [UInt8](repeating: 0, count: 256)
        while ContinuousClock.now < deadline {
            var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&pollDescriptor, 1, 100) > 0 else { continue }
            let count = recv(descriptor, &packet, packet.count, 0)
            guard count >= 20 else { continue }
            let header = Int(packet[0] & 0x0f) * 4
            guard count >= header + 14, Array(packet[16..<20]) == server.address else { continue }
            let source = UInt16(packet[header]) << 8 | UInt16(packet[header + 1])
            let destination = UInt16(packet[header + 2]) << 8 | UInt16(packet[header + 3])
            let flags = packet[header + 13]
            if destination == server.port, flags & 0x02 != 0, flags & 0x10 == 0 { return source }
        }
        return nil
    }
}
