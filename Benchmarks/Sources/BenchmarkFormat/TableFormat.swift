/// Numbers and columns of the benchmarks' plain-text tables.
public enum TableFormat {
    /// `value` rounded to a whole number; "-" when it is not finite.
    public static func whole(_ value: Double) -> String {
        value.isFinite ? "\(Int(value.rounded()))" : "-"
    }

    /// `value` (not negative) rounded to `digits` decimals, all shown; "-" when it is not finite.
    public static func decimal(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * Double(scale)).rounded())
        let fraction = String(scaled % scale)
        return "\(scaled / scale)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}

extension String {
    /// The string followed by spaces up to `width` characters (by one space when longer).
    public func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }

    /// The string preceded by spaces up to `width` characters (by one space when longer).
    public func leftPadding(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }
}
