import Foundation
import RarenetConfig
import RarenetTestSupport
import Testing

/// Truncated and garbage configuration files (issue 6, "Bad input"): each one
/// is either a configuration or one clear line naming the file (and the line
/// when there is one), never a crash or a hang.
@Suite struct ConfigGarbageTests {
    static let exampleText = try! String(contentsOfFile: ConfigurationTests.examplePath, encoding: .utf8)
    static let fileName = "/etc/rarenet/rarenet.yaml"

    /// What parsing `yaml` gave: the configuration, or the error after checking
    /// that it is one line that names the file and a line within it.
    @discardableResult
    static func parseOrClearError(_ yaml: String, _ comment: Comment) -> SensorConfiguration? {
        do {
            return try SensorConfiguration.parse(yaml: yaml, file: fileName)
        } catch {
            expectClear(error, lineCount: yamlLineCount(yaml), comment)
            return nil
        }
    }

    /// True for the characters that end or break a line in a terminal or a log: controls and line separators.
    static func breaksTheLine(_ scalar: Unicode.Scalar) -> Bool {
        [.control, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory)
    }

    /// The lines of `yaml` as YAML counts them: LF, CR, CR LF, NEL, LS and PS each end one.
    static func yamlLineCount(_ yaml: String) -> Int {
        var count = 1
        var previous: Unicode.Scalar = " "
        for scalar in yaml.unicodeScalars {
            if ["\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) || scalar == "\n" && previous != "\r" { count += 1 }
            previous = scalar
        }
        return count
    }

    /// Checks that `error` is one line naming the file, and the line when it gives one.
    static func expectClear(_ error: ConfigurationError, lineCount: Int, _ comment: Comment) {
        let text = error.description
        #expect(error.source == .file(fileName), comment)
        // Compared as bytes: a field name may start with a combining mark, which joins the space before it.
        #expect(text.utf8.starts(with: (fileName + (error.line.map { ":\($0)" } ?? "") + ": ").utf8), "\(comment): \(text)")
        #expect(!text.unicodeScalars.contains(where: breaksTheLine), "\(comment): \(text)")
        #expect(!error.reason.isEmpty, comment)
        #expect(text.utf8.count < 1024, "\(comment): an error line of \(text.utf8.count) bytes")
        if let line = error.line {
            #expect((1...lineCount + 1).contains(line), "\(comment): line \(line) of \(lineCount)")
        }
    }

    /// A writer interrupted anywhere in deploy/rarenet.yaml: every prefix is a
    /// configuration or a clear error. The prefixes that stop between fields
    /// keep the example's values (the example holds the defaults), so each
    /// parses to the defaults, but for a list of detectors or rewrite rules cut short.
    @Test func theExampleCutAtEveryByteIsAConfigurationOrAClearError() throws {
        let bytes = Array(Self.exampleText.utf8)
        var parsed = 0
        var refused = 0
        for cut in 0...bytes.count {
            let prefix = String(decoding: bytes[..<cut], as: UTF8.self)
            guard let configuration = Self.parseOrClearError(prefix, "cut after \(cut) bytes") else {
                refused += 1
                continue
            }
            parsed += 1
            if cut == 0 || cut == bytes.count || bytes[cut - 1] == UInt8(ascii: "\n") {
                // Between lines, only the lists of detectors and rewrite rules can be cut short.
                let defaults = SensorConfiguration()
                var rest = configuration
                rest.scoring.detectors = defaults.scoring.detectors
                rest.identity.rewriteRules = defaults.identity.rewriteRules
                #expect(rest == defaults, "cut after \(cut) bytes, at the end of a line")
                #expect(defaults.scoring.detectors.starts(with: configuration.scoring.detectors), "cut after \(cut) bytes")
                #expect(defaults.identity.rewriteRules.starts(with: configuration.identity.rewriteRules), "cut after \(cut) bytes")
            }
        }
        print("rarenet config garbage: \(bytes.count + 1) prefixes of deploy/rarenet.yaml: \(parsed) parsed, \(refused) refused")
        #expect(parsed > 0 && refused > 0)
    }

    /// A cut inside a value that leaves another valid value (`threshold: 5`
    /// from `threshold: 50`) is read as written; one that leaves an invalid
    /// value names the field.
    @Test func aValueCutShortIsReadAsWrittenOrNamed() throws {
        let threshold = try #require(Self.exampleText.range(of: "threshold: 50"))
        let cutThreshold = String(Self.exampleText[..<threshold.upperBound].dropLast())
        #expect(try SensorConfiguration.parse(yaml: cutThreshold, file: Self.fileName).scoring.threshold == 5)

        let width = try #require(Self.exampleText.range(of: "width: 65536"))
        let cutWidth = String(Self.exampleText[..<width.upperBound].dropLast())
        let error = #expect(throws: ConfigurationError.self) { try SensorConfiguration.parse(yaml: cutWidth, file: Self.fileName) }
        #expect(error?.field == "scoring.sketch.width")
        #expect(error?.line == cutWidth.split(separator: "\n", omittingEmptySubsequences: false).count)
        #expect(error?.reason == #"must be a power of two from 256 to 16777216 (got "6553")"#)
    }

    /// Random text made of YAML's own punctuation, words of the schema and
    /// control characters, so that it reaches deep into the parser.
    @Test func randomYAMLishTextIsAConfigurationOrAClearError() {
        let pieces = [
            ":", ": ", "-", "- ", "[", "]", "{", "}", ",", "&a", "*a", "!!str", "!x", "|", ">", "'", "\"", "%YAML 1.1", "---",
            "...", "#", "? ", "@", "`", "\n", "\n  ", "\n    ", "\t", "\r\n", "\0", "\u{1}", "\u{FEFF}", "\u{85}", "é",
            "scoring", "sketch", "width", "65536", "threshold", "50", "exclusions", "cidrs", "10.0.0.0/8", "0x7261",
            "capture", "attach", "auto", "16MiB", "15m", "~", "null", "true", "<<", "1e999", "-0", ".inf",
        ]
        var generator = SplitMix64(seed: 0x6761_7262_6167_65)
        var parsed = 0
        for index in 0..<2_000 {
            let count = Int.random(in: 0...64, using: &generator)
            let text = (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined()
            if Self.parseOrClearError(text, "random text \(index): \(text.debugDescription)") != nil { parsed += 1 }
        }
        print("rarenet config garbage: 2000 random YAML-like texts, \(parsed) parsed")
    }

    /// A character YAML does not allow (a control character, a NUL) is
    /// refused with its line and code point.
    /// (Lines of multi-byte characters and a CR LF before it check how its line is counted.)
    @Test(arguments: [("\u{1}", "U+0001"), ("\0", "U+0000"), ("\u{1B}", "U+001B"), ("\u{7F}\u{1}", "U+007F")])
    func aControlCharacterIsNamedWithItsLine(character: String, codePoint: String) {
        let comments = "# " + String(repeating: "é", count: 40) + "\r\n# " + String(repeating: "日本", count: 20) + "\n"
        let error = #expect(throws: ConfigurationError.self) {
            try SensorConfiguration.parse(yaml: comments + "scoring:\n  threshold: 5\(character)0\n", file: Self.fileName)
        }
        #expect(error?.description == "\(Self.fileName):4: invalid YAML: control characters are not allowed (\(codePoint))")
    }

    /// A field name that starts with a combining mark (found by FuzzConfig)
    /// still follows the file and line in the error.
    @Test func aFieldNameStartingWithACombiningMarkIsNamed() {
        let error = #expect(throws: ConfigurationError.self) {
            try SensorConfiguration.parse(yaml: "\u{6DC}x: 1\n", file: Self.fileName)
        }
        #expect(error?.field == "\u{6DC}x")
        #expect(error?.description.utf8.starts(with: "\(Self.fileName):1: \u{6DC}x: unknown field".utf8) == true)
    }

