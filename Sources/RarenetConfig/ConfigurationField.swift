import RarenetMetrics

/// A field of the configuration, named by its path in the file (`scoring.threshold`).
///
/// The file and the command-line flags set fields through the same parsers, so a
/// value is validated the same way wherever it comes from.
public enum ConfigurationField: String, Sendable, Hashable, CaseIterable {
    case attach = "capture.attach"
    case ringBufferSize = "capture.ring_buffer_size"
    case alerts = "outputs.alerts"
    case metricsAddress = "outputs.metrics_address"
    case stateDirectory = "state.directory"
    case snapshotInterval = "state.snapshot_interval"
    case key = "scoring.key"
    case detectors = "scoring.detectors"
    case bucketSpan = "scoring.bucket_span"
    case learningPeriod = "scoring.learning_period"
    case threshold = "scoring.threshold"
    case halfLife = "scoring.half_life"
    case sketchWidth = "scoring.sketch.width"
    case sketchDepth = "scoring.sketch.depth"
    case sketchSeed = "scoring.sketch.seed"
    case realertInterval = "alerting.realert_interval"
    case alertCap = "alerting.cap"
    case alertCapWindow = "alerting.cap_window"
    case processTableCapacity = "process_table.capacity"
    case excludedProcessNames = "exclusions.process_names"
    case excludedExecutables = "exclusions.executables"
    case excludedUsers = "exclusions.users"
    case excludedCIDRs = "exclusions.cidrs"

    /// True for the fields that hold a list.
    public var isList: Bool {
        switch self {
        case .detectors, .excludedProcessNames, .excludedExecutables, .excludedUsers, .excludedCIDRs: true
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
        case .sketchWidth:
            configuration.scoring.sketch.width = try value.integer(in: 256...(1 << 24), powerOfTwo: true)
        case .sketchDepth:
            configuration.scoring.sketch.depth = try value.integer(in: 1...8)
        case .sketchSeed:
            configuration.scoring.sketch.seed = try value.unsigned64()
        case .realertInterval:
            configuration.alerting.realertInterval = try value.duration(in: .zero ... .days(30))
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
                guard let block = AddressBlock(text) else {
                    throw element.problem("must be an address or network like 10.0.0.0/8 or 2001:db8::/32 (got \"\(text)\")")
                }
                return block
            }
        }
    }
}

extension Duration {
    /// `count` days.
    static func days(_ count: Int64) -> Duration { .seconds(count * 86_400) }
}
