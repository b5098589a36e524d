import Foundation

/// A TCP listener whose own thread accepts every connection and closes it at
/// once, so clients can connect in a loop for as long as the test runs
/// without filling the accept queue.
public final class AcceptingListener {
    /// Where clients connect.
    public let endpoint: TestEndpoint
    private let socket: TestSocket
    private let acceptorFinished = DispatchSemaphore(value: 0)

    /// Takes over `socket`, a listening socket (see ``TestSocket/listening(on:)``).
    public init(_ socket: TestSocket) throws {
        self.socket = socket
        endpoint = try socket.localEndpoint()
        let descriptor = socket.descriptor
        let finished = acceptorFinished
        let acceptor = Thread {
            // accept fails (EINVAL) once deinit shuts the socket down.
            while true {
                let connection = accept(descriptor, nil, nil)
                if connection >= 0 {
                    close(connection)
                } else if errno != EINTR && errno != ECONNABORTED {
                    break
                }
            }
            finished.signal()
        }
        acceptor.name = "test-acceptor"
        acceptor.start()
    }

    deinit {
        shutdown(socket.descriptor, Int32(SHUT_RDWR))
        acceptorFinished.wait()
    }
}
