import RarenetEvents

/// Where the metrics endpoint listens (`--metrics-address`, `outputs.metrics_address`).
///
/// Text forms: `host:port` (`127.0.0.1:9464`, `localhost:9464`), a bracketed IPv6
/// address (`[::1]:9464`), or `0` to disable the endpoint. Port 0 picks a free
/// port (useful in tests).
public enum MetricsAddress: Sendable, Hashable, CustomStringConvertible {
    /// No metrics endpoint.
    case disabled
    /// Listen on this host name or IP address and TCP port.
    case listen(host: String, port: Int)

    /// The default: loopback only, port 9464.
    public static let `default` = MetricsAddress.listen(host: "127.0.0.1", port: 9464)

    /// Parses the text form; throws a ``MetricsAddressError`` naming the problem.
    public init(parsing text: String) throws(MetricsAddressError) {
        if text == "0" {
            self = .disabled
            return
        }
        guard let colon = text.lastIndex(of: ":") else {
            throw MetricsAddressError(text: text, problem: "expected host:port")
        }
        let hostPart = text[..<colon]
        let portPart = text[text.index(after: colon)...]
        guard let port = Int(portPart), portPart.allSatisfy(\.isASCII), (0...65535).contains(port) else {
            throw MetricsAddressError(text: text, problem: "the port must be a number from 0 to 65535")
        }
        if hostPart.hasPrefix("[") && hostPart.hasSuffix("]") {
            let inner = hostPart.dropFirst().dropLast()
            guard let address = IPAddress(inner), address.family == .ipv6 else {
                throw MetricsAddressError(text: text, problem: "\(inner) is not an IPv6 address")
            }
            self = .listen(host: String(inner), port: port)
        } else if hostPart.contains(":") {
            throw MetricsAddressError(text: text, problem: "put an IPv6 address in brackets, e.g. [::1]:9464")
        } else if Self.isHostName(hostPart) {
            self = .listen(host: String(hostPart), port: port)
        } else {
            throw MetricsAddressError(text: text, problem: "\"\(hostPart)\" is not a host name or IP address")
        }
    }

    /// The text form, which ``init(parsing:)`` reads back.
    public var description: String {
        switch self {
        case .disabled: "0"
        case .listen(let host, let port) where host.contains(":"): "[\(host)]:\(port)"
        case .listen(let host, let port): "\(host):\(port)"
        }
    }

    /// Letters, digits, `-` and `.` (which covers IPv4 literals), at most 253 characters.
    private static func isHostName(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 253
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
    }
}

/// A metrics address that could not be parsed.
public struct MetricsAddressError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text as given.
    public var text: String
    /// What is wrong with it.
    public var problem: String

    /// One line: the address and the problem.
    public var description: String {
        "invalid metrics address \"\(text)\": \(problem) (or 0 to disable)"
    }
}
