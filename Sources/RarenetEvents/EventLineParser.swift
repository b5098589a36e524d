/// Parses one line of the JSON-lines event record format (DESIGN.md,
/// "Event record format") into a ``NetworkEvent``.
///
/// The line must be one flat JSON object. Required fields: `ts` (RFC 3339
/// text, see ``EventTimestamp/init(rfc3339:)``, or integer nanoseconds since
/// the epoch), `action` (`connect` | `bind`), `pid`, `uid`, `comm`. Optional
/// fields (`null` is the same as absent): `ppid`, `exe` (absolute path),
/// `user`, `family` (4 | 6), `protocol` (`tcp` | `udp`), `saddr`, `sport`,
/// `daddr`, `dport`, `host`, `args` (an array of strings, `argv[0]` first),
/// `container_id`, `container_image`, `container_runtime` (`docker` |
/// `containerd` | `cri-o` | `podman`) and `origin` (`host` | `namespace`: a
/// mount namespace that is no container and whose `exe` is not the host's
/// file of that path). With a container or a foreign namespace, `exe` is the
/// path inside the process's own root. Unknown fields are ignored whatever their value
/// (nested objects and arrays included, up to 64 levels), but must still be
/// well-formed JSON. A field given twice is an error, as are addresses whose
/// family disagrees with `family` or with each other.
///
/// The parser is a single forward pass over the bytes with no recursion: it
/// never traps, and runs in time linear in the length of the line, on any
/// input.
public enum EventLineParser {
    /// Parses one line (without its newline; surrounding whitespace is allowed).
    public static func parse(_ line: UnsafeRawBufferPointer) -> Result<NetworkEvent, EventLineError> {
        var scanner = EventLineScanner(bytes: line)
        return Result { () throws(EventLineError) in try scanner.parseEvent() }
    }

    /// Parses one line held in an array.
    public static func parse(_ line: [UInt8]) -> Result<NetworkEvent, EventLineError> {
        line.withUnsafeBytes { parse($0) }
    }

    /// Parses one line held in a string.
    public static func parse(_ line: String) -> Result<NetworkEvent, EventLineError> {
        var line = line
        return line.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }
}

/// The fields of the record format.
enum EventField: Int, CaseIterable {
    case ts, action, pid, uid, comm, ppid, exe, user, family, `protocol`, saddr, sport, daddr, dport, host
    case args, containerID, containerImage, containerRuntime, origin

    /// The JSON member name.
    var name: String {
        switch self {
        case .ts: "ts"
        case .action: "action"
        case .pid: "pid"
        case .uid: "uid"
        case .comm: "comm"
        case .ppid: "ppid"
        case .exe: "exe"
        case .user: "user"
        case .family: "family"
        case .protocol: "protocol"
        case .saddr: "saddr"
        case .sport: "sport"
        case .daddr: "daddr"
        case .dport: "dport"
        case .host: "host"
        case .args: "args"
        case .containerID: "container_id"
        case .containerImage: "container_image"
        case .containerRuntime: "container_runtime"
        case .origin: "origin"
        }
    }

    private static let utf8Names: [[UInt8]] = allCases.map { Array($0.name.utf8) }

    /// The field whose name is exactly these bytes, if any.
    init?(nameBytes: UnsafeRawBufferPointer) {
        guard let index = Self.utf8Names.firstIndex(where: { $0.elementsEqual(nameBytes) }) else { return nil }
        self = Self.allCases[index]
    }

    init?(name: String) {
        guard let field = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = field
    }
}

/// One JSON value as located in the line, before conversion.
private enum JSONToken {
    /// The bytes between the quotes, still escaped when `hasEscapes`.
    case string(Range<Int>, hasEscapes: Bool)
    /// The literal number text; `isInteger` when it has no fraction or exponent.
    case number(Range<Int>, isInteger: Bool)
    case bool(Bool)
    case null
    /// An object or array, already skipped: its bytes, brackets included.
    case container(Range<Int>, isObject: Bool)

    var kind: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .container(_, let isObject): isObject ? "an object" : "an array"
        }
    }
}

