import RarenetEvents

/// A scenario's events as event lines (``ScenarioLineEncoder``), with the
/// digest of every line so far: the same profile, seed and days give the
/// same digest.
public struct ScenarioLines {
    public let stream: ScenarioStream
    public private(set) var digest = StreamDigest()
    public private(set) var count = 0
    private var writer = JSONLineWriter(capacity: 1024)

    public init(_ stream: ScenarioStream) {
        self.stream = stream
    }

    /// The line of the event ``next()`` returned last, newline included.
    public var line: [UInt8] { writer.bytes }

    /// The next event, its line in ``line``; `nil` after the last.
    public mutating func next() -> ScenarioEvent? {
        guard let event = stream.next() else { return nil }
        writer.reset()
        ScenarioLineEncoder.encode(event, host: stream.host, into: &writer)
        digest.update(writer.bytes)
        count += 1
        return event
    }
}
