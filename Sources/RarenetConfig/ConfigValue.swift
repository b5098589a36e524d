import RarenetEvents
import RarenetMetrics

/// A value as written in the file or on the command line, before validation:
/// a scalar's text, a list of values, or something else (a mapping, nothing).
struct ConfigValue: Sendable {
    enum Shape: Sendable {
        case scalar(String)
        case list([ConfigValue])
        case mapping
        case null
    }

    var shape: Shape
    /// The line in the file, when the value came from one.
    var line: Int?

    /// A problem with this value, located at its line.
    func problem(_ reason: String) -> ConfigProblem {
        ConfigProblem(reason: reason, line: line)
    }

    /// The scalar's text; it must not be empty.
    func text() throws(ConfigProblem) -> String {
        switch shape {
        case .scalar(let text) where !text.isEmpty: text
        case .scalar, .null: throw problem("has no value")
        case .list: throw problem("must be a single value, not a list")
        case .mapping: throw problem("must be a single value, not a mapping")
        }
    }

    /// One of an enumeration's raw values.
    func choice<Choice: RawRepresentable<String> & CaseIterable>() throws(ConfigProblem) -> Choice {
        let text = try text()
        guard let choice = Choice(rawValue: text) else {
            let choices = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw problem("must be one of \(choices) (got \"\(text)\")")
        }
        return choice
    }

    /// A decimal integer in `range` (and a power of two when asked).
    func integer(in range: ClosedRange<Int>, powerOfTwo: Bool = false) throws(ConfigProblem) -> Int {
        let text = try text()
        let kind = powerOfTwo ? "a power of two" : "an integer"
        guard let value = Int(text), range.contains(value), !powerOfTwo || value.nonzeroBitCount == 1 else {
            throw problem("must be \(kind) from \(range.lowerBound) to \(range.upperBound) (got \"\(text)\")")
        }
        return value
    }

    /// A number (integer or decimal) in `range`.
    func number(in range: ClosedRange<Double>) throws(ConfigProblem) -> Double {
        let text = try text()
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw problem("must be a number from \(range.lowerBound.formatted) to \(range.upperBound.formatted) (got \"\(text)\")")
        }
        return value
    }

    /// A 64-bit unsigned integer, decimal or `0x` hexadecimal (underscores allowed between digits).
    func unsigned64() throws(ConfigProblem) -> UInt64 {
        let text = try text()
        let digits = text.filter { $0 != "_" }
        let value = digits.hasPrefix("0x") ? UInt64(digits.dropFirst(2), radix: 16) : UInt64(digits)
        guard let value else {
            throw problem("must be an unsigned 64-bit integer, decimal or 0x hexadecimal (got \"\(text)\")")
        }
        return value
    }

    /// A range of ports, `LOW-HIGH` (1 to 65535, LOW ≤ HIGH), or `none` for `nil`.
    func portRange() throws(ConfigProblem) -> ClosedRange<UInt16>? {
        let text = try text()
        if text == "none" { return nil }
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { UInt16($0) }
        guard bounds.count == 2, let low = bounds[0], let high = bounds[1], low >= 1, low <= high else {
            throw problem("must be a port range LOW-HIGH from 1 to 65535, or none (got \"\(text)\")")
        }
        return low...high
    }

    /// A duration (``DurationSyntax``) in `range`.
    func duration(in range: ClosedRange<Duration>) throws(ConfigProblem) -> Duration {
        let text = try text()
        let bounds = "from \(DurationSyntax.format(range.lowerBound)) to \(DurationSyntax.format(range.upperBound))"
        guard let value = DurationSyntax.parse(text) else {
            throw problem("must be a duration like 90s, 15m, 24h or 14d, \(bounds) (got \"\(text)\")")
        }
        guard range.contains(value) else { throw problem("must be \(bounds) (got \(text))") }
        return value
    }

    /// A size in bytes that is a power of two within `range`: a number of bytes, or with `KiB`, `MiB`, `GiB`.
    func byteSize(in range: ClosedRange<Int>) throws(ConfigProblem) -> Int {
        let text = try text()
        let units = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("", 1)]
        let (suffix, multiplier) = units.first { text.hasSuffix($0.0) }!
        let bounds = "a power of two from \(range.lowerBound.byteSizeText) to \(range.upperBound.byteSizeText)"
        guard let count = Int(text.dropLast(suffix.count)) else {
            throw problem("must be a size like 16MiB, \(bounds) (got \"\(text)\")")
        }
        let (value, overflow) = count.multipliedReportingOverflow(by: multiplier)
        guard !overflow, range.contains(value), value.nonzeroBitCount == 1 else {
            throw problem("must be \(bounds) (got \(text))")
        }
        return value
    }

    /// A metrics address (``MetricsAddress``).
    func metricsAddress() throws(ConfigProblem) -> MetricsAddress {
        let text = try text()
        do {
            return try MetricsAddress(parsing: text)
        } catch {
            throw problem("\(error.problem) (got \"\(text)\"; use host:port, [v6]:port or 0 to disable)")
        }
    }

    /// A list whose elements are read by `element`; nothing at all is an empty list.
    func list<Element>(_ element: (ConfigValue) throws(ConfigProblem) -> Element) throws(ConfigProblem) -> [Element] {
        switch shape {
        case .list(let values):
            var elements: [Element] = []
            for value in values { elements.append(try element(value)) }
            return elements
        case .null: return []
        case .scalar: throw problem("must be a list (e.g. [a, b] or one \"- item\" per line)")
        case .mapping: throw problem("must be a list, not a mapping")
        }
    }
}

/// What is wrong with one value, and where, before it is attributed to a file or flag.
struct ConfigProblem: Error {
    var reason: String
    var line: Int?
}

extension Double {
    /// Without a fraction when it is whole (`100`, not `100.0`).
    fileprivate var formatted: String {
        self == rounded() ? String(Int(self)) : String(self)
    }
}

extension Int {
    /// The largest binary unit that divides it (`16777216` → `16MiB`).
    fileprivate var byteSizeText: String {
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where self % size == 0 {
            return "\(self / size)\(unit)"
        }
        return "\(self)"
    }
}