/// The scanning state of one line.
private struct EventLineScanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    /// Nesting limit for skipped values (one bit per level in `ContainerStack`).
    static let maximumDepth = 64
    /// How much of a bad value an error message quotes.
    static let excerptLength = 40

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    // MARK: Record

    mutating func parseEvent() throws(EventLineError) -> NetworkEvent {
        var fields = FieldValues()
        skipWhitespace()
        guard index < bytes.count else { throw syntax("the line is empty") }
        guard bytes[index] == UInt8(ascii: "{") else { throw syntax("expected '{' at the start of the line") }
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                let key = try scanKey()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "after a member name")
                skipWhitespace()
                let token = try scanValue()
                if let field = key {
                    try fields.set(field, from: token, scanner: self)
                }
                skipWhitespace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"), "or ',' after a member")
                break
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw syntax("unexpected characters after the object") }
        return try fields.event()
    }

    /// Scans a member name; returns the record field it names, if any.
    mutating func scanKey() throws(EventLineError) -> EventField? {
        guard peek() == UInt8(ascii: "\"") else { throw syntax("expected a member name in double quotes") }
        let token = try scanValue()
        guard case .string(let range, let hasEscapes) = token else { return nil }
        if hasEscapes {
            return EventField(name: try decodeString(range, hasEscapes: true, field: nil))
        }
        return EventField(nameBytes: UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    // MARK: Values

    /// Scans one value of any kind; objects and arrays are skipped whole.
    mutating func scanValue() throws(EventLineError) -> JSONToken {
        guard let byte = peek() else { throw syntax("expected a value") }
        switch byte {
        case UInt8(ascii: "\""):
            return try scanString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try scanNumber()
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let start = index
            try skipContainer()
            return .container(start..<index, isObject: byte == UInt8(ascii: "{"))
        default:
            throw syntax("expected a value")
        }
    }

    /// Scans a string, checking its escapes and that it has no raw control characters.
    mutating func scanString() throws(EventLineError) -> JSONToken {
        index += 1
        let start = index
        var hasEscapes = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return .string(start..<(index - 1), hasEscapes: hasEscapes)
            case UInt8(ascii: "\\"):
                hasEscapes = true
                index += 1
                guard let escaped = peek() else { break }
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    guard index + 4 < bytes.count, (1...4).allSatisfy({ bytes[index + $0].hexDigitValue != nil }) else {
                        throw syntax("\\u must be followed by four hex digits")
                    }
                    index += 5
                default:
                    throw syntax("invalid escape '\\\(Character(Unicode.Scalar(escaped)))' in a string")
                }
            case 0..<0x20:
                throw syntax("unescaped control character in a string")
            default:
                index += 1
            }
        }
        throw syntax("unterminated string")
    }

    /// Scans a number per the JSON grammar: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    mutating func scanNumber() throws(EventLineError) -> JSONToken {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), first.decimalDigitValue != nil else { throw syntax("expected a digit in a number") }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard skipDigits() > 0 else { throw syntax("expected a digit after '.' in a number") }
            isInteger = false
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() > 0 else { throw syntax("expected a digit in the exponent of a number") }
            isInteger = false
        }
        if let next = peek(), next.decimalDigitValue != nil {
            throw syntax("a number must not have leading zeros")
        }
        return .number(start..<index, isInteger: isInteger)
    }

    /// Skips an object or array, checking its syntax, without recursion.
    mutating func skipContainer() throws(EventLineError) {
        var stack = ContainerStack()
        var justOpened = true
        stack.push(isObject: bytes[index] == UInt8(ascii: "{"))
        index += 1
        while let isObject = stack.top {
            skipWhitespace()
            let closer = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            if peek() == closer {
                index += 1
                stack.pop()
                justOpened = false
                continue
            }
            if !justOpened {
                try expect(UInt8(ascii: ","), "or '\(Character(Unicode.Scalar(closer)))' in a nested value")
                skipWhitespace()
            }
            if isObject {
                guard peek() == UInt8(ascii: "\"") else { throw syntax("expected a member name in double quotes") }
                _ = try scanString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "after a member name")
                skipWhitespace()
            }
            if let opener = peek(), opener == UInt8(ascii: "{") || opener == UInt8(ascii: "[") {
                guard stack.depth < Self.maximumDepth else {
                    throw syntax("values nested deeper than \(Self.maximumDepth) levels")
                }
                stack.push(isObject: opener == UInt8(ascii: "{"))
                index += 1
                justOpened = true
            } else {
                _ = try scanValue()
                justOpened = false
            }
        }
    }

    // MARK: Conversion

    /// The text of a string value, unescaped and checked to be valid UTF-8.
    func decodeString(_ range: Range<Int>, hasEscapes: Bool, field: EventField?) throws(EventLineError) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[range])
        if !hasEscapes {
            let utf8 = raw.assumingMemoryBound(to: UInt8.self)
            // Fast path: ASCII is valid UTF-8 as it is.
            if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
            guard let text = String(validating: utf8, as: UTF8.self) else {
                throw EventLineError(field: field?.name, reason: "is not valid UTF-8")
            }
            return text
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        var position = 0
        while position < raw.count {
            let byte = raw[position]
            position += 1
            guard byte == UInt8(ascii: "\\") else {
                decoded.append(byte)
                continue
            }
            let escaped = raw[position]
            position += 1
            switch escaped {
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0c)
            case UInt8(ascii: "n"): decoded.append(0x0a)
            case UInt8(ascii: "r"): decoded.append(0x0d)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = Self.hexValue(raw, at: position)
                position += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    let hasLow = position + 6 <= raw.count && raw[position] == UInt8(ascii: "\\")
                        && raw[position + 1] == UInt8(ascii: "u")
                    let low = hasLow ? Self.hexValue(raw, at: position + 2) : 0
                    guard (0xDC00..<0xE000).contains(low) else {
                        throw EventLineError(field: field?.name, reason: "has an unpaired UTF-16 surrogate")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    position += 6
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw EventLineError(field: field?.name, reason: "has an unpaired UTF-16 surrogate")
                }
                // Every value here is a valid scalar: surrogates were paired or refused above.
                decoded.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar)!)!)
            default:
                decoded.append(escaped)
            }
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw EventLineError(field: field?.name, reason: "is not valid UTF-8")
        }
        return text
    }

    /// The value of four hex digits already checked by `scanString`.
    private static func hexValue(_ raw: UnsafeRawBufferPointer, at position: Int) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 {
            value = value << 4 | UInt32(raw[position + offset].hexDigitValue ?? 0)
        }
        return value
    }

    /// An integer-valued number token in `range`, or an error naming `what` it should be
    /// (`"a port (0–65535)"`).
    func integer(_ token: JSONToken, _ field: EventField, in range: ClosedRange<Int64>, _ what: String) throws(EventLineError) -> Int64 {
        guard case .number(let textRange, let isInteger) = token else {
            throw EventLineError(field: field.name, reason: "expected \(what), found \(token.kind)")
        }
        let text = UnsafeRawBufferPointer(rebasing: bytes[textRange])
        func outOfRange() -> EventLineError {
            EventLineError(field: field.name, reason: "\(numberText(textRange)) is not \(what)")
        }
        guard isInteger else { throw outOfRange() }
        let isNegative = text.first == UInt8(ascii: "-")
        var magnitude: UInt64 = 0
        for byte in text.dropFirst(isNegative ? 1 : 0) {
            let (shifted, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow, !overflow2 else { throw outOfRange() }
            magnitude = sum
        }
        let value: Int64
        if isNegative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw outOfRange() }
            value = magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        } else {
            guard magnitude <= UInt64(Int64.max) else { throw outOfRange() }
            value = Int64(magnitude)
        }
        guard range.contains(value) else { throw outOfRange() }
        return value
    }

    /// The text of a string token, or an error naming `what` it should be.
    func string(_ token: JSONToken, _ field: EventField, _ what: String = "a string") throws(EventLineError) -> String {
        guard case .string(let range, let hasEscapes) = token else {
            throw EventLineError(field: field.name, reason: "expected \(what), found \(token.kind)")
        }
        return try decodeString(range, hasEscapes: hasEscapes, field: field)
    }

    /// The strings of an array token (already checked to be well-formed JSON),
    /// or an error naming the first element that is not a string.
    func stringArray(_ token: JSONToken, _ field: EventField) throws(EventLineError) -> [String] {
        guard case .container(let range, isObject: false) = token else {
            throw EventLineError(field: field.name, reason: "expected an array of strings, found \(token.kind)")
        }
        var element = EventLineScanner(bytes: bytes)
        element.index = range.lowerBound + 1
        var strings: [String] = []
        while true {
            element.skipWhitespace()
            if element.peek() == UInt8(ascii: "]") { return strings }
            if !strings.isEmpty {
                try element.expect(UInt8(ascii: ","), "between array elements")
                element.skipWhitespace()
            }
            let value = try element.scanValue()
            guard case .string(let textRange, let hasEscapes) = value else {
                throw EventLineError(field: field.name, reason: "element \(strings.count) is \(value.kind), expected a string")
            }
            strings.append(try decodeString(textRange, hasEscapes: hasEscapes, field: field))
        }
    }

    /// The text of a number token for an error message, shortened.
    func numberText(_ range: Range<Int>) -> String {
        let shown = range.prefix(Self.excerptLength)
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[shown]), as: UTF8.self)
        return shown.count < range.count ? text + "…" : text
    }

    /// The raw text of a string token, for an error message.
    func rawText(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    // MARK: Bytes

    func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d {
            index += 1
        }
    }

    @discardableResult
    mutating func skipDigits() -> Int {
        let start = index
        while let byte = peek(), byte.decimalDigitValue != nil { index += 1 }
        return index - start
    }

    mutating func expect(_ byte: UInt8, _ context: String) throws(EventLineError) {
        guard peek() == byte else {
            throw syntax("expected '\(Character(Unicode.Scalar(byte)))' \(context)")
        }
        index += 1
    }

    mutating func expectLiteral(_ literal: StaticString) throws(EventLineError) {
        let matches = literal.withUTF8Buffer { expected in
            index + expected.count <= bytes.count
                && expected.elementsEqual(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + expected.count)]))
        }
        guard matches else { throw syntax("expected a value") }
        index += literal.utf8CodeUnitCount
    }

    /// A syntax error at the current position (1-based column, in bytes).
    func syntax(_ reason: String) -> EventLineError {
        EventLineError(field: nil, reason: "column \(index + 1): \(reason)")
    }
}

