/// Why a timestamp is not valid RFC 3339 text.
public struct RFC3339Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, for example `month 13 is out of range (01–12)`.
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

extension EventTimestamp {
    /// Parses RFC 3339 text: `2024-06-18T12:00:00.123456789Z`,
    /// `2024-06-18T14:00:00+02:00`, `2024-06-18 12:00:00z`.
    ///
    /// The fraction is optional and may have 1 to 9 digits; the offset
    /// (`Z` or `±HH:MM`) is required. A leap second (`:60`) counts as the
    /// first second of the next minute. The instant must fit in 64-bit
    /// nanoseconds since the epoch (years 1678 to 2261 are always safe).
    public init(rfc3339 text: some StringProtocol) throws(RFC3339Error) {
        let utf8 = Array(text.utf8)
        self = try utf8.withUnsafeBytes { Self.parseRFC3339($0) }.get()
    }

    /// The instant as RFC 3339 UTC text with nine fraction digits,
    /// `2024-06-18T12:00:00.000000000Z` (the record format's spelling).
    public var rfc3339: String {
        var bytes: [UInt8] = []
        appendRFC3339(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``rfc3339`` as UTF-8 bytes.
    public func appendRFC3339(to bytes: inout [UInt8]) {
        let (seconds, nanoseconds) = nanosecondsSinceEpoch.floorDivided(by: 1_000_000_000)
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        let date = CivilDate(daysSinceEpoch: days)
        func append(_ value: Int64, digits: Int) {
            var divisor: Int64 = 1
            for _ in 1..<digits { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        append(date.year, digits: 4)
        bytes.append(UInt8(ascii: "-"))
        append(date.month, digits: 2)
        bytes.append(UInt8(ascii: "-"))
        append(date.day, digits: 2)
        bytes.append(UInt8(ascii: "T"))
        append(secondOfDay / 3600, digits: 2)
        bytes.append(UInt8(ascii: ":"))
        append(secondOfDay / 60 % 60, digits: 2)
        bytes.append(UInt8(ascii: ":"))
        append(secondOfDay % 60, digits: 2)
        bytes.append(UInt8(ascii: "."))
        append(nanoseconds, digits: 9)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Parses RFC 3339 from raw bytes without allocating.
    static func parseRFC3339(_ text: UnsafeRawBufferPointer) -> Result<EventTimestamp, RFC3339Error> {
        var cursor = TimestampCursor(text: text)
        do throws(RFC3339Error) {
            let year = try cursor.digits(4, "year")
            try cursor.expect(UInt8(ascii: "-"), "after the year")
            let month = try cursor.digits(2, "month")
            try cursor.expect(UInt8(ascii: "-"), "after the month")
            let day = try cursor.digits(2, "day")
            guard cursor.accept([UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")]) else {
                throw RFC3339Error(reason: "expected 'T' between date and time")
            }
            let hour = try cursor.digits(2, "hour")
            try cursor.expect(UInt8(ascii: ":"), "after the hour")
            let minute = try cursor.digits(2, "minute")
            try cursor.expect(UInt8(ascii: ":"), "after the minute")
            let second = try cursor.digits(2, "second")
            let nanoseconds = try cursor.fraction()
            let offsetSeconds = try cursor.offset()
            guard cursor.isAtEnd else { throw RFC3339Error(reason: "unexpected characters after the offset") }

            try check(month, in: 1...12, "month", digits: 2)
            try check(day, in: 1...CivilDate.daysIn(month: month, year: year), "day", digits: 2)
            try check(hour, in: 0...23, "hour", digits: 2)
            try check(minute, in: 0...59, "minute", digits: 2)
            try check(second, in: 0...60, "second", digits: 2)

            let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
            let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
            // Before the epoch, borrow a second so that the product cannot overflow at Int64.min.
            let borrow: Int64 = seconds < 0 && nanoseconds > 0 ? 1 : 0
            let (scaled, overflow) = (seconds + borrow).multipliedReportingOverflow(by: 1_000_000_000)
            let (total, overflow2) = scaled.addingReportingOverflow(nanoseconds - borrow * 1_000_000_000)
            guard !overflow, !overflow2 else {
                throw RFC3339Error(reason: "is outside the range of 64-bit nanoseconds since the epoch (1677–2262)")
            }
            return .success(EventTimestamp(nanosecondsSinceEpoch: total))
        } catch {
            return .failure(error)
        }
    }

    private static func check(_ value: Int64, in range: ClosedRange<Int64>, _ name: String, digits: Int) throws(RFC3339Error) {
        guard range.contains(value) else {
            throw RFC3339Error(reason: "\(name) \(value) is out of range (\(range.lowerBound)–\(range.upperBound))")
        }
    }
}

/// Reads the fixed-width pieces of an RFC 3339 timestamp.
private struct TimestampCursor {
    let text: UnsafeRawBufferPointer
    var index = 0

    var isAtEnd: Bool { index == text.count }

    mutating func digits(_ count: Int, _ name: String) throws(RFC3339Error) -> Int64 {
        var value: Int64 = 0
        for _ in 0..<count {
            guard index < text.count, let digit = text[index].decimalDigitValue else {
                throw RFC3339Error(reason: "expected \(count) digits for the \(name)")
            }
            value = value * 10 + Int64(digit)
            index += 1
        }
        return value
    }

    mutating func expect(_ byte: UInt8, _ context: String) throws(RFC3339Error) {
        guard accept([byte]) else {
            throw RFC3339Error(reason: "expected '\(Character(Unicode.Scalar(byte)))' \(context)")
        }
    }

    mutating func accept(_ bytes: [UInt8]) -> Bool {
        guard index < text.count, bytes.contains(text[index]) else { return false }
        index += 1
        return true
    }

    /// `.d…` with 1 to 9 digits, as nanoseconds; zero when absent.
    mutating func fraction() throws(RFC3339Error) -> Int64 {
        guard accept([UInt8(ascii: ".")]) else { return 0 }
        var value: Int64 = 0
        var count = 0
        while index < text.count, let digit = text[index].decimalDigitValue {
            count += 1
            guard count <= 9 else { throw RFC3339Error(reason: "fraction has more than 9 digits") }
            value = value * 10 + Int64(digit)
            index += 1
        }
        guard count > 0 else { throw RFC3339Error(reason: "expected digits after '.'") }
        for _ in count..<9 { value *= 10 }
        return value
    }

    /// `Z` or `±HH:MM`, as seconds east of UTC.
    mutating func offset() throws(RFC3339Error) -> Int64 {
        if accept([UInt8(ascii: "Z"), UInt8(ascii: "z")]) { return 0 }
        let sign: Int64
        if accept([UInt8(ascii: "+")]) {
            sign = 1
        } else if accept([UInt8(ascii: "-")]) {
            sign = -1
        } else {
            throw RFC3339Error(reason: "expected an offset ('Z' or ±HH:MM)")
        }
        let hours = try digits(2, "offset hours")
        try expect(UInt8(ascii: ":"), "in the offset")
        let minutes = try digits(2, "offset minutes")
        guard hours <= 23 else { throw RFC3339Error(reason: "offset hour \(hours) is out of range (0–23)") }
        guard minutes <= 59 else { throw RFC3339Error(reason: "offset minute \(minutes) is out of range (0–59)") }
        return sign * (hours * 3600 + minutes * 60)
    }
}

/// A proleptic Gregorian calendar date, converted to and from days since
/// 1970-01-01 with Howard Hinnant's `days_from_civil` algorithms.
private struct CivilDate {
    var year: Int64
    var month: Int64
    var day: Int64

    init(year: Int64, month: Int64, day: Int64) {
        self.year = year
        self.month = month
        self.day = day
    }

    init(daysSinceEpoch days: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    var daysSinceEpoch: Int64 {
        let adjustedYear = month <= 2 ? year - 1 : year
        let era = (adjustedYear >= 0 ? adjustedYear : adjustedYear - 399) / 400
        let yearOfEra = adjustedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension Int64 {
    /// Quotient rounded toward negative infinity and the non-negative remainder.
    fileprivate func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}

extension UInt8 {
    /// The value of an ASCII decimal digit, or `nil`.
    var decimalDigitValue: Int? {
        self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") ? Int(self - UInt8(ascii: "0")) : nil
    }
}
