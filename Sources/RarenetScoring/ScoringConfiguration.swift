import RarenetIdentity

/// Every tunable of the rarity scorer. The defaults mirror the Elastic rule
/// "Unusual Linux Network Activity" (DESIGN.md, "Scoring").
public struct ScoringConfiguration: Sendable, Hashable {
    /// The fine time scale: a key counts at most once per bucket. Default 15 minutes.
    public var bucketSpan: Duration = .seconds(15 * 60)
    /// The coarse time scale, so that a nightly job is established per day. Default 1 day.
    public var longBucketSpan: Duration = .seconds(24 * 3600)
    /// No alerts until the baseline spans this much time. Default 24 hours.
    public var learningPeriod: Duration = .seconds(24 * 3600)
    /// Alert when a key's score (0–100) is at least this. Default 50.
    public var threshold: Double = 50
    /// Counts and bucket totals halve every `halfLife`. Default 14 days.
    public var halfLife: Duration = .seconds(14 * 24 * 3600)
    /// Sketch depth, width and hash seed.
    public var sketch: SketchParameters = .default
    /// What identifies a process for ``Detector/rareProcess``.
    public var keyMode: ProcessKeyMode = .executable
    /// How process keys are derived (rewrite rules, interpreters).
    public var identity = IdentityConfiguration()
    /// How ``Detector/rarePort`` keys destination ports (dynamic ports by class).
    public var destinationPorts = DestinationPortKeys()
    /// The detectors that score events, in this order.
    public var detectors: [Detector] = [.rareProcess, .rarePort]
    /// What is never scored.
    public var exclusions: Exclusions = Exclusions()
    /// A key alerted is not alerted again within this interval. Default 45 minutes.
    public var realertInterval: Duration = .seconds(45 * 60)
    /// A key that alerted is alerted again while it stays in use only when it
    /// has become rarer, or when it is still rare this long after its last
    /// alert (``AlertGate``, "Episodes"). Default 24 hours.
    public var maximumQuietTime: Duration = .seconds(24 * 3600)
    /// At most this many alerts per detector per ``alertCapWindow``. Default 100.
    public var alertCap: Int = 100
    /// The window of ``alertCap``, aligned to the epoch. Default 15 minutes.
    public var alertCapWindow: Duration = .seconds(15 * 60)
    /// Distinct keys per detector a bucket remembers exactly (and caches the
    /// score of); more spill into a bitmap with plain update, and each of
    /// their events takes the scorer's slow path, so size it above the
    /// distinct processes a day on the host (``DetectorStatistics/keyTableOverflows``
    /// counts the spills). Default 32 768: 1 MiB of slots per table, and
    /// 12 bytes per key listed; two tables (one per scale) per detector.
    public var bucketKeyCapacity: Int = 32_768
    /// Keys per detector whose first-seen time is kept. Default 65 536 (about 2.3 MiB).
    public var firstSeenCapacity: Int = 65_536
    /// The sketch is saturated when a never-seen key looks seen (estimate ≥ ½
    /// in every row) with more than this probability. Default 5 %.
    public var saturationProbability: Double = 0.05

    /// The defaults.
    public init() {}

    /// The largest capacity of a per-bucket or first-seen key table (2^20
    /// keys, about 16 MiB per table). Snapshots declaring more are refused
    /// before anything is allocated.
    public static let maximumTableCapacity = 1 << 20

    /// The fingerprint of everything that derives keys (``IdentityConfiguration/fingerprint``
    /// and the port classes): a baseline counted under another is refused.
    public var keyDerivation: UInt64 {
        identity.fingerprint ^ destinationPorts.fingerprint
    }

    /// The time scales, finest first: `[bucketSpan, longBucketSpan]` (one when equal).
    public var scales: [Duration] {
        bucketSpan == longBucketSpan ? [bucketSpan] : [bucketSpan, longBucketSpan]
    }

    /// The key of a process under this configuration's key mode, seed and
    /// exclusions, derived by `deriver` (which must use ``identity``).
    /// Compute it once per process image and pass it with each of the
    /// process's events. `user` is the user name, when known, for the
    /// name-based user exclusions (id-based ones are checked per event).
    ///
    /// Excluded process names match the process's name (its name at exec),
    /// not a thread's; excluded executables match host processes only, so
    /// that no container or namespace can take an excluded host path.
    public func processKey(for facts: ProcessFacts, user: String?, deriver: ProcessKeyDeriver) -> ProcessKey {
        processKey(keyText: keyText(for: facts, deriver: deriver), facts: facts, user: user)
    }

    /// The text of a process's key under this configuration's key mode.
    public func keyText(for facts: ProcessFacts, deriver: ProcessKeyDeriver) -> String {
        keyMode == .executable ? deriver.executableKey(for: facts) : deriver.nameKey(for: facts)
    }

