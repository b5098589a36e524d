#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 (an ephemeral port) and a loop of connects to it.
///
/// Each connect is a full loopback handshake followed by close: one
/// `sock:inet_sock_set_state` SYN_SENT event for the sensor. A thread accepts
/// and closes, so the backlog never fills.
final class ConnectLoop {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let port: UInt16
    private let listener: Int32

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 4096) == 0
                    && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else {
            close(listener)
            throw Failure(description: "cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        port = UInt16(bigEndian: address.sin_port)
        self.listener = listener
        var thread = pthread_t()
        pthread_create(&thread, nil, { argument in
            let descriptor = Int32(Int(bitPattern: argument))
            while true {
                let connection = accept(descriptor, nil, nil)
                if connection < 0 {
                    if errno == EINTR { continue }
                    return nil
                }
                close(connection)
            }
        }, UnsafeMutableRawPointer(bitPattern: Int(listener)))
        pthread_detach(thread)
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// Connects and closes `count` times; returns the seconds it took.
    func run(count: Int) throws -> Double {
        var address = Self.loopback(port: port)
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<count {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
            // Close with RST (linger 0): no TIME_WAIT, so ephemeral ports never run out.
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            let status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            let code = errno
            close(descriptor)
            guard status == 0 else { throw Failure(description: "connect to 127.0.0.1:\(port): \(String(cString: strerror(code)))") }
        }
        let (seconds, attoseconds) = (clock.now - start).components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }
}
