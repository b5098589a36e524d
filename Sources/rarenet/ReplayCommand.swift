import ArgumentParser
import RarenetAlerts
import RarenetBaseline
import RarenetEvents

/// `rarenet replay`: scores a recorded event file offline, with event time.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Score a JSON-lines event file with event time and write alerts as ECS JSON lines.",
        discussion: """
            Deterministic: the same events and options give byte-identical alerts. \
            A summary (events, keys, alerts, suppressed, bad lines) goes to standard error. \
            Bad lines are reported with their line number and skipped; with --strict the first one stops the run.
            """
    )

    @Option(help: "The event file (JSON lines); - reads standard input.")
    var events: String

    @Option(help: "Append alerts to this file (created 0600) instead of standard output.")
    var alerts: String?

    @Flag(help: "Stop with a non-zero exit at the first bad line (the baseline in --state is then not saved).")
    var strict = false

    @Option(help: "YAML configuration file (see deploy/rarenet.yaml) for the scoring settings; flags override it.")
    var config: String?

    @OptionGroup var state: StateOptions
    @OptionGroup(title: "Scoring") var scoring: ScoringOptions

    func run() throws {
        let (store, scorer) = try state.openScorer(configuration: scoring.configuration(file: config))
        let sink = try alerts.map { path throws(LineSinkError) in try LineSink(path: path) } ?? .standardOutput()
        var reader = try EventLineReader(path: events)
        var replay = EventReplay(scorer: scorer, writesAlerts: true)
        let outcome = Result { () throws(ReplayError) in
            try replay.run(&reader, strict: strict, write: { try sink.write(line: $0.dropLast()) }, reportBadLine: report)
        }
        printToStandardError(replay.summary.description)
        try outcome.get()
        try store?.save(replay.scorer.baseline)
    }
}

/// Reports a bad line on standard error.
func report(_ bad: BadEventLine) {
    printToStandardError("\(bad)")
}
