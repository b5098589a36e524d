import RarenetIdentity
import RarenetScoring
import RarenetMetrics

/// Every option of the sensor, as plain values.
///
/// `SensorConfiguration()` holds the built-in defaults; ``load(file:overrides:)``
/// reads the YAML configuration file (deploy/rarenet.yaml documents every field)
/// over them and then applies the command-line flags, which win. The sections
/// and names mirror the file: `scoring.threshold` is ``Scoring-swift.struct/threshold``.
public struct SensorConfiguration: Sendable, Hashable {
    /// `capture`: how events are taken from the kernel.
    public var capture = Capture()
    /// `outputs`: where alerts and metrics go.
    public var outputs = Outputs()
    /// `state`: where the baseline is kept.
    public var state = State()
    /// `scoring`: the rarity scorer.
    public var scoring = Scoring()
    /// `alerting`: how often alerts may be raised.
    public var alerting = Alerting()
    /// `process_table`: the table that attributes events to executables.
    public var processTable = ProcessTable()
    /// `exclusions`: what is never scored, on top of the built-in exclusions.
    public var exclusions = Exclusions()
    /// `identity`: how a process's key is derived.
    public var identity = Identity()

    /// The built-in defaults.
    public init() {}

    /// How events are taken from the kernel.
    public struct Capture: Sendable, Hashable {
        /// The defaults.
        public init() {}

        /// `capture.attach`: which kernel hooks to attach. Default `auto`.
        public var attach = AttachMode.auto
        /// `capture.ring_buffer_size`: the BPF ring buffer's size in bytes, a power of two
        /// from 4 KiB to 1 GiB. Default 16 MiB.
        public var ringBufferSize = 16 << 20
    }

    /// Which kernel hooks carry the network events.
    public enum AttachMode: String, Sendable, Hashable, CaseIterable {
        /// kprobes if the kernel has them, else tracepoints (and say so).
        case auto
        /// kprobes only; fails on a kernel without them.
        case kprobe
        /// Tracepoints only.
        case tracepoint
    }

    /// Where alerts and metrics go.
    public struct Outputs: Sendable, Hashable {
        /// The defaults.
        public init() {}

        /// `outputs.alerts`: `-` for standard output, or a file path (appended, created 0600).
        /// Default `-`.
        public var alerts = AlertDestination.standardOutput
        /// `outputs.metrics_address`: `host:port` of the metrics endpoint, `[v6]:port`,
        /// or `0` to disable. Default `127.0.0.1:9464`.
        public var metricsAddress = MetricsAddress.default
    }

    /// Where alert lines are written.
    public enum AlertDestination: Sendable, Hashable, CustomStringConvertible {
        /// Standard output (`-`).
        case standardOutput
        /// A file, appended to; relative paths are relative to the working directory.
        case file(path: String)

        /// `-` or the path.
        public var description: String {
            switch self {
            case .standardOutput: "-"
            case .file(let path): path
            }
        }
    }

    /// Where the baseline is kept.
    public struct State: Sendable, Hashable {
        /// The defaults.
        public init() {}

        /// `state.directory`: the baseline snapshots' directory; it must not be writable
        /// by other users. Default `/var/lib/rarenet`.
        public var directory = "/var/lib/rarenet"
        /// `state.snapshot_interval`: how often the baseline is written (also on shutdown),
        /// 1s to 24h. Default 5m.
        public var snapshotInterval = Duration.seconds(5 * 60)
    }

    /// The rarity scorer (DESIGN.md, "Scoring").
    public struct Scoring: Sendable, Hashable {
        /// The defaults.
        public init() {}

        /// `scoring.key`: what identifies a process. Default `executable`.
        public var key = KeyMode.executable
        /// `scoring.detectors`: the detectors to run, at least one. Default both.
        public var detectors: [Detector] = [.rareProcess, .rarePort]
        /// `scoring.bucket_span`: the occurrence bucket, 1s to 24h, dividing a day evenly.
        /// Default 15m.
        public var bucketSpan = Duration.seconds(15 * 60)
        /// `scoring.learning_period`: no alerts until the baseline spans this long, 0s to 365d.
        /// Default 24h.
        public var learningPeriod = Duration.seconds(24 * 3_600)
        /// `scoring.threshold`: alert when the score (0–100) is at least this. Default 50.
        public var threshold = 50.0
        /// `scoring.half_life`: how fast old counts fade, 1s to 3650d. Default 14d.
        public var halfLife = Duration.seconds(14 * 86_400)
        /// `scoring.bucket_key_capacity`: distinct keys per detector a bucket keeps
        /// with their score, 1 to 1048576; more are counted but scored on the slow
        /// path (`rarenet_bucket_table_overflows_total`). Default 32768.
        public var bucketKeyCapacity = 32_768
        /// `scoring.dynamic_ports`: destination ports rare_port keys by class
        /// (local network or public) rather than one by one, `LOW-HIGH` or `none`.
        /// Default 32768-65535.
        public var dynamicPorts: ClosedRange<UInt16>? = DestinationPortKeys.defaultDynamicRange
        /// `scoring.sketch`: the count-min sketch's shape and hash seed.
        public var sketch = Sketch()
    }