/// The open containers of a skipped value, one bit each (1 = object).
private struct ContainerStack {
    private var bits: UInt64 = 0
    private(set) var depth = 0

    var top: Bool? { depth == 0 ? nil : bits & 1 == 1 }

    mutating func push(isObject: Bool) {
        bits = bits << 1 | (isObject ? 1 : 0)
        depth += 1
    }

    mutating func pop() {
        bits >>= 1
        depth -= 1
    }
}

/// The fields of one line as they are read, then checked together.
private struct FieldValues {
    /// One bit per ``EventField`` already read.
    var seen: UInt32 = 0
    var timestamp: EventTimestamp?
    var action: NetworkAction?
    var pid: UInt32?
    var uid: UInt32?
    var comm: String?
    var ppid: UInt32?
    var executable: String?
    var user: String?
    var family: AddressFamily?
    var transport: TransportProtocol?
    var sourceAddress: IPAddress?
    var sourcePort: UInt16?
    var destinationAddress: IPAddress?
    var destinationPort: UInt16?
    var host: String?
    var arguments: [String]?
    var containerID: String?
    var containerImage: String?
    var containerRuntime: String?
    var inForeignNamespace = false

    private static let processIDs: ClosedRange<Int64> = 0...Int64(UInt32.max)
    private static let ports: ClosedRange<Int64> = 0...Int64(UInt16.max)

