import RarenetEvents

/// What an event really is: the ground truth the benchmark scores alerts against.
public enum Truth: Sendable, Hashable {
    /// Routine work of the host, by the activity that did it (`nginx`, `go test binaries`).
    case routine(activity: String)
    /// Part of a planted attack: an index into ``ScenarioStream/plantedAttacks``.
    case planted(attack: Int)
}

/// One connect or bind of a scenario, with its ground truth.
public struct ScenarioEvent: Sendable {
    /// Nanoseconds since the epoch.
    public var time: Int64
    public var action: NetworkAction
    public var pid: UInt32
    public var ppid: UInt32
    public var image: ProcessImage
    /// For a bind the bound endpoint; for a connect the source address and port.
    public var local: Endpoint
    /// For a connect, where it goes.
    public var remote: Endpoint?
    public var truth: Truth
}