    /// The key of a process whose key text (``keyText(for:deriver:)``) is already derived.
    public func processKey(keyText: String, facts: ProcessFacts, user: String?) -> ProcessKey {
        let excludedExecutable = facts.origin == .host && facts.executable.map(exclusions.executables.contains) == true
        let excluded = exclusions.processNames.contains(facts.name) || excludedExecutable
            || user.map(exclusions.userNames.contains) == true
        return ProcessKey(hash: KeyHash(keyText, seed: sketch.seed), isExcluded: excluded)
    }

    /// The key of a host process known by its executable's display form
    /// (`/path`, `/path (deleted)`) and name, with no arguments: for tests
    /// and benchmarks that build events by hand.
    public func processKey(executable: String?, comm: String, user: String?) -> ProcessKey {
        processKey(for: ProcessFacts(displayedExecutable: executable, name: comm), user: user,
                   deriver: ProcessKeyDeriver(configuration: identity))
    }

    /// Checks every value; the error names the first one that is wrong.
    public func validate() throws(ConfigurationError) {
        func positive(_ value: Duration, _ name: String) throws(ConfigurationError) {
            guard value > .zero else { throw ConfigurationError(setting: name, reason: "must be positive, got \(value)") }
        }
        try positive(bucketSpan, "bucketSpan")
        try positive(longBucketSpan, "longBucketSpan")
        try positive(halfLife, "halfLife")
        try positive(alertCapWindow, "alertCapWindow")
        guard longBucketSpan >= bucketSpan else {
            throw ConfigurationError(setting: "longBucketSpan", reason: "must be at least bucketSpan (\(bucketSpan)), got \(longBucketSpan)")
        }
        guard learningPeriod >= .zero else {
            throw ConfigurationError(setting: "learningPeriod", reason: "must not be negative, got \(learningPeriod)")
        }
        guard (0...100).contains(threshold) else {
            throw ConfigurationError(setting: "threshold", reason: "must be within 0...100, got \(threshold)")
        }
        guard (1...16).contains(sketch.depth) else {
            throw ConfigurationError(setting: "sketch.depth", reason: "must be within 1...16, got \(sketch.depth)")
        }
        guard sketch.width >= 64, sketch.width <= 1 << 28, sketch.width & (sketch.width - 1) == 0 else {
            throw ConfigurationError(setting: "sketch.width", reason: "must be a power of two within 64...2^28, got \(sketch.width)")
        }
        guard !detectors.isEmpty, Set(detectors).count == detectors.count else {
            throw ConfigurationError(setting: "detectors", reason: "must be non-empty and without repeats, got \(detectors)")
        }
        guard realertInterval >= .zero else {
            throw ConfigurationError(setting: "realertInterval", reason: "must not be negative, got \(realertInterval)")
        }
        guard maximumQuietTime >= .zero else {
            throw ConfigurationError(setting: "maximumQuietTime", reason: "must not be negative, got \(maximumQuietTime)")
        }
        guard alertCap >= 0 else { throw ConfigurationError(setting: "alertCap", reason: "must not be negative, got \(alertCap)") }
        guard (1...Self.maximumTableCapacity).contains(bucketKeyCapacity) else {
            throw ConfigurationError(
                setting: "bucketKeyCapacity", reason: "must be within 1...\(Self.maximumTableCapacity), got \(bucketKeyCapacity)")
        }
        guard (1...Self.maximumTableCapacity).contains(firstSeenCapacity) else {
            throw ConfigurationError(
                setting: "firstSeenCapacity", reason: "must be within 1...\(Self.maximumTableCapacity), got \(firstSeenCapacity)")
        }
        guard (0...1).contains(saturationProbability) else {
            throw ConfigurationError(setting: "saturationProbability", reason: "must be within 0...1, got \(saturationProbability)")
        }
    }
}

/// A configuration value that is out of range.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The setting, as named in ``ScoringConfiguration``.
    public var setting: String
    /// What is wrong with it.
    public var reason: String

    public var description: String { "invalid scoring setting \(setting): \(reason)" }
}

/// What identifies a process for ``Detector/rareProcess`` (`--key`).
public enum ProcessKeyMode: String, Sendable, Hashable, CaseIterable {
    /// The process's origin, rewritten executable path and script (``ProcessKeyDeriver``).
    case executable
    /// The process's name only: its name at exec, never a thread's.
    case name
}

extension Duration {
    /// The duration in the largest whole unit: `15m`, `1d`, `90s`, `1500ms`, `7ns`.
    var compactDescription: String {
        let nanoseconds = self.nanoseconds
        for (unit, size) in [("d", Int64(86_400_000_000_000)), ("h", 3_600_000_000_000), ("m", 60_000_000_000),
                             ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)]
        where nanoseconds != 0 && nanoseconds % size == 0 {
            return "\(nanoseconds / size)\(unit)"
        }
        return "\(nanoseconds)ns"
    }

    /// The duration in whole nanoseconds (saturating far outside any sensible setting).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue &+ attoseconds / 1_000_000_000
    }
}