    /// What identifies a process for scoring.
    public enum KeyMode: String, Sendable, Hashable, CaseIterable {
        /// The executable path when known, else the process name.
        case executable
        /// The process name (`comm`).
        case name
    }

    /// A rarity detector.
    public enum Detector: String, Sendable, Hashable, CaseIterable {
        /// Rare process identities (the rule "Unusual Linux Network Activity").
        case rareProcess = "rare_process"
        /// Rare destination ports of connects.
        case rarePort = "rare_port"
    }

    /// The count-min sketch of every detector.
    public struct Sketch: Sendable, Hashable {
        /// The defaults.
        public init() {}

        /// `scoring.sketch.width`: counters per row, a power of two from 256 to 16777216.
        /// Default 65536.
        public var width = 1 << 16
        /// `scoring.sketch.depth`: rows, 1 to 8. Default 4.
        public var depth = 4
        /// `scoring.sketch.seed`: the hash seed (decimal or 0x hex); hosts whose baselines
        /// are merged must share it. Default 0x7261_7265_6e65_7431.
        public var seed: UInt64 = 0x7261_7265_6e65_7431
    }

    /// How often alerts may be raised.
    public struct Alerting: Sendable, Hashable {
        /// The defaults.
        public init() {}

        /// `alerting.realert_interval`: a key alerted is not alerted again for this long,
        /// 0s to 30d. Default 45m.
        public var realertInterval = Duration.seconds(45 * 60)
        /// `alerting.max_quiet_time`: a key that alerted alerts again while in use only
        /// when it has become rarer, or when it is still rare this long after its last
        /// alert, 0s to 365d. Default 24h.
        public var maximumQuietTime = Duration.seconds(86_400)
        /// `alerting.cap`: at most this many alerts per `cap_window`, 1 to 100000; the rest
        /// are counted as suppressed. Default 100.
        public var cap = 100
        /// `alerting.cap_window`: the window of the cap, 1s to 24h. Default 15m.
        public var capWindow = Duration.seconds(15 * 60)
    }

    /// The process table.
    public struct ProcessTable: Sendable, Hashable {
        /// The defaults.
        public init() {}

        /// `process_table.capacity`: the most processes tracked at once, 16 to 16777216;
        /// the oldest exited ones are evicted first. Default 65536.
        public var capacity = 1 << 16
    }

    /// How a process's key is derived (README, "Process identity").
    public struct Identity: Sendable, Hashable {
        /// The defaults.
        public init() {}

        /// `identity.rewrite_rules`: `REGEX => REPLACEMENT` rewrites of executable
        /// and script paths, in order; replaces the defaults
        /// (``PathRewriteRule/defaultRuleTexts``, `rarenet key --rules` lists those in force).
        public var rewriteRules: [PathRewriteRule] = PathRewriteRule.defaults
        /// `identity.interpreters`: file names (`*` for any run) of the
        /// interpreters whose script is part of the key.
        public var interpreters: [String] = IdentityConfiguration.defaultInterpreters
    }

    /// What is never scored. Loopback and unspecified destinations and the sensor
    /// itself are always excluded; these lists add to that.
    public struct Exclusions: Sendable, Hashable {
        /// The defaults.
        public init() {}

        /// `exclusions.process_names`: process names (`comm`), exact match.
        public var processNames: [String] = []
        /// `exclusions.executables`: absolute executable paths, exact match.
        public var executables: [String] = []
        /// `exclusions.users`: user names or numeric user ids.
        public var users: [String] = []
        /// `exclusions.cidrs`: destination networks (`10.0.0.0/8`, `2001:db8::/32`).
        public var cidrs: [AddressRange] = []
    }
}
