import RarenetEvents
import RarenetIdentity
import RarenetMetrics
import RarenetScoring

/// A field of the configuration, named by its path in the file (`scoring.threshold`).
///
/// The file and the command-line flags set fields through the same parsers, so a
/// value is validated the same way wherever it comes from.
public enum ConfigurationField: String, Sendable, Hashable, CaseIterable {
    /// `capture.attach`, stored in `configuration.capture.attach`.
    case attach = "capture.attach"
    /// `capture.ring_buffer_size`, stored in `configuration.capture.ringBufferSize`.
    case ringBufferSize = "capture.ring_buffer_size"
    /// `outputs.alerts`, stored in `configuration.outputs.alerts`.
    case alerts = "outputs.alerts"
    /// `outputs.metrics_address`, stored in `configuration.outputs.metricsAddress`.
    case metricsAddress = "outputs.metrics_address"
    /// `state.directory`, stored in `configuration.state.directory`.
    case stateDirectory = "state.directory"
    /// `state.snapshot_interval`, stored in `configuration.state.snapshotInterval`.
    case snapshotInterval = "state.snapshot_interval"
    /// `scoring.key`, stored in `configuration.scoring.key`.
    case key = "scoring.key"
    /// `scoring.detectors`, stored in `configuration.scoring.detectors`.
    case detectors = "scoring.detectors"
    /// `scoring.bucket_span`, stored in `configuration.scoring.bucketSpan`.
    case bucketSpan = "scoring.bucket_span"
    /// `scoring.learning_period`, stored in `configuration.scoring.learningPeriod`.
    case learningPeriod = "scoring.learning_period"
    /// `scoring.threshold`, stored in `configuration.scoring.threshold`.
    case threshold = "scoring.threshold"
    /// `scoring.half_life`, stored in `configuration.scoring.halfLife`.
    case halfLife = "scoring.half_life"
    /// `scoring.bucket_key_capacity`, stored in `configuration.scoring.bucketKeyCapacity`.
    case bucketKeyCapacity = "scoring.bucket_key_capacity"
    /// `scoring.dynamic_ports`, stored in `configuration.scoring.dynamicPorts`.
    case dynamicPorts = "scoring.dynamic_ports"
    /// `scoring.sketch.width`, stored in `configuration.scoring.sketch.width`.
    case sketchWidth = "scoring.sketch.width"
    /// `scoring.sketch.depth`, stored in `configuration.scoring.sketch.depth`.
    case sketchDepth = "scoring.sketch.depth"
    /// `scoring.sketch.seed`, stored in `configuration.scoring.sketch.seed`.
    case sketchSeed = "scoring.sketch.seed"
    /// `alerting.realert_interval`, stored in `configuration.alerting.realertInterval`.
    case realertInterval = "alerting.realert_interval"
    /// `alerting.max_quiet_time`, stored in `configuration.alerting.maximumQuietTime`.
    case maximumQuietTime = "alerting.max_quiet_time"
    /// `alerting.cap`, stored in `configuration.alerting.cap`.
    case alertCap = "alerting.cap"
    /// `alerting.cap_window`, stored in `configuration.alerting.capWindow`.
    case alertCapWindow = "alerting.cap_window"
    /// `process_table.capacity`, stored in `configuration.processTable.capacity`.
    case processTableCapacity = "process_table.capacity"
    /// `exclusions.process_names`, stored in `configuration.exclusions.processNames`.
    case excludedProcessNames = "exclusions.process_names"
    /// `exclusions.executables`, stored in `configuration.exclusions.executables`.
    case excludedExecutables = "exclusions.executables"
    /// `exclusions.users`, stored in `configuration.exclusions.users`.
    case excludedUsers = "exclusions.users"
    /// `exclusions.cidrs`, stored in `configuration.exclusions.cidrs`.
    case excludedCIDRs = "exclusions.cidrs"
    /// `identity.rewrite_rules`, stored in `configuration.identity.rewriteRules`.
    case rewriteRules = "identity.rewrite_rules"
    /// `identity.interpreters`, stored in `configuration.identity.interpreters`.
    case interpreters = "identity.interpreters"

    /// True for the fields that hold a list.
    public var isList: Bool {
        switch self {
        case .detectors, .excludedProcessNames, .excludedExecutables, .excludedUsers, .excludedCIDRs, .rewriteRules, .interpreters: true
        default: false
        }
    }

    /// The section paths that group fields (`scoring`, `scoring.sketch`, ...).
    static let sections: Set<String> = Set(allCases.flatMap { field in
        let components = field.rawValue.split(separator: ".")
        return (1..<components.count).map { components[..<$0].joined(separator: ".") }
    })

