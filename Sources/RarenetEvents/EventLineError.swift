/// Why one line of an event file is not a valid event record.
///
/// `field` names the record field at fault, or is `nil` when the line is not
/// a well-formed JSON object at all. The text is safe to log: values quoted
/// from the input are shortened and JSON-escaped.
public struct EventLineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The record field at fault (`"dport"`), or `nil` for a syntax error.
    public var field: String?
    /// What is wrong, for example `70000 is not a port (0–65535)`.
    public var reason: String

    public init(field: String?, reason: String) {
        self.field = field
        self.reason = reason
    }

    /// `field "dport": 70000 is not a port (0–65535)`, or the reason alone.
    public var description: String {
        guard let field else { return reason }
        return "field \"\(field)\": \(reason)"
    }
}

/// A bad line of an event file: where it is and what is wrong with it.
public struct BadEventLine: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file name as given by the user (`events.jsonl`, or `-` for stdin).
    public var source: String
    /// One-based line number.
    public var lineNumber: Int
    public var error: EventLineError

    public init(source: String, lineNumber: Int, error: EventLineError) {
        self.source = source
        self.lineNumber = lineNumber
        self.error = error
    }

    /// `events.jsonl:12: field "dport": 70000 is not a port (0–65535)`.
    public var description: String { "\(source):\(lineNumber): \(error)" }
}
