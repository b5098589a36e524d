import CLibBPF
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Routes libbpf's messages into swift-log at debug level, instead of libbpf's
/// default of printing them to stderr.
///
/// libbpf has one process-wide print callback; the logger of the most recent
/// ``route(to:)`` receives every message.
enum LibBPFLogging {
    private static let destination = Mutex<Logger?>(nil)

    /// Sends libbpf's messages to `logger` from now on.
    static func route(to logger: Logger) {
        destination.withLock { $0 = logger }
        _ = libbpf_set_print(forwardLibBPFMessage)
    }

    /// The longest message kept; a longer one (a huge verifier log) is cut, and says so.
    private static let messageCapacity = 64 << 10

    fileprivate static func log(level: libbpf_print_level, format: UnsafePointer<CChar>, arguments: CVaListPointer) {
        guard let logger = destination.withLock({ $0 }), logger.logLevel <= .debug else { return }
        var message = String(unsafeUninitializedCapacity: messageCapacity) { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                let length = Int(vsnprintf(characters.baseAddress, characters.count, format, arguments))
                return max(0, min(length, characters.count - 1))
            }
        }
        if message.utf8.count == messageCapacity - 1 {
            message += " [cut at \(messageCapacity) bytes]"
        }
        while message.last == "\n" { message.removeLast() }
        logger.debug("\(message)", metadata: ["libbpf": "\(levelName(level))"])
    }

    private static func levelName(_ level: libbpf_print_level) -> String {
        switch level {
        case LIBBPF_WARN: "warn"
        case LIBBPF_INFO: "info"
        default: "debug"
        }
    }
}

/// libbpf's print callback (a C function pointer, so it cannot capture).
private func forwardLibBPFMessage(
    level: libbpf_print_level, format: UnsafePointer<CChar>?, arguments: CVaListPointer?
) -> Int32 {
    if let format, let arguments {
        LibBPFLogging.log(level: level, format: format, arguments: arguments)
    }
    return 0
}
