/// One ordered rewrite of executable and script paths: every match of a
/// regular expression is replaced by a template, so that the components that
/// change with deploys and upgrades (release timestamps, commit ids, versions,
/// snap revisions, build directories) name the same program before and after.
///
/// Written `REGEX => REPLACEMENT` in the configuration and on the command
/// line; `$1`…`$9` in the replacement stand for the expression's capture
/// groups (`$$` for a dollar sign). Rules never decide what kind of location
/// a path is (temporary, deleted, memfd, system): the key takes that from the
/// path as it was, so no rule can merge a dropper in /tmp with a package's
/// binary (``ProcessKeyDeriver``).
public struct PathRewriteRule: Sendable, Hashable, CustomStringConvertible {
    /// The regular expression, as written.
    public let pattern: String
    /// The replacement template, as written.
    public let replacement: String
    private let regex: CompiledRegex

    /// A rule from its two halves; throws when the expression does not
    /// compile or the template names a group the expression lacks.
    public init(pattern: String, replacement: String) throws(RewriteRuleError) {
        guard !pattern.isEmpty else { throw RewriteRuleError(rule: "\(pattern) => \(replacement)", reason: "the expression is empty") }
        let compiled: Regex<AnyRegexOutput>
        do {
            compiled = try Regex(pattern)
        } catch {
            throw RewriteRuleError(rule: "\(pattern) => \(replacement)", reason: "the expression does not compile: \(error)")
        }
        let template = try ReplacementTemplate(parsing: replacement, rule: "\(pattern) => \(replacement)")
        let groups = Self.captureGroupCount(in: pattern)
        if let highest = template.highestGroup, highest > groups {
            throw RewriteRuleError(rule: "\(pattern) => \(replacement)", reason: "the replacement uses $\(highest) but the expression has \(groups) group(s)")
        }
        self.pattern = pattern
        self.replacement = replacement
        regex = CompiledRegex(regex: compiled, template: template)
    }

    /// A rule written `REGEX => REPLACEMENT`.
    public init(parsing text: String) throws(RewriteRuleError) {
        guard let separator = text.firstRange(of: " => ") else {
            throw RewriteRuleError(rule: text, reason: "expected 'REGEX => REPLACEMENT'")
        }
        try self.init(pattern: String(text[..<separator.lowerBound]), replacement: String(text[separator.upperBound...]))
    }

    /// `path` with every match replaced.
    public func apply(to path: String) -> String {
        regex.apply(to: path)
    }

    public var description: String { "\(pattern) => \(replacement)" }

    public static func == (lhs: PathRewriteRule, rhs: PathRewriteRule) -> Bool {
        lhs.pattern == rhs.pattern && lhs.replacement == rhs.replacement
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(pattern)
        hasher.combine(replacement)
    }

    /// The number of capturing groups in `pattern`: each `(` outside a
    /// character class and not escaped, but for `(?…` unless it is a named
    /// group `(?<name>` / `(?'name'` / `(?P<name>`.
    static func captureGroupCount(in pattern: String) -> Int {
        let characters = Array(pattern)
        var count = 0
        var index = 0
        var inClass = false
        while index < characters.count {
            let character = characters[index]
            if character == "\\" {
                index += 2
                continue
            }
            if inClass {
                if character == "]" { inClass = false }
            } else if character == "[" {
                inClass = true
            } else if character == "(" {
                let rest = characters[(index + 1)...]
                if rest.first != "?" {
                    count += 1
                } else {
                    let after = Array(rest.dropFirst().prefix(2))
                    let named = after.first == "'" || after.first == "P"
                        || (after.first == "<" && after.count > 1 && after[1] != "=" && after[1] != "!")
                    if named { count += 1 }
                }
            }
            index += 1
        }
        return count
    }

    /// The default rules, in order (README, "Process identity", lists each with an example).
    public static let defaults: [PathRewriteRule] = defaultRuleTexts.map { text in
        do { return try PathRewriteRule(parsing: text) } catch { preconditionFailure("default rewrite rule \(text): \(error)") }
    }

