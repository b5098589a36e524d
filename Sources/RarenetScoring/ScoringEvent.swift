import RarenetEvents

/// A process identity as the scorer needs it: the hash of its key and whether
/// user exclusions rule it out. Compute it once per process
/// (``ScoringConfiguration/processKey(executable:comm:user:)``) and keep it with the
/// process; every event of the process reuses it.
public struct ProcessKey: Sendable, Hashable {
    /// The hash of the executable path or `comm`, per ``ProcessKeyMode``.
    public let hash: KeyHash
    /// True when the process name, executable or user name is excluded.
    public let isExcluded: Bool

    public init(hash: KeyHash, isExcluded: Bool) {
        self.hash = hash
        self.isExcluded = isExcluded
    }
}

/// One connect or bind, reduced to what scoring reads: no strings, no
/// allocation, hashes precomputed.
public struct ScoringEvent: Sendable, Hashable {
    /// Event time. Buckets are cut by event time, so replay is deterministic.
    public var timestamp: EventTimestamp
    public var action: NetworkAction
    public var process: ProcessKey
    /// Process id, to exclude the sensor's own process.
    public var pid: UInt32
    public var uid: UInt32
    public var destinationAddress: IPAddress? {
        get { destination.address }
        set { destination = ScoringDestination(newValue) }
    }
    public var destinationPort: UInt16?
    /// The destination address, stored as the exclusion test reads it.
    private(set) var destination: ScoringDestination

    public init(
        timestamp: EventTimestamp,
        action: NetworkAction,
        process: ProcessKey,
        pid: UInt32,
        uid: UInt32,
        destinationAddress: IPAddress? = nil,
        destinationPort: UInt16? = nil
    ) {
        self.timestamp = timestamp
        self.action = action
        self.process = process
        self.pid = pid
        self.uid = uid
        self.destination = ScoringDestination(destinationAddress)
        self.destinationPort = destinationPort
    }

    /// The scoring view of a recorded or captured event, with its process's
    /// precomputed key.
    public init(_ event: NetworkEvent, process: ProcessKey) {
        self.init(
            timestamp: event.timestamp, action: event.action, process: process, pid: event.pid, uid: event.uid,
            destinationAddress: event.destinationAddress, destinationPort: event.destinationPort
        )
    }
}

/// An optional destination address laid out for the exclusion test of every
/// event: its kind is a number (0 for none) that indexes a table, where an
/// `IPAddress?` would need a test for `nil` first.
struct ScoringDestination: Sendable, Hashable {
    /// 0 for no address, 1 for IPv4, 2 for IPv6.
    let kind: UInt8
    /// The address's halves, as in ``IPAddress`` (zero for no address).
    let high: UInt64
    let low: UInt64

    init(_ address: IPAddress?) {
        kind = switch address?.family {
        case nil: 0
        case .ipv4: 1
        case .ipv6: 2
        }
        (high, low) = (address?.high ?? 0, address?.low ?? 0)
    }

    var address: IPAddress? {
        switch kind {
        case 1: IPAddress(family: .ipv4, high: high, low: low)
        case 2: IPAddress(family: .ipv6, high: high, low: low)
        default: nil
        }
    }
}

/// A rarity detector: what it keys on. All detectors share the counting,
/// scoring and alerting machinery; a new one is a case here and its key.
public enum Detector: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Keys on the process identity (executable or `comm`), for connects and binds.
    case rareProcess = "rare_process"
    /// Keys on the destination port of connects (dynamic ports by class: ``DestinationPortKeys``).
    case rarePort = "rare_port"

    /// The key this detector scores `event` under, or `nil` when it does not
    /// apply to the event.
    @inline(__always)
    func key(for event: ScoringEvent, seed: UInt64, ports: DestinationPortKeys) -> KeyHash? {
        switch self {
        case .rareProcess:
            return event.process.hash
        case .rarePort:
            guard event.action == .connect, let port = event.destinationPort else { return nil }
            return ports.key(port: port, destination: event.destination, seed: seed)
        }
    }

    /// The detector's stable number in snapshots.
    var snapshotCode: UInt8 {
        switch self {
        case .rareProcess: 1
        case .rarePort: 2
        }
    }

    public var description: String { rawValue }
}

/// What the scorer concluded about one event for one detector.
public struct Verdict: Sendable, Hashable {
    public let detector: Detector
    public let key: KeyHash
    /// 0 (common) to 100 (never seen): the lowest of the scales' scores.
    public let score: Double
    public let decision: Decision

    public init(detector: Detector, key: KeyHash, score: Double, decision: Decision) {
        self.detector = detector
        self.key = key
        self.score = score
        self.decision = decision
    }
}

/// What happens to a scored key.
public enum Decision: Sendable, Hashable {
    /// The score is below the threshold.
    case belowThreshold
    /// The baseline does not yet span the learning period: no alerts.
    case learning
    /// An alert to emit.
    case alert(Alert)
    /// Over the threshold but held back.
    case suppressed(Suppression)
}

/// Why an alert was held back.
public enum Suppression: Sendable, Hashable {
    /// The key alerted before and has not become rarer since (its episode is
    /// open), or alerted within the re-alert interval.
    case recentlyAlerted
    /// The detector reached its alert cap in the current window.
    /// `startsWindow` is true for the first alert it held back in the window:
    /// the moment to log that the cap engaged.
    case alertCap(startsWindow: Bool)
}

/// The evidence of an alert (the `rarenet` object of an ECS alert line).
public struct Alert: Sendable, Hashable {
    public let detector: Detector
    public let key: KeyHash
    /// 0–100.
    public let score: Double
    /// `q = (c + ½) / (B + 1)` at the scale that gave the score.
    public let probability: Double
    /// `c`: the key's decayed count of buckets at that scale (a sketch estimate).
    public let seenBuckets: Double
    /// `B`: the decayed number of completed buckets at that scale.
    public let baselineBuckets: Double
    /// When the key was first seen, if the bounded first-seen table holds it.
    public let firstSeen: EventTimestamp?
    /// The bucket span of the scale that gave the score.
    public let scale: Duration

    public init(
        detector: Detector, key: KeyHash, score: Double, probability: Double, seenBuckets: Double,
        baselineBuckets: Double, firstSeen: EventTimestamp?, scale: Duration
    ) {
        self.detector = detector
        self.key = key
        self.score = score
        self.probability = probability
        self.seenBuckets = seenBuckets
        self.baselineBuckets = baselineBuckets
        self.firstSeen = firstSeen
        self.scale = scale
    }
}
