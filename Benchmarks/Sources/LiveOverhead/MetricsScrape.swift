#if canImport(Glibc)
import Glibc
#endif

/// One GET of the sensor's Prometheus text endpoint, `http://127.0.0.1:<port>/metrics`.
struct MetricsScrape {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The exposition's sample lines (comments dropped).
    let samples: [Substring]

    init(port: UInt16) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "no metrics endpoint on 127.0.0.1:\(port)") }
        let request = Array("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard write(descriptor, request, request.count) == request.count else { throw Failure(description: "cannot send the metrics request") }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while response.count < 16 << 20 {
            let count = read(descriptor, &chunk, chunk.count)
            guard count > 0 else { break }
            response += chunk[..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        samples = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("HTTP/") }
    }

    /// The sum of every sample of the metric `name` (all label sets), or nil when there is none.
    func value(of name: String) -> Double? {
        let values = samples.compactMap { line -> Double? in
            guard line.hasPrefix(name), let next = line.dropFirst(name.count).first, next == "{" || next == " " else { return nil }
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return values.isEmpty ? nil : values.reduce(0, +)
    }
}

/// Waits for a freshly started sensor to serve its metrics, which it does once its probes are attached.
enum SensorReadiness {
    static func wait(forMetricsOn port: UInt16, sensor: SensorProcess, timeout: Duration = .seconds(30)) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if (try? MetricsScrape(port: port)) != nil { return }
            var status: Int32 = 0
            if waitpid(sensor.pid, &status, WNOHANG) == sensor.pid {
                throw MetricsScrape.Failure(description: "the sensor exited (status \(status)) before serving metrics")
            }
            usleep(20_000)
        }
        throw MetricsScrape.Failure(description: "the sensor served no metrics on 127.0.0.1:\(port) within \(timeout)")
    }
}
