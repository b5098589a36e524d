/// The samples of a Prometheus text exposition, parsed for assertions.
public struct Exposition: Sendable {
    public struct Sample: Hashable, Sendable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public var samples: [Sample] = []
    /// Metric family name -> type, from the `# TYPE` lines.
    public var types: [String: String] = [:]
    /// Metric family name -> help text, from the `# HELP` lines.
    public var help: [String: String] = [:]

    public init(_ bytes: [UInt8]) {
        self.init(String(decoding: bytes, as: UTF8.self))
    }

    public init(_ text: String) {
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ", maxSplits: 3)
            if line.hasPrefix("# TYPE "), words.count == 4 {
                types[String(words[2])] = String(words[3])
            } else if line.hasPrefix("# HELP "), words.count >= 3 {
                help[String(words[2])] = words.count == 4 ? String(words[3]) : ""
            } else if !line.hasPrefix("#"), let sample = Self.parseSample(line) {
                samples.append(sample)
            }
        }
    }

    /// The value of the one sample with this name and exactly these labels.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// `name{a="x",b="y"} 12` or `name 12`.
    private static func parseSample(_ line: Substring) -> Sample? {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            return nil
        }
        let series = line[..<space]
        guard let brace = series.firstIndex(of: "{") else {
            return Sample(name: String(series), labels: [:], value: value)
        }
        var labels: [String: String] = [:]
        var rest = series[series.index(after: brace)...].dropLast()  // without the closing brace
        while let equals = rest.firstIndex(of: "=") {
            let key = String(rest[..<equals])
            var cursor = rest.index(equals, offsetBy: 2)  // past ="
            var labelValue = ""
            while cursor < rest.endIndex, rest[cursor] != "\"" {
                if rest[cursor] == "\\" { cursor = rest.index(after: cursor) }
                labelValue.append(rest[cursor])
                cursor = rest.index(after: cursor)
            }
            labels[key] = labelValue
            rest = rest[rest.index(after: cursor)...].drop { $0 == "," }
        }
        return Sample(name: String(series[..<brace]), labels: labels, value: value)
    }
}
