#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address and port, for the tests' sockets.
public struct TestEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The address in network byte order: 4 or 16 bytes.
    public let address: [UInt8]
    public let port: UInt16

    public var family: Int32 { address.count == 4 ? AF_INET : AF_INET6 }

    public static func ipv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16 = 0) -> TestEndpoint {
        TestEndpoint(address: [a, b, c, d], port: port)
    }

    public static let ipv4Loopback = ipv4(127, 0, 0, 1)
    public static let ipv4Any = ipv4(0, 0, 0, 0)
    public static let ipv6Loopback = TestEndpoint(address: Array(repeating: 0, count: 15) + [1], port: 0)
    public static let ipv6Any = TestEndpoint(address: Array(repeating: 0, count: 16), port: 0)

    public func withPort(_ port: UInt16) -> TestEndpoint { TestEndpoint(address: address, port: port) }

    public var description: String { "\(address.map(String.init).joined(separator: family == AF_INET ? "." : ":")) port \(port)" }

    /// Calls `body` with this endpoint as a `sockaddr`.
    public func withSocketAddress<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var storage = sockaddr_storage()
        return withUnsafeMutableBytes(of: &storage) { raw in
            if family == AF_INET {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = port.bigEndian
                withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: self.address) }
                raw.storeBytes(of: address, as: sockaddr_in.self)
                return body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in>.size))
            }
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: self.address) }
            raw.storeBytes(of: address, as: sockaddr_in6.self)
            return body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
    }
}

/// A socket the test owns; closed on deinit.
public final class TestSocket {
    public let descriptor: Int32

    /// A socket of `type` (`SOCK_STREAM` or `SOCK_DGRAM`) in `family`.
    public init(type: __socket_type, family: Int32) throws {
        descriptor = socket(family, Int32(type.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestSystemError(operation: "socket", errno: errno) }
    }

    deinit {
        close(descriptor)
    }

    /// A bound socket of `type` (port 0: the kernel picks one).
    public static func bound(type: __socket_type, to endpoint: TestEndpoint) throws -> TestSocket {
        let socket = try TestSocket(type: type, family: endpoint.family)
        let result = endpoint.withSocketAddress { bind(socket.descriptor, $0, $1) }
        guard result == 0 else { throw TestSystemError(operation: "bind \(endpoint)", errno: errno) }
        return socket
    }

    /// A TCP listener on `endpoint`.
    public static func listening(on endpoint: TestEndpoint) throws -> TestSocket {
        let socket = try bound(type: SOCK_STREAM, to: endpoint)
        guard listen(socket.descriptor, 16) == 0 else { throw TestSystemError(operation: "listen", errno: errno) }
        return socket
    }

    /// A TCP socket connected to `endpoint`.
    public static func connected(to endpoint: TestEndpoint) throws -> TestSocket {
        let socket = try TestSocket(type: SOCK_STREAM, family: endpoint.family)
        let result = endpoint.withSocketAddress { connect(socket.descriptor, $0, $1) }
        guard result == 0 else { throw TestSystemError(operation: "connect \(endpoint)", errno: errno) }
        return socket
    }

    /// The local address and port (getsockname).
    public func localEndpoint() throws -> TestEndpoint {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { throw TestSystemError(operation: "getsockname", errno: errno) }
        return withUnsafeBytes(of: storage) { raw in
            if Int32(storage.ss_family) == AF_INET {
                let address = raw.loadUnaligned(as: sockaddr_in.self)
                return TestEndpoint(
                    address: withUnsafeBytes(of: address.sin_addr) { Array($0) }, port: UInt16(bigEndian: address.sin_port))
            }
            let address = raw.loadUnaligned(as: sockaddr_in6.self)
            return TestEndpoint(
                address: withUnsafeBytes(of: address.sin6_addr) { Array($0) }, port: UInt16(bigEndian: address.sin6_port))
        }
    }
}

public struct TestSystemError: Error, CustomStringConvertible {
    public let operation: String
    public let errno: Int32
    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }

    public init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }
}
