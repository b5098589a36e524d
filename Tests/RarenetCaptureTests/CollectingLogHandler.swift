import Logging
import Synchronization

/// A log handler that keeps every message, so that tests can assert what was logged.
struct CollectingLogHandler: LogHandler {
    /// One logged message.
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata
    }

    /// The messages of every logger made with ``logger(level:)``'s storage.
    final class Storage: Sendable {
        private let entries = Mutex<[Entry]>([])

        var all: [Entry] { entries.withLock { $0 } }

        fileprivate func append(_ entry: Entry) {
            entries.withLock { $0.append(entry) }
        }
    }

    let storage: Storage
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        storage.append(Entry(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }

    /// A logger at `level` whose messages land in the returned storage.
    static func logger(level: Logger.Level = .info) -> (Logger, Storage) {
        let storage = Storage()
        var logger = Logger(label: "rarenet.capture.tests") { _ in CollectingLogHandler(storage: storage, logLevel: level) }
        logger.logLevel = level
        return (logger, storage)
    }
}
