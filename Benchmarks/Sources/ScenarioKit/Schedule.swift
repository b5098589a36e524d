/// The days a daily schedule runs on.
enum DaySelection: Sendable {
    case everyDay
    case weekdays
    /// One day of the week: 0 is Monday.
    case weekly(Int)
    /// These days of the scenario (0 is its first).
    case days(Set<Int>)

    func contains(_ day: Int, in calendar: ScenarioCalendar) -> Bool {
        switch self {
        case .everyDay: true
        case .weekdays: calendar.isWeekday(day)
        case .weekly(let weekday): day % 7 == weekday
        case .days(let days): days.contains(day)
        }
    }
}

/// When a recurring job starts.
enum Schedule {
    /// Every `interval` from midnight (cron's `*/N`), each run late by up to `jitter`.
    case every(Int64, jitter: Int64)
    /// At `hour`:`minute` on the selected days, late by up to `jitter`.
    case daily(hour: Int, minute: Int, jitter: Int64, on: DaySelection)
    /// `perDay` times a day, at a random instant within each equal part of the
    /// day (a systemd timer with a randomized delay as long as its period).
    case randomly(perDay: Int, on: DaySelection)
    /// A Poisson process whose rate per hour `rate` gives for an instant.
    case poisson(rate: (ScenarioCalendar, Int64) -> Double)
    /// At these instants.
    case at([Int64])

    /// `perHour` starts an hour, at random, during `hours` of weekdays (people at work).
    static func weekdays(_ hours: Range<Double>, perHour: Double) -> Schedule {
        .poisson { calendar, time in
            calendar.isWeekday(calendar.day(of: time)) && hours.contains(calendar.hourOfDay(time)) ? perHour : 0
        }
    }

    /// The start times due in `window`, each at or after the window's start
    /// (a jitter may put one past its end).
    func occurrences(in window: Range<Int64>, calendar: ScenarioCalendar, random: inout ScenarioRandom) -> [Int64] {
        switch self {
        case .every(let interval, let jitter):
            let first = (window.lowerBound - calendar.start + interval - 1).floorDivided(by: interval)
            return stride(from: calendar.start + first * interval, to: window.upperBound, by: Int(interval)).map {
                $0 + random.int64(in: 0..<max(1, jitter))
            }
        case .daily(let hour, let minute, let jitter, let days):
            return dayStarts(in: window, calendar: calendar, days: days).compactMap { day in
                let base = calendar.time(day: day, hour: hour, minute: minute)
                return window.contains(base) ? base + random.int64(in: 0..<max(1, jitter)) : nil
            }
        case .randomly(let perDay, let days):
            let part = TimeUnit.day / Int64(perDay)
            return dayStarts(in: window, calendar: calendar, days: days).flatMap { day in
                (0..<Int64(perDay)).compactMap { index in
                    let base = calendar.time(day: day) + index * part
                    return window.contains(base) ? base + random.int64(in: 0..<part) : nil
                }
            }
        case .poisson(let rate):
            let hours = Double(window.upperBound - window.lowerBound) / Double(TimeUnit.hour)
            let count = random.poisson(mean: rate(calendar, window.lowerBound) * hours)
            return (0..<count).map { _ in random.int64(in: window) }.sorted()
        case .at(let times):
            return times.filter(window.contains).sorted()
        }
    }

    /// The days of the calendar that the window touches and `days` selects.
    private func dayStarts(in window: Range<Int64>, calendar: ScenarioCalendar, days: DaySelection) -> [Int] {
        let first = calendar.day(of: window.lowerBound)
        let last = calendar.day(of: window.upperBound - 1)
        return (first...last).filter { days.contains($0, in: calendar) }
    }
}
