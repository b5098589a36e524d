import ArgumentParser
import RarenetBaseline
import RarenetEvents

/// `rarenet learn`: builds a baseline from recorded events, without alerting.
struct LearnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn",
        abstract: "Build (or extend) the baseline in --state from a JSON-lines event file, without alerting.",
        discussion: """
            Use it to start a new host quiet: learn from events recorded with `rarenet record` \
            (or on similar hosts), then run the sensor with the same --state.
            """
    )

    @Option(help: "The event file (JSON lines); - reads standard input.")
    var events: String

    @Flag(help: "Stop with a non-zero exit at the first bad line, saving nothing.")
    var strict = false

    @Option(help: "YAML configuration file (see deploy/rarenet.yaml) for the scoring settings; flags override it.")
    var config: String?

    @OptionGroup var state: StateOptions
    @OptionGroup(title: "Scoring") var scoring: ScoringOptions

    func validate() throws {
        guard state.state != nil else { throw ValidationError("learn needs --state DIR to save the baseline in") }
    }

    func run() throws {
        let (store, scorer) = try state.openScorer(configuration: scoring.configuration(file: config))
        var reader = try EventLineReader(path: events)
        var replay = EventReplay(scorer: scorer, writesAlerts: false)
        try replay.run(&reader, strict: strict, write: { _ in }, reportBadLine: report)
        try store?.save(replay.scorer.baseline)
        printToStandardError(replay.summary.description)
        if let store { printToStandardError("saved the baseline to \(store.snapshotPath)") }
    }
}
