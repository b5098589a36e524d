#if canImport(Glibc)
import Glibc
#endif

/// The name of the host, as events and alerts carry it (`host`, `host.name`).
enum HostName {
    /// gethostname(2), or nil when it fails.
    static func current() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
