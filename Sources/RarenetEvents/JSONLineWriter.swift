/// Appends compact JSON text to a byte buffer, for the line formats rarenet
/// writes (recorded events, ECS alerts).
///
/// The writer emits exactly what it is told, in the order it is told, so the
/// output is deterministic: callers fix the key order, and numbers have one
/// spelling each (integers in decimal, doubles as described in
/// ``appendNumber(_:)-(Double)``). It does not check that the calls nest
/// correctly; the encoders that use it are small enough to read.
public struct JSONLineWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]
    /// Whether the next member or element of the innermost container needs a leading comma.
    private var needsComma = false

    /// A writer with an empty buffer of `capacity` reserved bytes.
    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The text `body` writes into a fresh writer (for one-off lines).
    public static func text(_ body: (inout JSONLineWriter) -> Void) -> String {
        var writer = JSONLineWriter()
        body(&writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Empties the buffer, keeping its capacity, to write the next line.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma = false
    }

    /// Opens an object: as a top-level value or after ``appendKey(_:)``.
    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Closes the innermost object.
    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Opens an array after ``appendKey(_:)``.
    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    /// Closes the innermost array.
    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes a member name and the colon; the value follows with the next call.
    public mutating func appendKey(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    /// Writes a string value with the JSON escapes it needs.
    ///
    /// `"` and `\` are escaped, control characters become `\n`, `\t`, … or
    /// `\u00XX`; everything else is copied as UTF-8, in runs.
    public mutating func appendString(_ value: some StringProtocol) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var text = String(value)
        text.withUTF8 { utf8 in
            var runStart = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                appendEscaped(byte)
                runStart = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "t"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0xf)])
        }
    }

    /// Writes a string value that is known to need no escaping (constants).
    public mutating func appendString(_ value: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        value.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Writes a timestamp as an RFC 3339 UTC string with nine fraction digits.
    public mutating func appendTimestamp(_ timestamp: EventTimestamp) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        timestamp.appendRFC3339(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Writes an integer in decimal.
    public mutating func appendNumber(_ value: some BinaryInteger) {
        separate()
        appendDecimal(value)
        needsComma = true
    }

    /// Writes a finite double: integral values below 2^53 as integers (`100`),
    /// others in Swift's shortest round-trip form (`60.12`, `5.2e-05`), which
    /// is valid JSON and the same on every run. A non-finite value is written
    /// as `null` (JSON has no spelling for it).
    public mutating func appendNumber(_ value: Double) {
        separate()
        if !value.isFinite {
            bytes.append(contentsOf: "null".utf8)
        } else if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            appendDecimal(Int64(value))
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
        needsComma = true
    }

    /// Writes `true` or `false`.
    public mutating func appendBool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    /// Writes the member `key` with a string value, or nothing when `value` is `nil`.
    public mutating func appendMember(_ key: StaticString, _ value: (some StringProtocol)?) {
        guard let value else { return }
        appendKey(key)
        appendString(value)
    }

    /// Writes the member `key` with an array of strings.
    public mutating func appendMember(_ key: StaticString, strings: [String]) {
        appendKey(key)
        beginArray()
        for string in strings { appendString(string) }
        endArray()
    }

    /// Writes the member `key` with an integer value, or nothing when `value` is `nil`.
    public mutating func appendMember(_ key: StaticString, _ value: (some BinaryInteger)?) {
        guard let value else { return }
        appendKey(key)
        appendNumber(value)
    }

    /// Writes the member `key` with a double value (see ``appendNumber(_:)-(Double)``).
    public mutating func appendMember(_ key: StaticString, _ value: Double) {
        appendKey(key)
        appendNumber(value)
    }

    /// Writes the member `key` with a timestamp value, or nothing when `value` is `nil`.
    public mutating func appendMember(_ key: StaticString, _ value: EventTimestamp?) {
        guard let value else { return }
        appendKey(key)
        appendTimestamp(value)
    }

    /// Ends the line: appends `\n`.
    public mutating func endLine() {
        bytes.append(UInt8(ascii: "\n"))
        needsComma = false
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func appendDecimal(_ value: some BinaryInteger) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = UInt64(value.magnitude)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
