import Foundation
import RarenetTestSupport
import Testing

/// The test's own network and its regular clients: a namespace with a
/// listener at the namespace's address and two long-lived processes (bash and perl, both
/// always installed on Debian) that each connect to it every 100 ms, so they
/// are seen in every bucket of the baseline.
///
/// Connects to loopback are excluded from scoring, so scored traffic goes to
/// the namespace's address.
final class SteadyTraffic {
    private let namespace: TestNetworkNamespace
    private let listener: AcceptingListener
    let clients: [BackgroundChildProcess]

    /// The listener's address and port.
    var server: TestEndpoint { listener.endpoint }
    var serverAddress: String { namespace.namespaceAddressText }
    /// The host end of the namespace's veth pair.
    var hostAddress: String { namespace.hostAddressText }

    init() throws {
        namespace = try TestNetworkNamespace()
        let namespace = self.namespace
        listener = try AcceptingListener(namespace.run { try TestSocket.listening(on: namespace.namespaceAddress) })
        let port = listener.endpoint.port
        let address = namespace.namespaceAddressText
        clients = [
            try BackgroundChildProcess("/usr/bin/bash", [
                "bash", "-c", "exec 2>/dev/null; while :; do : 3<>/dev/tcp/\(address)/\(port); sleep 0.1; done",
            ]),
            try BackgroundChildProcess("/usr/bin/perl", [
                "perl", "-MIO::Socket::INET", "-e",
                "while (1) { IO::Socket::INET->new(PeerAddr => '\(address)', PeerPort => \(port)); select(undef, undef, undef, 0.1) }",
            ]),
        ]
    }

    /// The pids of the steady clients.
    var clientPIDs: [pid_t] { clients.map(\.pid) }

    /// Runs `shell` (bash, or a copy of it) once to connect to the listener and
    /// exit; returns its pid once it has exited.
    func connectOnce(with shell: String) throws -> pid_t {
        let child = try TestChildProcess.spawn(shell, [shell, "-c", ": 3<>/dev/tcp/\(serverAddress)/\(server.port)"])
        _ = try child.wait()
        return child.pid
    }
}
