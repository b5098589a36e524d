import RarenetEvents
import RarenetScoring

/// One rarity alert as plain values, ready to be written as an ECS line by
/// ``ECSAlertEncoder``.
///
/// Everything the sensor does not know is `nil` and is left out of the line:
/// nothing is invented. The fields are those of DESIGN.md "Alert format",
/// the ones the rule's triage guide asks an analyst to look at.
public struct AlertRecord: Sendable, Hashable {
    /// When the connect or bind happened (`@timestamp`).
    public var timestamp: EventTimestamp
    /// What the process did (`event.action`: `connection_attempted` or `bind`).
    public var action: NetworkAction
    public var process: AlertProcess
    public var user: AlertUser
    /// `source.*`: for a bind, the bound address and port.
    public var source: AlertEndpoint?
    /// `destination.*`: where a connect went.
    public var destination: AlertEndpoint?
    /// `network.transport`.
    public var transport: TransportProtocol?
    /// `network.type`: `ipv4` or `ipv6`.
    public var networkType: AddressFamily?
    /// `host.name`.
    public var hostName: String?
    /// `container.*`: the container the process runs in, when it runs in one.
    public var container: EventContainer?
    /// Why the event is rare: the `rarenet` object.
    public var rarity: RarityAssessment

    public init(
        timestamp: EventTimestamp,
        action: NetworkAction,
        process: AlertProcess,
        user: AlertUser = AlertUser(),
        source: AlertEndpoint? = nil,
        destination: AlertEndpoint? = nil,
        transport: TransportProtocol? = nil,
        networkType: AddressFamily? = nil,
        hostName: String? = nil,
        container: EventContainer? = nil,
        rarity: RarityAssessment
    ) {
        self.timestamp = timestamp
        self.action = action
        self.process = process
        self.user = user
        self.source = source
        self.destination = destination
        self.transport = transport
        self.networkType = networkType
        self.hostName = hostName
        self.container = container
        self.rarity = rarity
    }

    /// The alert for a recorded or captured event: the event's fields as far
    /// as they are known (`network.type` from `family`, else from an address),
    /// with the process details the event does not carry added by the caller.
    public init(event: NetworkEvent, rarity: RarityAssessment, workingDirectory: String? = nil) {
        let endpoint = { (address: IPAddress?, port: UInt16?) -> AlertEndpoint? in
            address == nil && port == nil ? nil : AlertEndpoint(ip: address, port: port)
        }
        self.init(
            timestamp: event.timestamp,
            action: event.action,
            process: AlertProcess(
                pid: event.pid, name: event.comm, executable: event.executable,
                arguments: event.arguments, workingDirectory: workingDirectory, parentPID: event.ppid
            ),
            user: AlertUser(id: event.uid, name: event.user),
            source: endpoint(event.sourceAddress, event.sourcePort),
            destination: endpoint(event.destinationAddress, event.destinationPort),
            transport: event.transport,
            networkType: event.family ?? event.destinationAddress?.family ?? event.sourceAddress?.family,
            hostName: event.host,
            container: event.container,
            rarity: rarity
        )
    }
}

/// The `process.*` fields of an alert.
public struct AlertProcess: Sendable, Hashable {
    /// `process.pid`.
    public var pid: UInt32?
    /// `process.name`: the process's name (its task name at exec), never a thread's.
    public var name: String?
    /// `process.executable`: the absolute path of the executable.
    public var executable: String?
    /// `process.args`: the command line, program first.
    public var arguments: [String]?
    /// `process.working_directory`.
    public var workingDirectory: String?
    /// `process.parent.pid`.
    public var parentPID: UInt32?

    public init(
        pid: UInt32? = nil,
        name: String? = nil,
        executable: String? = nil,
        arguments: [String]? = nil,
        workingDirectory: String? = nil,
        parentPID: UInt32? = nil
    ) {
        self.pid = pid
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.workingDirectory = workingDirectory
        self.parentPID = parentPID
    }
}

/// The `user.*` fields of an alert.
public struct AlertUser: Sendable, Hashable {
    /// `user.id`, written as a string as ECS defines it.
    public var id: UInt32?
    /// `user.name`.
    public var name: String?

    public init(id: UInt32? = nil, name: String? = nil) {
        self.id = id
        self.name = name
    }
}

/// The `source.*` or `destination.*` fields of an alert.
public struct AlertEndpoint: Sendable, Hashable {
    /// `*.ip`.
    public var ip: IPAddress?
    /// `*.port`.
    public var port: UInt16?

    public init(ip: IPAddress? = nil, port: UInt16? = nil) {
        self.ip = ip
        self.port = port
    }
}

/// Why an event is rare: the `rarenet` object of an alert.
public struct RarityAssessment: Sendable, Hashable {
    /// `rarenet.detector`: `rare_process`, `rare_port`, ….
    public var detector: String
    /// `rarenet.score`: 0–100, written with two decimals at most.
    public var score: Double
    /// `rarenet.probability`: the estimated probability `q` of the key in a bucket.
    public var probability: Double
    /// `rarenet.seen_buckets`: the key's decayed count of buckets it was seen in.
    public var seenBuckets: Double
    /// `rarenet.baseline_buckets`: the decayed number of completed buckets of history.
    public var baselineBuckets: Double
    /// `rarenet.first_seen`: when the key was first seen, if the detector knows.
    public var firstSeen: EventTimestamp?
    /// `rarenet.scale`: the time scale that decided the score (`15m`, `1d`).
    public var scale: String
    /// `rarenet.process_key`: the identity the process was scored as
    /// (origin, location, rewritten path, script), when the detector keys on it.
    public var processKey: String?
    /// `rarenet.port_class`: `dynamic-local` or `dynamic-public` when the
    /// detector keyed a dynamic destination port by class (``DestinationPortKeys``).
    public var portClass: String?

    public init(
        detector: String,
        score: Double,
        probability: Double,
        seenBuckets: Double,
        baselineBuckets: Double,
        firstSeen: EventTimestamp? = nil,
        scale: String,
        processKey: String? = nil,
        portClass: String? = nil
    ) {
        self.detector = detector
        self.score = score
        self.probability = probability
        self.seenBuckets = seenBuckets
        self.baselineBuckets = baselineBuckets
        self.firstSeen = firstSeen
        self.scale = scale
        self.processKey = processKey
        self.portClass = portClass
    }
}

extension RarityAssessment {
    /// The evidence of a scorer alert; `scale` names its time scale (`15m`,
    /// `1d`), `processKey` the key text of the process, for ``Detector/rareProcess``,
    /// `portClass` the class of the destination port, for ``Detector/rarePort``.
    public init(_ alert: Alert, scale: String, processKey: String? = nil, portClass: DynamicPortClass? = nil) {
        self.init(
            detector: alert.detector.rawValue,
            score: alert.score,
            probability: alert.probability,
            seenBuckets: alert.seenBuckets,
            baselineBuckets: alert.baselineBuckets,
            firstSeen: alert.firstSeen,
            scale: scale,
            processKey: alert.detector == .rareProcess ? processKey : nil,
            portClass: alert.detector == .rarePort ? portClass?.rawValue : nil
        )
    }
}
