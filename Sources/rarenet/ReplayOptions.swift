import ArgumentParser
import RarenetBaseline
import RarenetConfig
import RarenetEvents
import RarenetScoring

#if canImport(Glibc)
import Glibc
#endif

/// The scoring settings `rarenet replay` and `rarenet learn` take on the
/// command line; anything not given keeps the default of ``ScoringConfiguration``.
struct ScoringOptions: ParsableArguments {
    private static let defaults = ScoringConfiguration()

    @Option(help: "Time bucket of the fine scale: a key counts once per bucket (default \(format(defaults.bucketSpan))).",
            transform: parseDuration)
    var bucketSpan: Duration?

    @Option(help: "Time bucket of the coarse scale (default \(format(defaults.longBucketSpan))).", transform: parseDuration)
    var longBucketSpan: Duration?

    @Option(help: "No alerts until the baseline spans this long (default \(format(defaults.learningPeriod))).",
            transform: parseDuration)
    var learningPeriod: Duration?

    @Option(help: "Alert at this score or above, 0–100 (default \(Int(defaults.threshold))).")
    var threshold: Double?

    @Option(help: "Counts halve every this long (default \(format(defaults.halfLife))).", transform: parseDuration)
    var halfLife: Duration?

    @Option(help: "Counters per sketch row, a power of two (default \(defaults.sketch.width)).")
    var sketchWidth: Int?

    @Option(help: "Rows of the sketch (default \(defaults.sketch.depth)).")
    var sketchDepth: Int?

    @Option(help: "What identifies a process: executable (path, else name) or name (default \(defaults.keyMode.rawValue)).")
    var key: ProcessKeyMode?

    @Option(help: ArgumentHelp(
        "Detectors to run, comma-separated (default \(defaults.detectors.map(\.rawValue).joined(separator: ","))).",
        valueName: "detector,..."
    ), transform: parseDetectors)
    var detectors: [Detector]?

    /// The scorer configuration: the defaults with the given options applied, validated.
    func configuration() throws -> ScoringConfiguration {
        var configuration = ScoringConfiguration()
        if let bucketSpan { configuration.bucketSpan = bucketSpan }
        if let longBucketSpan { configuration.longBucketSpan = longBucketSpan }
        if let learningPeriod { configuration.learningPeriod = learningPeriod }
        if let threshold { configuration.threshold = threshold }
        if let halfLife { configuration.halfLife = halfLife }
        if let sketchWidth { configuration.sketch.width = sketchWidth }
        if let sketchDepth { configuration.sketch.depth = sketchDepth }
        if let key { configuration.keyMode = key }
        if let detectors { configuration.detectors = detectors }
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return configuration
    }

    private static func format(_ duration: Duration) -> String {
        DurationSyntax.format(duration)
    }
}

/// `--state DIR` and `--reset-baseline`, shared by `replay` and `learn`.
struct StateOptions: ParsableArguments {
    @Option(help: "Directory of the baseline snapshot: loaded before, saved after (created 0700 if missing).")
    var state: String?

    @Flag(help: "Move an unusable snapshot aside (baseline.snapshot.corrupt-<time>) and start a fresh baseline.")
    var resetBaseline = false

    /// The store (when `--state` is given) and a scorer with its baseline restored.
    func openScorer(configuration: ScoringConfiguration) throws -> (store: SnapshotStore?, scorer: RarityScorer) {
        guard let state else {
            if resetBaseline { throw ValidationError("--reset-baseline needs --state") }
            return (nil, try RarityScorer(configuration: configuration))
        }
        let store = try SnapshotStore(directory: state)
        let (scorer, load) = try store.restoreScorer(configuration: configuration, resettingInvalid: resetBaseline)
        switch load {
        case .absent:
            printToStandardError("no baseline in \(state) yet: starting a fresh one")
        case .loaded(let baseline):
            printToStandardError("loaded the baseline of \(store.snapshotPath) (\(baseline.completedBuckets) completed buckets)")
        case .reset(let movedTo, let reason):
            printToStandardError("warning: \(store.snapshotPath): \(reason); moved it to \(movedTo) and starting a fresh baseline")
        }
        return (store, scorer)
    }
}

/// Writes `text` and a newline to standard error.
func printToStandardError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// Parses `15m`, `24h`, `14d`, `1h30m` for a duration option.
@Sendable
private func parseDuration(_ text: String) throws -> Duration {
    guard let duration = DurationSyntax.parse(text) else {
        throw ValidationError("'\(text)' is not a duration: use whole numbers with units d, h, m, s, e.g. 90s, 15m, 24h, 14d, 1h30m")
    }
    return duration
}

/// Parses `rare_process,rare_port`.
@Sendable
private func parseDetectors(_ text: String) throws -> [Detector] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { name in
        guard let detector = Detector(rawValue: String(name)) else {
            let known = Detector.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("'\(name)' is not a detector (known: \(known))")
        }
        return detector
    }
}

extension ProcessKeyMode: ExpressibleByArgument {}