    /// Field names and values quoted in an error cannot break its line.
    @Test func quotedTextWithLineBreaksIsEscaped() {
        let cases = [
            ("scoring:\n  \"thres\\nhold\": 5", #"/etc/rarenet/rarenet.yaml:2: scoring.thres\nhold: unknown field"#),
            ("scoring:\n  threshold: \"5\\r\\n0\"", #"/etc/rarenet/rarenet.yaml:2: scoring.threshold: must be a number from 0 to 100 (got "5\r\n0")"#),
            ("scoring: {key: \"a\\u2028b\"}", #"/etc/rarenet/rarenet.yaml:1: scoring.key: must be one of executable, name (got "a\u{2028}b")"#),
            ("identity:\n  rewrite_rules:\n    - '/a(b => x'", #"/etc/rarenet/rarenet.yaml:3: identity.rewrite_rules"#),
            ("identity:\n  rewrite_rules: ['/a => $2']", #"/etc/rarenet/rarenet.yaml:2: identity.rewrite_rules"#),
            ("identity:\n  interpreters: [python3, /usr/bin/perl]", #"/etc/rarenet/rarenet.yaml:2: identity.interpreters"#),
        ]
        for (yaml, start) in cases {
            let error = #expect(throws: ConfigurationError.self) { try SensorConfiguration.parse(yaml: yaml, file: Self.fileName) }
            #expect(error?.description.hasPrefix(start) == true, "\(String(describing: error))")
        }
    }

    /// Random bytes written to a file: refused as not UTF-8, or read as text.
    @Test func randomBytesInAFileAreRefusedClearly() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/rarenet.yaml"
        var generator = SplitMix64(seed: 0x6279_7465_73)
        var notText = 0
        for index in 0..<300 {
            let count = Int.random(in: 1...4096, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]))
            do {
                _ = try SensorConfiguration.load(file: path)
                Issue.record("random bytes \(index) were accepted as a configuration")
            } catch {
                #expect(error.source == .file(path))
                #expect(!error.description.unicodeScalars.contains(where: Self.breaksTheLine), "random bytes \(index): \(error)")
                #expect(error.description.utf8.starts(with: (path + (error.line.map { ":\($0)" } ?? "") + ": ").utf8), "\(error)")
                if error.reason == "is not UTF-8 text" { notText += 1 }
            }
        }
        #expect(notText > 250, "random bytes are almost never UTF-8")
    }

    /// Deeply nested flow collections, block mappings and anchors: refused
    /// with the line, whatever the depth.
    @Test(arguments: [10, 1_000, 100_000])
    func deepNestingIsRefusedClearly(depth: Int) {
        let flowSequences = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let flowMappings = String(repeating: "{a: ", count: depth) + "1" + String(repeating: "}", count: depth)
        let blockMappings = (0..<min(depth, 2_000)).map { String(repeating: " ", count: $0) + "scoring:" }.joined(separator: "\n")
        let underAField = "scoring:\n  threshold: " + flowSequences
        for (name, yaml) in [("flow sequences", flowSequences), ("flow mappings", flowMappings),
                             ("block mappings", blockMappings), ("a field", underAField)] {
            #expect(Self.parseOrClearError(yaml, "\(name) nested \(depth) deep") == nil)
        }
    }

    /// Aliases that expand to billions of nodes ("billion laughs") are not expanded.
    @Test func aliasBombIsNotExpanded() {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for level in 1...9 {
            let previous = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            lines.append("a\(level): &a\(level) [\(previous)]")
        }
        lines.append("scoring: {detectors: *a9}")
        #expect(Self.parseOrClearError(lines.joined(separator: "\n"), "alias bomb") == nil)
    }

    /// A 2 MiB file is refused by its size before it is parsed; 2 MiB of
    /// valid YAML given to the parser directly is read, without a hang.
    @Test func twoMebibytesAreRefusedFromAFileAndParsedFromText() throws {
        let entries = (0..<120_000).map { "    - p\($0)" }
        let yaml = "exclusions:\n  process_names:\n" + entries.joined(separator: "\n") + "\n"
        #expect(yaml.utf8.count > 1 << 20)
        let directory = try TemporaryDirectory()
        let path = try directory.write(yaml + String(repeating: "#", count: (2 << 20) - yaml.utf8.count), to: "rarenet.yaml")
        let error = #expect(throws: ConfigurationError.self) { try SensorConfiguration.load(file: path) }
        #expect(error?.description == "\(path): is larger than 1 MiB")

        let configuration = try SensorConfiguration.parse(yaml: yaml, file: Self.fileName)
        #expect(configuration.exclusions.processNames.count == 120_000)
        #expect(configuration.exclusions.processNames.last == "p119999")
    }
}
