/// A configuration that cannot be used, with where and why, as one line.
///
/// `/etc/rarenet/rarenet.yaml:12: scoring.threshold: must be a number from 0 to 100 (got "150")`
/// or, for a flag, `--threshold (scoring.threshold): must be a number from 0 to 100 (got "150")`.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the bad value came from.
    public enum Source: Sendable, Hashable {
        /// The configuration file at this path.
        case file(String)
        /// A command-line flag, as the user typed it (`--threshold`).
        case flag(String)
    }

    /// The file or flag.
    public var source: Source
    /// The line in the file, when known.
    public var line: Int?
    /// The field's path (`scoring.threshold`), when the problem is with one field.
    public var field: String?
    /// What is wrong.
    public var reason: String

    /// Creates an error; see the properties.
    public init(source: Source, line: Int? = nil, field: String? = nil, reason: String) {
        self.source = source
        self.line = line
        self.field = field
        self.reason = reason
    }

    /// One line, as in the type's documentation.
    public var description: String {
        var location: String
        switch source {
        case .file(let path):
            location = line.map { "\(path):\($0)" } ?? path
            if let field { location += ": \(field)" }
        case .flag(let flag):
            location = field.map { "\(flag) (\($0))" } ?? flag
        }
        return Self.escapingLineBreaks("\(location): \(reason)")
    }

    /// `text` with its control characters and line separators escaped (`\n`,
    /// `\u{1}`): a field name or value quoted from the file or a flag cannot break the line.
    private static func escapingLineBreaks(_ text: String) -> String {
        func breaksTheLine(_ scalar: Unicode.Scalar) -> Bool {
            [.control, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory)
        }
        guard text.unicodeScalars.contains(where: breaksTheLine) else { return text }
        return text.unicodeScalars.map { breaksTheLine($0) ? $0.escaped(asASCII: true) : String($0) }.joined()
    }
}
