/// The text form of durations in the configuration file and flags: whole numbers
/// with a unit, largest first, concatenated: `90s`, `15m`, `24h`, `14d`, `1h30m`, `0s`.
public enum DurationSyntax {
    private static let units: [(suffix: Character, seconds: Int64)] = [
        ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1),
    ]

    /// Parses the text form; nil when it is not one (no unit, a fraction, a unit twice or out of order, overflow).
    public static func parse(_ text: some StringProtocol) -> Duration? {
        guard !text.isEmpty else { return nil }
        var total: Int64 = 0
        var digits = ""
        var allowedUnits = units[...]
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            guard let unitIndex = allowedUnits.firstIndex(where: { $0.suffix == character }),
                  let count = Int64(digits)
            else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: allowedUnits[unitIndex].seconds)
            guard !overflow, total <= Int64.max - product else { return nil }
            total += product
            digits = ""
            allowedUnits = allowedUnits[(unitIndex + 1)...]
        }
        guard digits.isEmpty else { return nil }
        return .seconds(total)
    }

    /// The shortest text form of a whole number of seconds (`900s` → `15m`, `5400s` → `1h30m`).
    public static func format(_ duration: Duration) -> String {
        var remaining = duration.components.seconds
        guard remaining > 0 else { return "0s" }
        var text = ""
        for unit in units where remaining >= unit.seconds {
            text += "\(remaining / unit.seconds)\(unit.suffix)"
            remaining %= unit.seconds
        }
        return text
    }
}
