import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking HTTP/1.1 client for loopback test servers: one request per
/// connection (`Connection: close`), reads until the server closes.
public enum LoopbackHTTP {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// Sends `method path` to 127.0.0.1:`port` and returns the parsed response.
    public static func request(
        _ method: String = "GET",
        port: Int,
        path: String,
        body: String = "",
        extraHeaders: [String] = []
    ) throws -> Response {
        var lines = ["\(method) \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Connection: close"]
        if !body.isEmpty { lines.append("Content-Length: \(body.utf8.count)") }
        lines += extraHeaders
        let raw = try exchange(port: port, request: Array((lines.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8))
        return try parse(raw)
    }

    /// Writes `request` and reads everything the server sends until it closes.
    public static func exchange(port: Int, request: [UInt8]) throws -> [UInt8] {
        let connection = try Connection(port: port)
        connection.send(request)
        return try connection.readUntilClosed()
    }

    /// One TCP connection to 127.0.0.1, closed on deinit; every read times out after 10 s.
    public final class Connection {
        private let fd: Int32

        /// Connects to `127.0.0.<host>:port`.
        public init(port: Int, host: UInt8 = 1) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in.loopback(port: port, host: host)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw Failure(description: "connect to port \(port): \(reason)")
            }
        }

        deinit { close(fd) }

        /// Sends as much of `bytes` as the server takes (it may close early, e.g. after a 413).
        public func send(_ bytes: [UInt8]) {
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { return }
                sent += n
            }
        }

        /// Reads until the server closes the connection.
        public func readUntilClosed() throws -> [UInt8] {
            var received: [UInt8] = []
            while let chunk = try read() { received += chunk }
            return received
        }

        /// Reads until what was received ends with `suffix` (or the server closes).
        public func read(endingWith suffix: String) throws -> String {
            var received: [UInt8] = []
            while !received.ends(with: Array(suffix.utf8)), let chunk = try read() { received += chunk }
            return String(decoding: received, as: UTF8.self)
        }

        /// The next bytes, or nil once the server has closed.
        private func read() throws -> [UInt8]? {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { return Array(chunk[..<n]) }
            if n == 0 || errno == ECONNRESET { return nil }
            throw Failure(description: "recv: \(String(cString: strerror(errno)))")
        }
    }

    /// Parses a status line, headers (names lowercased) and the body.
    public static func parse(_ raw: [UInt8]) throws -> Response {
        let text = String(decoding: raw, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else {
            throw Failure(description: "no complete response: \(text.debugDescription)")
        }
        let headLines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = headLines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line \(headLines[0].debugDescription)")
        }
        var headers: [String: String] = [:]
        for line in headLines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers, body: String(text[split.upperBound...]))
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (for servers that cannot report theirs).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension sockaddr_in {
    /// 127.0.0.1:`port`.
    /// `127.0.0.<host>:port`: any address of 127.0.0.0/8 is loopback, and one no
    /// other test listens on keeps a test's port from being taken over by another.
    public static func loopback(port: Int, host: UInt8 = 1) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t((UInt32(0x7f00_0000) | UInt32(host)).bigEndian)
        return address
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
