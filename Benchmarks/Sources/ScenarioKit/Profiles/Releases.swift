/// When a team ships: on weekdays only, every one to three weekdays, at a
/// time between 10:00 and 16:00.
enum ReleaseTrain {
    static func times(calendar: ScenarioCalendar, random: inout ScenarioRandom, everyWeekdays gap: ClosedRange<Int> = 1...3) -> [Int64] {
        var times: [Int64] = []
        var day = random.int(in: 0...gap.upperBound - 1)
        while day < calendar.days {
            if calendar.isWeekday(day) {
                times.append(calendar.time(day: day, hour: 10) + random.int64(in: 0..<6 * TimeUnit.hour))
                var weekdays = random.int(in: gap)
                while weekdays > 0, day < calendar.days {
                    day += 1
                    if calendar.isWeekday(day) { weekdays -= 1 }
                }
            } else {
                day += 1
            }
        }
        return times
    }

    /// Semantic versions after `initial` (`1.4.2`), one per release: mostly a
    /// patch, sometimes a minor version.
    static func versions(after initial: (Int, Int, Int), count: Int, random: inout ScenarioRandom) -> [String] {
        let major = initial.0
        var (minor, patch) = (initial.1, initial.2)
        return (0..<count).map { _ in
            if random.chance(0.25) {
                minor += 1
                patch = 0
            } else {
                patch += 1
            }
            return "\(major).\(minor).\(patch)"
        }
    }
}

/// A value that changes at known times: a tool's version, a dependency's, a layout.
struct VersionHistory<Value> {
    private let initial: Value
    private let changes: [(time: Int64, value: Value)]

    init(_ initial: Value, _ changes: [(time: Int64, value: Value)] = []) {
        self.initial = initial
        self.changes = changes.sorted { $0.time < $1.time }
    }

    /// The value at `time`.
    func at(_ time: Int64) -> Value {
        changes.last { $0.time <= time }?.value ?? initial
    }
}