    mutating func set(_ field: EventField, from token: JSONToken, scanner: EventLineScanner) throws(EventLineError) {
        let bit: UInt32 = 1 << field.rawValue
        guard seen & bit == 0 else {
            throw EventLineError(field: field.name, reason: "appears more than once")
        }
        seen |= bit
        if case .null = token {
            switch field {
            case .ts, .action, .pid, .uid, .comm:
                throw EventLineError(field: field.name, reason: "is required and must not be null")
            default:
                return
            }
        }
        switch field {
        case .ts:
            timestamp = try Self.timestamp(token, scanner: scanner)
        case .action:
            action = try Self.keyword(token, field, scanner: scanner, "an action")
        case .pid:
            pid = UInt32(try scanner.integer(token, field, in: Self.processIDs, "a process id (0–4294967295)"))
        case .uid:
            uid = UInt32(try scanner.integer(token, field, in: Self.processIDs, "a user id (0–4294967295)"))
        case .comm:
            comm = try scanner.string(token, field)
        case .ppid:
            ppid = UInt32(try scanner.integer(token, field, in: Self.processIDs, "a process id (0–4294967295)"))
        case .exe:
            let path = try scanner.string(token, field, "an absolute path")
            guard path.utf8.first == UInt8(ascii: "/") else {
                throw EventLineError(field: field.name, reason: "\(path.excerpt) is not an absolute path")
            }
            guard !path.utf8.contains(0) else {
                throw EventLineError(field: field.name, reason: "\(path.excerpt) contains a NUL character")
            }
            executable = path
        case .user:
            user = try scanner.string(token, field)
        case .family:
            let number = try scanner.integer(token, field, in: 4...6, "an address family (4 or 6)")
            guard let value = AddressFamily(rawValue: UInt8(number)) else {
                throw EventLineError(field: field.name, reason: "\(number) is not an address family (4 or 6)")
            }
            family = value
        case .protocol:
            transport = try Self.keyword(token, field, scanner: scanner, "a protocol")
        case .saddr:
            sourceAddress = try Self.address(token, field, scanner: scanner)
        case .sport:
            sourcePort = UInt16(try scanner.integer(token, field, in: Self.ports, "a port (0–65535)"))
        case .daddr:
            destinationAddress = try Self.address(token, field, scanner: scanner)
        case .dport:
            destinationPort = UInt16(try scanner.integer(token, field, in: Self.ports, "a port (0–65535)"))
        case .host:
            host = try scanner.string(token, field)
        case .args:
            arguments = try scanner.stringArray(token, field)
        case .containerID:
            containerID = try Self.nonEmpty(token, field, scanner: scanner, "a container id")
        case .containerImage:
            containerImage = try Self.nonEmpty(token, field, scanner: scanner, "an image reference")
        case .containerRuntime:
            let runtime = try scanner.string(token, field, "a container runtime")
            guard Self.containerRuntimes.contains(runtime) else {
                throw EventLineError(field: field.name, reason: "\(runtime.excerpt) is not a container runtime (\(Self.containerRuntimes.joined(separator: " or ")))")
            }
            containerRuntime = runtime
        case .origin:
            let origin = try scanner.string(token, field, "an origin")
            guard origin == "host" || origin == "namespace" else {
                throw EventLineError(field: field.name, reason: "\(origin.excerpt) is not an origin (host or namespace)")
            }
            inForeignNamespace = origin == "namespace"
        }
    }

