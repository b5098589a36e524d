import Foundation

/// What `/proc` says about another process: its status fields (capabilities,
/// memory, `no_new_privs`), its threads and its listening TCP sockets.
public struct ProcessInspection: Sendable {
    public let pid: pid_t

    public init(pid: pid_t) {
        self.pid = pid
    }

    /// The fields of `/proc/<pid>/status` (or of one thread's, `/proc/<pid>/task/<tid>/status`).
    public func status(thread: pid_t? = nil) throws -> ProcessStatus {
        let path = thread.map { "/proc/\(pid)/task/\($0)/status" } ?? "/proc/\(pid)/status"
        return ProcessStatus(try String(contentsOfFile: path, encoding: .utf8))
    }

    /// The ids of the process's threads.
    public func threads() throws -> [pid_t] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").compactMap { pid_t($0) }
    }

    /// The local endpoints of the TCP sockets the process holds open in the
    /// LISTEN state, IPv4 and IPv6, read from the process's own network
    /// namespace (`/proc/<pid>/net/tcp{,6}`) and matched by socket inode.
    public func listeningTCPEndpoints() throws -> [TestEndpoint] {
        let inodes = try socketInodes()
        var endpoints: [TestEndpoint] = []
        for (table, addressBytes) in [("tcp", 4), ("tcp6", 16)] {
            let text = try String(contentsOfFile: "/proc/\(pid)/net/\(table)", encoding: .utf8)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                guard fields.count > 9, fields[3] == "0A", let inode = UInt64(fields[9]), inodes.contains(inode),
                      let endpoint = Self.endpoint(hex: fields[1], addressBytes: addressBytes)
                else { continue }
                endpoints.append(endpoint)
            }
        }
        return endpoints
    }

    /// The inodes of the sockets among the process's file descriptors.
    private func socketInodes() throws -> Set<UInt64> {
        let directory = "/proc/\(pid)/fd"
        var inodes: Set<UInt64> = []
        for descriptor in try FileManager.default.contentsOfDirectory(atPath: directory) {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(descriptor)"),
                  target.hasPrefix("socket:["), let inode = UInt64(target.dropFirst(8).dropLast())
            else { continue }
            inodes.insert(inode)
        }
        return inodes
    }

    /// `0100007F:24D8` (IPv4) or 32 hex digits and a port (IPv6): the address
    /// as the kernel prints it, 32-bit words in host (little-endian) order.
    private static func endpoint(hex: Substring, addressBytes: Int) -> TestEndpoint? {
        let parts = hex.split(separator: ":")
        guard parts.count == 2, parts[0].count == addressBytes * 2, let port = UInt16(parts[1], radix: 16) else { return nil }
        var bytes: [UInt8] = []
        var word = parts[0][...]
        while !word.isEmpty {
            guard let value = UInt32(word.prefix(8), radix: 16) else { return nil }
            bytes += withUnsafeBytes(of: value.littleEndian) { Array($0) }
            word = word.dropFirst(8)
        }
        return TestEndpoint(address: bytes, port: port)
    }
}

/// The `Name:\tvalue` fields of a `/proc/<pid>/status` file.
public struct ProcessStatus: Sendable {
    public let fields: [String: String]

    public init(_ text: String) {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.fields = fields
    }

    /// A capability set (`CapEff`, `CapPrm`, `CapBnd`, `CapInh`, `CapAmb`) as a bit mask.
    public func capabilities(_ set: String) -> UInt64? {
        fields[set].flatMap { UInt64($0, radix: 16) }
    }

    /// The resident set size (`VmRSS`) in kilobytes.
    public var residentKilobytes: Int? {
        fields["VmRSS"]?.split(separator: " ").first.flatMap { Int($0) }
    }

    /// Whether `no_new_privs` is set.
    public var noNewPrivileges: Bool? {
        fields["NoNewPrivs"].map { $0 == "1" }
    }
}