    /// Validates `value` and stores it in `configuration`.
    func apply(_ value: ConfigValue, to configuration: inout SensorConfiguration) throws(ConfigProblem) {
        switch self {
        case .attach:
            configuration.capture.attach = try value.choice()
        case .ringBufferSize:
            configuration.capture.ringBufferSize = try value.byteSize(in: 4096...(1 << 30))
        case .alerts:
            let path = try value.text()
            configuration.outputs.alerts = path == "-" ? .standardOutput : .file(path: path)
        case .metricsAddress:
            configuration.outputs.metricsAddress = try value.metricsAddress()
        case .stateDirectory:
            configuration.state.directory = try value.text()
        case .snapshotInterval:
            configuration.state.snapshotInterval = try value.duration(in: .seconds(1) ... .days(1))
        case .key:
            configuration.scoring.key = try value.choice()
        case .detectors:
            let detectors: [SensorConfiguration.Detector] = try value.list { element throws(ConfigProblem) in
                try element.choice()
            }
            guard !detectors.isEmpty else { throw value.problem("must name at least one detector") }
            guard Set(detectors).count == detectors.count else { throw value.problem("names a detector twice") }
            configuration.scoring.detectors = detectors
        case .bucketSpan:
            let span = try value.duration(in: .seconds(1) ... .days(1))
            guard Duration.days(1).components.seconds % span.components.seconds == 0 else {
                throw value.problem("must divide a day evenly (got \(DurationSyntax.format(span)))")
            }
            configuration.scoring.bucketSpan = span
        case .learningPeriod:
            configuration.scoring.learningPeriod = try value.duration(in: .zero ... .days(365))
        case .threshold:
            configuration.scoring.threshold = try value.number(in: 0...100)
        case .halfLife:
            configuration.scoring.halfLife = try value.duration(in: .seconds(1) ... .days(3650))
        case .bucketKeyCapacity:
            configuration.scoring.bucketKeyCapacity = try value.integer(in: 1...ScoringConfiguration.maximumTableCapacity)
        case .dynamicPorts:
            configuration.scoring.dynamicPorts = try value.portRange()
        case .sketchWidth:
            configuration.scoring.sketch.width = try value.integer(in: 256...(1 << 24), powerOfTwo: true)
        case .sketchDepth:
            configuration.scoring.sketch.depth = try value.integer(in: 1...8)
        case .sketchSeed:
            configuration.scoring.sketch.seed = try value.unsigned64()
        case .realertInterval:
            configuration.alerting.realertInterval = try value.duration(in: .zero ... .days(30))
        case .maximumQuietTime:
            configuration.alerting.maximumQuietTime = try value.duration(in: .zero ... .days(365))
        case .alertCap:
            configuration.alerting.cap = try value.integer(in: 1...100_000)
        case .alertCapWindow:
            configuration.alerting.capWindow = try value.duration(in: .seconds(1) ... .days(1))
        case .processTableCapacity:
            configuration.processTable.capacity = try value.integer(in: 16...(1 << 24))
        case .excludedProcessNames:
            configuration.exclusions.processNames = try value.list { element throws(ConfigProblem) in
                try element.text()
            }
        case .excludedExecutables:
            configuration.exclusions.executables = try value.list { element throws(ConfigProblem) in
                let path = try element.text()
                guard path.hasPrefix("/") else { throw element.problem("must be an absolute path (got \"\(path)\")") }
                return path
            }
        case .excludedUsers:
            configuration.exclusions.users = try value.list { element throws(ConfigProblem) in
                let user = try element.text()
                guard !user.contains(where: \.isWhitespace) else {
                    throw element.problem("must be a user name or id (got \"\(user)\")")
                }
                return user
            }
        case .excludedCIDRs:
            configuration.exclusions.cidrs = try value.list { element throws(ConfigProblem) in
                let text = try element.text()
                guard let block = AddressRange(text) else {
                    throw element.problem("must be an address or network like 10.0.0.0/8 or 2001:db8::/32 (got \"\(text)\")")
                }
                return block
            }
        case .rewriteRules:
            configuration.identity.rewriteRules = try value.list { element throws(ConfigProblem) in
                let text = try element.text()
                do throws(RewriteRuleError) {
                    return try PathRewriteRule(parsing: text)
                } catch {
                    throw element.problem("\(error.reason) in \"\(text)\"")
                }
            }
        case .interpreters:
            configuration.identity.interpreters = try value.list { element throws(ConfigProblem) in
                let name = try element.text()
                do throws(IdentityConfigurationError) {
                    try IdentityConfiguration.validateInterpreter(name)
                } catch {
                    throw element.problem(error.reason)
                }
                return name
            }
        }
    }
}

extension Duration {
    /// `count` days.
    static func days(_ count: Int64) -> Duration { .seconds(count * 86_400) }
}
