import ArgumentParser
import RarenetConfig
import RarenetScoring

/// The scoring, alerting and exclusion flags shared by `run`, `replay` and `learn`.
///
/// Each flag overrides the configuration file's field of the same name and is
/// validated by the same parser, so `--threshold 150` and `threshold: 150` give
/// the same error.
struct ScoringOptions: ParsableArguments {
    @Option(help: "What identifies a process: executable | name. [scoring.key]")
    var key: String?

    @Option(name: .customLong("detector"), help: "A detector to run, repeatable: rare_process, rare_port. [scoring.detectors]")
    var detectors: [String] = []

    @Option(help: "Occurrence bucket, e.g. 15m. [scoring.bucket_span]")
    var bucketSpan: String?

    @Option(help: "No alerts until the baseline spans this long, e.g. 24h. [scoring.learning_period]")
    var learningPeriod: String?

    @Option(help: "Alert at this score (0–100) or above. [scoring.threshold]")
    var threshold: String?

    @Option(help: "Half-life of the counts' exponential decay, e.g. 14d. [scoring.half_life]")
    var halfLife: String?

    @Option(help: "Destination ports rare_port keys by class, not one by one: LOW-HIGH or none, e.g. 32768-65535. [scoring.dynamic_ports]")
    var dynamicPorts: String?

    @Option(help: "Count-min sketch counters per row, a power of two. [scoring.sketch.width]")
    var sketchWidth: String?

    @Option(help: "Count-min sketch rows. [scoring.sketch.depth]")
    var sketchDepth: String?

    @Option(help: "Hash seed; hosts whose baselines are merged must share it. [scoring.sketch.seed]")
    var sketchSeed: String?

    @Option(help: "Do not alert a key again within this long, e.g. 45m. [alerting.realert_interval]")
    var realertInterval: String?

    @Option(help: "Alert a key that stays in use again only when it became rarer, or after this long, e.g. 7d. [alerting.max_quiet_time]")
    var maxQuietTime: String?

    @Option(help: "At most this many alerts per cap window. [alerting.cap]")
    var alertCap: String?

    @Option(help: "The window of the alert cap, e.g. 15m. [alerting.cap_window]")
    var alertCapWindow: String?

    @Option(name: .customLong("exclude-process-name"), help: "Never score this process name (comm), repeatable. [exclusions.process_names]")
    var excludedProcessNames: [String] = []

    @Option(name: .customLong("exclude-executable"), help: "Never score this executable path, repeatable. [exclusions.executables]")
    var excludedExecutables: [String] = []

    @Option(name: .customLong("exclude-user"), help: "Never score this user name or uid, repeatable. [exclusions.users]")
    var excludedUsers: [String] = []

    @Option(name: .customLong("exclude-cidr"), help: "Never score connects to this network, repeatable. [exclusions.cidrs]")
    var excludedCIDRs: [String] = []

    @Option(name: .customLong("rewrite-rule"), help: "A path rewrite 'REGEX => REPLACEMENT', repeatable; replaces the default rules. [identity.rewrite_rules]")
    var rewriteRules: [String] = []

    @Option(name: .customLong("interpreter"), help: "An interpreter whose script is part of the key, repeatable; replaces the default list. [identity.interpreters]")
    var interpreters: [String] = []

    /// The scorer's settings for offline scoring (replay, learn): the defaults,
    /// then the configuration `file`, then these flags.
    func configuration(file: String?) throws -> ScoringConfiguration {
        var overrides = ConfigurationOverrides()
        apply(to: &overrides)
        return ScoringConfiguration(try SensorConfiguration.load(file: file, overrides: overrides), sensorProcessID: nil)
    }

    /// Adds the flags that were given to `overrides`.
    func apply(to overrides: inout ConfigurationOverrides) {
        overrides.set(.key, to: key, flag: "--key")
        overrides.set(.detectors, to: detectors, flag: "--detector")
        overrides.set(.bucketSpan, to: bucketSpan, flag: "--bucket-span")
        overrides.set(.learningPeriod, to: learningPeriod, flag: "--learning-period")
        overrides.set(.threshold, to: threshold, flag: "--threshold")
        overrides.set(.halfLife, to: halfLife, flag: "--half-life")
        overrides.set(.dynamicPorts, to: dynamicPorts, flag: "--dynamic-ports")
        overrides.set(.sketchWidth, to: sketchWidth, flag: "--sketch-width")
        overrides.set(.sketchDepth, to: sketchDepth, flag: "--sketch-depth")
        overrides.set(.sketchSeed, to: sketchSeed, flag: "--sketch-seed")
        overrides.set(.realertInterval, to: realertInterval, flag: "--realert-interval")
        overrides.set(.maximumQuietTime, to: maxQuietTime, flag: "--max-quiet-time")
        overrides.set(.alertCap, to: alertCap, flag: "--alert-cap")
        overrides.set(.alertCapWindow, to: alertCapWindow, flag: "--alert-cap-window")
        overrides.set(.excludedProcessNames, to: excludedProcessNames, flag: "--exclude-process-name")
        overrides.set(.excludedExecutables, to: excludedExecutables, flag: "--exclude-executable")
        overrides.set(.excludedUsers, to: excludedUsers, flag: "--exclude-user")
        overrides.set(.excludedCIDRs, to: excludedCIDRs, flag: "--exclude-cidr")
        overrides.set(.rewriteRules, to: rewriteRules, flag: "--rewrite-rule")
        overrides.set(.interpreters, to: interpreters, flag: "--interpreter")
    }
}
