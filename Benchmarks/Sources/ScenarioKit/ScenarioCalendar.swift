import RarenetEvents

/// Nanosecond amounts of the units the scenarios are written in.
enum TimeUnit {
    static let millisecond: Int64 = 1_000_000
    static let second: Int64 = 1_000_000_000
    static let minute: Int64 = 60 * second
    static let hour: Int64 = 60 * minute
    static let day: Int64 = 24 * hour
}

/// The days a scenario spans, in UTC: day 0 starts on a Monday at midnight,
/// so days 5, 6, 12 and 13 are the weekends.
public struct ScenarioCalendar: Sendable, Hashable {
    /// Monday 30 November 2026, 00:00 UTC.
    public static let defaultStart: Int64 = 1_795_996_800 * TimeUnit.second

    /// The first instant, nanoseconds since the epoch.
    public let start: Int64
    /// How many days the scenario runs.
    public let days: Int

    public init(start: Int64 = ScenarioCalendar.defaultStart, days: Int) {
        precondition(days > 0, "a scenario spans at least one day")
        self.start = start
        self.days = days
    }

    /// The instant after the last.
    public var end: Int64 { start + Int64(days) * TimeUnit.day }

    /// The instant `hour`:`minute` on `day`.
    func time(day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) -> Int64 {
        start + Int64(day) * TimeUnit.day + Int64(hour) * TimeUnit.hour + Int64(minute) * TimeUnit.minute
            + Int64(second) * TimeUnit.second
    }

    /// The day `time` falls on (0 for the first).
    func day(of time: Int64) -> Int {
        Int((time - start).floorDivided(by: TimeUnit.day))
    }

    /// Monday to Friday.
    func isWeekday(_ day: Int) -> Bool {
        (day % 7 + 7) % 7 < 5
    }

    /// Hours since the start of `time`'s day, with a fraction.
    func hourOfDay(_ time: Int64) -> Double {
        Double((time - start) - Int64(day(of: time)) * TimeUnit.day) / Double(TimeUnit.hour)
    }

    /// `time` as a release stamp, `20261201T101500Z`: RFC 3339 UTC without separators or fraction.
    static func compactStamp(_ time: Int64) -> String {
        let text = EventTimestamp(nanosecondsSinceEpoch: time).rfc3339
        return String(text.prefix(19).filter { $0 != "-" && $0 != ":" }) + "Z"
    }
}

extension Int64 {
    /// Quotient rounded toward negative infinity.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return self % divisor < 0 ? quotient - 1 : quotient
    }
}