    /// The default rules as written.
    public static let defaultRuleTexts: [String] = [
        // /snap/<name>/<revision>/…: a snap refresh bumps the revision.
        #"^/snap/([^/]+)/[0-9]+/ => /snap/$1/<revision>/"#,
        // Go's build and test binaries: /tmp/go-build123/b001/pkg.test.
        #"/go-build[0-9]+/b[0-9]+/ => /go-build<n>/b<n>/"#,
        // mktemp directories: /tmp/tmp.Xa1b2C3d4E/.
        #"/tmp\.[A-Za-z0-9]{6,}/ => /tmp.<random>/"#,
        // UUIDs as directory names (per-job work directories).
        #"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=/) => /<uuid>"#,
        // Release timestamps: /opt/app/releases/20261201T101500Z/, /releases/20240101120000/.
        #"/(?:19|20)[0-9]{2}-?[0-9]{2}-?[0-9]{2}(?:[T_-]?[0-9]{2}[:-]?[0-9]{2}(?:[:-]?[0-9]{2})?)?Z?(?=/) => /<timestamp>"#,
        // Timestamps inside a file name: surefirebooter-20241201103000123_3.jar, backup-20261201T0300.sh.
        #"(?:19|20)[0-9]{6}T?[0-9]{4,9}Z? => <timestamp>"#,
        // Commit ids and content hashes as directory names: ~/.vscode-server/bin/<40 hex>/.
        #"/[0-9a-f]{12,}(?=/) => /<hash>"#,
        // Nix store paths: /nix/store/<32 base32>-name-1.2/.
        #"^/nix/store/[0-9a-z]{32}- => /nix/store/<hash>-"#,
        // Hash suffixes of build outputs: target/debug/deps/<crate>-<16 hex>.
        #"-[0-9a-f]{16}(?=$|/|\.) => -<hash>"#,
        // Versioned interpreters: /usr/bin/python3.11, /usr/lib/python3.11/, perl5.36.0, php8.2.
        #"/(python|pypy|perl|ruby|php|lua|pip)[0-9]+(?:\.[0-9]+)*(?=$|/) => /$1<version>"#,
        // A directory that is a version: /usr/lib/postgresql/15/, ~/.rbenv/versions/3.2.2/,
        // RKE2's data/v1.31.3-rke2r1-<hash>/.
        #"/v?[0-9]+(?:\.[0-9]+)*(?:[-+~][0-9A-Za-z.]+)*(?=/) => /<version>"#,
        // A version inside a directory name: java-17-openjdk-amd64/, node-v20.11.0-linux-x64/, elasticsearch-8.11.1/,
        // the Actions runner's externals.2.321.0/ and bin.2.321.0/.
        #"([A-Za-z][A-Za-z0-9]*)([-_.])v?[0-9]+(?:\.[0-9]+)*(?=[-_][^/]*/|/) => $1$2<version>"#,
        // A dotted version inside a file name: terraform-provider-aws_v5.82.1_x5, xmrig-6.21.0.
        #"([A-Za-z][A-Za-z0-9]*)([-_])v?[0-9]+(?:\.[0-9]+)+(?=[-_][^/]*$|$) => $1$2<version>"#,
        // A version in a jar's or script's name: app-1.4.2.jar, tool-2.0.1-SNAPSHOT.jar.
        #"-v?[0-9]+(?:\.[0-9]+)+(?:-[0-9A-Za-z]+)?(?=\.(?:jar|war|py|rb|js|phar|pl)$) => -<version>"#,
    ]
}

/// A rewrite rule that cannot be used, and why.
public struct RewriteRuleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rule as written.
    public var rule: String
    public var reason: String

    public var description: String { "rewrite rule '\(rule)': \(reason)" }
}

/// A replacement template: literal text and capture-group references.
private struct ReplacementTemplate: Sendable {
    enum Part: Sendable {
        case literal(String)
        case group(Int)
    }

    let parts: [Part]

    init(parsing text: String, rule: String) throws(RewriteRuleError) {
        var parts: [Part] = []
        var literal = ""
        var characters = text.makeIterator()
        while let character = characters.next() {
            guard character == "$" else {
                literal.append(character)
                continue
            }
            switch characters.next() {
            case "$"?: literal.append("$")
            case let digit? where digit.isASCII && digit.isNumber && digit != "0":
                if !literal.isEmpty { parts.append(.literal(literal)) }
                literal = ""
                parts.append(.group(digit.wholeNumberValue!))
            default:
                throw RewriteRuleError(rule: rule, reason: "'$' in the replacement must be followed by 1-9 or '$'")
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    var highestGroup: Int? {
        parts.compactMap { if case .group(let number) = $0 { number } else { nil } }.max()
    }

    func expand(_ match: Regex<AnyRegexOutput>.Match) -> String {
        var text = ""
        for part in parts {
            switch part {
            case .literal(let literal): text += literal
            case .group(let number):
                if number < match.output.count, let captured = match.output[number].substring { text += captured }
            }
        }
        return text
    }
}

/// A compiled rule. Regex values are immutable and safe to share between threads.
private struct CompiledRegex: @unchecked Sendable {
    let regex: Regex<AnyRegexOutput>
    let template: ReplacementTemplate

    func apply(to path: String) -> String {
        guard path.contains(regex) else { return path }
        return path.replacing(regex) { template.expand($0) }
    }
}