    /// The runtimes `container_runtime` names (ECS `container.runtime`).
    static let containerRuntimes = ["docker", "containerd", "cri-o", "podman"]

    private static func nonEmpty(_ token: JSONToken, _ field: EventField, scanner: EventLineScanner, _ what: String) throws(EventLineError) -> String {
        let text = try scanner.string(token, field, what)
        guard !text.isEmpty else { throw EventLineError(field: field.name, reason: "must not be empty") }
        return text
    }

    private static func timestamp(_ token: JSONToken, scanner: EventLineScanner) throws(EventLineError) -> EventTimestamp {
        let what = "an RFC 3339 time or integer nanoseconds"
        if case .string(let range, let hasEscapes) = token {
            let parsed: Result<EventTimestamp, RFC3339Error>
            if hasEscapes {
                let text = try scanner.decodeString(range, hasEscapes: true, field: .ts)
                parsed = Result { () throws(RFC3339Error) in try EventTimestamp(rfc3339: text) }
            } else {
                parsed = EventTimestamp.parseRFC3339(UnsafeRawBufferPointer(rebasing: scanner.bytes[range]))
            }
            switch parsed {
            case .success(let timestamp):
                return timestamp
            case .failure(let error):
                throw EventLineError(field: EventField.ts.name, reason: "\(scanner.rawText(range).excerpt) is not an RFC 3339 time: \(error.reason)")
            }
        }
        guard case .number = token else {
            throw EventLineError(field: EventField.ts.name, reason: "expected \(what), found \(token.kind)")
        }
        let nanoseconds = try scanner.integer(token, .ts, in: Int64.min...Int64.max, "64-bit integer nanoseconds since the epoch")
        return EventTimestamp(nanosecondsSinceEpoch: nanoseconds)
    }

