import ArgumentParser
import RarenetBaseline
import RarenetConfig
import RarenetEvents
import RarenetScoring

#if canImport(Glibc)
import Glibc
#endif

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
