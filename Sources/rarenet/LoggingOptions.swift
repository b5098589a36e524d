import ArgumentParser
import Logging

/// `--log-level`: structured logs (swift-log) on standard error.
struct LoggingOptions: ParsableArguments {
    @Option(help: "trace | debug | info | notice | warning | error | critical.")
    var logLevel: Logger.Level = .info

    /// Bootstraps swift-log once and returns the command's logger.
    func makeLogger() -> Logger {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "rarenet")
        logger.logLevel = logLevel
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