    /// One of the spellings of `Keyword` (`connect`, `tcp`, …).
    private static func keyword<Keyword: RawRepresentable & CaseIterable>(
        _ token: JSONToken, _ field: EventField, scanner: EventLineScanner, _ what: String
    ) throws(EventLineError) -> Keyword where Keyword.RawValue == String {
        let choices = Keyword.allCases.map(\.rawValue).joined(separator: " or ")
        let text = try scanner.string(token, field, choices)
        guard let value = Keyword(rawValue: text) else {
            throw EventLineError(field: field.name, reason: "\(text.excerpt) is not \(what) (\(choices))")
        }
        return value
    }

    private static func address(_ token: JSONToken, _ field: EventField, scanner: EventLineScanner) throws(EventLineError) -> IPAddress {
        let text = try scanner.string(token, field, "an IP address")
        guard let address = IPAddress(text) else {
            throw EventLineError(field: field.name, reason: "\(text.excerpt) is not an IP address")
        }
        return address
    }

    /// The event, once every required field is present and the addresses agree.
    func event() throws(EventLineError) -> NetworkEvent {
        guard let timestamp else { throw Self.missing(.ts) }
        guard let action else { throw Self.missing(.action) }
        guard let pid else { throw Self.missing(.pid) }
        guard let uid else { throw Self.missing(.uid) }
        guard let comm else { throw Self.missing(.comm) }
        try checkFamily(of: sourceAddress, .saddr)
        try checkFamily(of: destinationAddress, .daddr)
        if family == nil, let sourceAddress, let destinationAddress, sourceAddress.family != destinationAddress.family {
            throw EventLineError(
                field: EventField.daddr.name,
                reason: "\(destinationAddress) is \(destinationAddress.family.name) but \"saddr\" is \(sourceAddress.family.name)"
            )
        }
        return NetworkEvent(
            timestamp: timestamp, action: action, pid: pid, uid: uid, comm: comm,
            ppid: ppid, executable: executable, user: user, family: family, transport: transport,
            sourceAddress: sourceAddress, sourcePort: sourcePort,
            destinationAddress: destinationAddress, destinationPort: destinationPort, host: host,
            arguments: arguments, container: try container(), inForeignNamespace: inForeignNamespace
        )
    }

    /// The container fields together: an image or runtime needs an id, and a
    /// container is never also a foreign namespace.
    private func container() throws(EventLineError) -> EventContainer? {
        guard let containerID else {
            if containerImage != nil { throw EventLineError(field: EventField.containerImage.name, reason: "needs \"container_id\"") }
            if containerRuntime != nil { throw EventLineError(field: EventField.containerRuntime.name, reason: "needs \"container_id\"") }
            return nil
        }
        guard !inForeignNamespace else {
            throw EventLineError(field: EventField.origin.name, reason: "\"namespace\" contradicts \"container_id\"")
        }
        return EventContainer(id: containerID, image: containerImage, runtime: containerRuntime)
    }

    private func checkFamily(of address: IPAddress?, _ field: EventField) throws(EventLineError) {
        guard let address, let family, address.family != family else { return }
        throw EventLineError(field: field.name, reason: "\(address) is \(address.family.name) but \"family\" is \(family.rawValue)")
    }

    private static func missing(_ field: EventField) -> EventLineError {
        EventLineError(field: field.name, reason: "is required but missing")
    }
}

extension AddressFamily {
    /// `IPv4` or `IPv6`, for messages.
    fileprivate var name: String { self == .ipv4 ? "IPv4" : "IPv6" }
}

extension String {
    /// The string for an error message: at most 40 characters, JSON-escaped, in double quotes.
    fileprivate var excerpt: String {
        let limit = 40
        var writer = JSONLineWriter(capacity: limit + 8)
        writer.appendString(prefix(limit))
        let quoted = String(decoding: writer.bytes, as: UTF8.self)
        return count > limit ? quoted + "…" : quoted
    }
}

extension UInt8 {
    /// The value of an ASCII hex digit, or `nil`.
    fileprivate var hexDigitValue: Int? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(self - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(self - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(self - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}
