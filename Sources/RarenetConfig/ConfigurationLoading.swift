import Yams

#if canImport(Glibc)
import Glibc
#endif

extension SensorConfiguration {
    /// The largest configuration file read.
    public static let maximumFileSize = 1 << 20

    /// The configuration: the defaults, then the file (when given), then the flags.
    ///
    /// - Parameters:
    ///   - file: The YAML configuration file, or nil for none. It is refused when
    ///     another user could change it (``PathTrust``).
    ///   - overrides: The command-line flags the user gave; they win over the file.
    /// - Throws: ``ConfigurationError`` naming the file or flag, the line, the field and the reason.
    public static func load(
        file: String?,
        overrides: ConfigurationOverrides = ConfigurationOverrides()
    ) throws(ConfigurationError) -> SensorConfiguration {
        var configuration = SensorConfiguration()
        if let file {
            configuration = try parse(yaml: readTrustedFile(file), file: file)
        }
        try overrides.apply(to: &configuration)
        return configuration
    }

    /// Reads YAML text over the defaults; `file` names it in errors.
    ///
    /// Every field is optional; an unknown field, a value of the wrong type or out
    /// of range is an error. An empty document is the defaults.
    public static func parse(yaml: String, file: String) throws(ConfigurationError) -> SensorConfiguration {
        var configuration = SensorConfiguration()
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(yamlError: error, file: file)
        } catch {
            throw ConfigurationError(source: .file(file), reason: "invalid YAML: \(error)")
        }
        if let root, root.null == nil {
            try read(root, section: nil, into: &configuration, file: file)
        }
        return configuration
    }

    /// Reads the fields of one mapping, the root when `section` is nil, recursing into sections.
    private static func read(
        _ node: Node,
        section: String?,
        into configuration: inout SensorConfiguration,
        file: String
    ) throws(ConfigurationError) {
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError(
                source: .file(file), line: node.mark?.line, field: section,
                reason: "must be a mapping of fields (name: value)"
            )
        }
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw ConfigurationError(source: .file(file), line: keyNode.mark?.line, field: section,
                                         reason: "field names must be plain text")
            }
            let path = section.map { "\($0).\(key)" } ?? key
            if let field = ConfigurationField(rawValue: path) {
                do {
                    try field.apply(ConfigValue(valueNode), to: &configuration)
                } catch {
                    throw ConfigurationError(source: .file(file), line: error.line ?? valueNode.mark?.line,
                                             field: path, reason: error.reason)
                }
            } else if ConfigurationField.sections.contains(path) {
                if valueNode.null == nil {
                    try read(valueNode, section: path, into: &configuration, file: file)
                }
            } else {
                throw ConfigurationError(source: .file(file), line: keyNode.mark?.line, field: path,
                                         reason: "unknown field (expected one of: \(knownNames(in: section)))")
            }
        }
    }

    /// The field and section names directly inside a section, sorted.
    private static func knownNames(in section: String?) -> String {
        let prefix = section.map { "\($0)." } ?? ""
        let paths = ConfigurationField.allCases.map(\.rawValue) + ConfigurationField.sections
        let names = paths.filter { $0.hasPrefix(prefix) }.compactMap { path in
            path.dropFirst(prefix.count).split(separator: ".").first.map(String.init)
        }
        return Set(names).sorted().joined(separator: ", ")
    }

    /// The text of a regular file that only root or this user can change, at most ``maximumFileSize`` bytes.
    private static func readTrustedFile(_ path: String) throws(ConfigurationError) -> String {
        func failure(_ reason: String) -> ConfigurationError {
            ConfigurationError(source: .file(path), reason: reason)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw failure("cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw failure("cannot stat: \(String(cString: strerror(errno)))") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw failure("is not a regular file") }
        if let reason = PathTrust.untrustedReason(status: status, path: path, isParent: false)
            ?? PathTrust.untrustedReasonOfParents(path) {
            throw failure("refused: \(reason)")
        }
        guard status.st_size <= maximumFileSize else {
            throw failure("is larger than \(maximumFileSize >> 20) MiB")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size) + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes[count...].withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure("cannot read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            count += n
        }
        guard count <= maximumFileSize else { throw failure("is larger than \(maximumFileSize >> 20) MiB") }
        guard let text = String(validating: bytes[..<count], as: UTF8.self) else {
            throw failure("is not UTF-8 text")
        }
        return text
    }
}

/// Command-line values that override the configuration file's.
///
/// Record every flag the user gave; a flag not given (nil, or an empty list)
/// leaves the file's value. Values are validated exactly like the file's, and an
/// error names the flag. A list flag replaces the file's list.
///
///     var overrides = ConfigurationOverrides()
///     overrides.set(.threshold, to: threshold, flag: "--threshold")          // String?
///     overrides.set(.excludedCIDRs, to: excludeCIDR, flag: "--exclude-cidr")  // [String]
///     let configuration = try SensorConfiguration.load(file: config, overrides: overrides)
public struct ConfigurationOverrides: Sendable {
    private var values: [(field: ConfigurationField, flag: String, value: ConfigValue)] = []

    /// No overrides.
    public init() {}

    /// Overrides a single-valued field with a flag's text (as in the file: `15m`, `16MiB`, `0x2a`).
    public mutating func set(_ field: ConfigurationField, to text: String?, flag: String) {
        precondition(!field.isList, "\(field.rawValue) is a list; pass the flag's values as [String]")
        guard let text else { return }
        values.append((field, flag, ConfigValue(shape: .scalar(text))))
    }

    /// Overrides a list field with a repeated flag's values.
    public mutating func set(_ field: ConfigurationField, to items: [String], flag: String) {
        precondition(field.isList, "\(field.rawValue) holds one value; pass the flag's text as String?")
        guard !items.isEmpty else { return }
        let elements = items.map { ConfigValue(shape: .scalar($0)) }
        values.append((field, flag, ConfigValue(shape: .list(elements))))
    }

    /// Applies the overrides in the order they were set.
    public func apply(to configuration: inout SensorConfiguration) throws(ConfigurationError) {
        for (field, flag, value) in values {
            do {
                try field.apply(value, to: &configuration)
            } catch {
                throw ConfigurationError(source: .flag(flag), field: field.rawValue, reason: error.reason)
            }
        }
    }
}

extension ConfigValue {
    /// A value from a file's node, at its line.
    fileprivate init(_ node: Node) {
        line = node.mark?.line
        switch node {
        case _ where node.null != nil: shape = .null
        case .scalar(let scalar): shape = .scalar(scalar.string)
        case .sequence(let sequence): shape = .list(sequence.map(ConfigValue.init))
        case .mapping, .alias: shape = .mapping  // compose() resolves aliases to their node
        }
    }

    /// A value from a flag's text.
    init(shape: Shape) {
        self.shape = shape
        self.line = nil
    }
}

extension ConfigurationError {
    /// A YAML syntax error, at its line.
    fileprivate init(yamlError: YamlError, file: String) {
        switch yamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            self.init(source: .file(file), line: mark.line, reason: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            self.init(source: .file(file), line: context.mark.line,
                      reason: "duplicate field \(duplicates.joined(separator: ", "))")
        case .reader(let problem, let offset, let value, let yaml):
            // Yams describes a reader error over several lines (the text and a caret): keep the problem and
            // its line, counting YAML's line breaks in the characters before `offset`.
            let breaks: Set<Character> = ["\n", "\r\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"]
            let line = offset.map { 1 + yaml.prefix($0).count(where: breaks.contains) }
            let hexadecimal = String(UInt32(bitPattern: value), radix: 16, uppercase: true)
            let codePoint = "U+" + String(repeating: "0", count: max(0, 4 - hexadecimal.count)) + hexadecimal
            self.init(source: .file(file), line: line, reason: "invalid YAML: \(problem) (\(codePoint))")
        default:
            self.init(source: .file(file), reason: "invalid YAML: \(yamlError)")
        }
    }
}
