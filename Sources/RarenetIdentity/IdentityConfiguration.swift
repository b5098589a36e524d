/// How process keys are derived: the rewrite rules, the interpreters whose
/// script is part of the key, and which directories are system and which
/// temporary locations.
public struct IdentityConfiguration: Sendable, Hashable {
    /// Rewrites of executable and script paths, applied in order. Default ``PathRewriteRule/defaults``.
    public var rewriteRules: [PathRewriteRule] = PathRewriteRule.defaults
    /// File names (after the rewrite rules; `*` matches any run of characters)
    /// of the interpreters whose script, module or jar is part of the key.
    public var interpreters: [String] = Self.defaultInterpreters
    /// Directories only root writes to, where packages install. A deleted
    /// executable here is an in-place upgrade and keys as the file.
    public var systemPrefixes: [String] = ["/usr/", "/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/opt/", "/snap/", "/nix/store/"]
    /// World-writable places an executable has no business running from.
    public var temporaryPrefixes: [String] = ["/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/", "/dev/mqueue/", "/run/user/", "/var/crash/"]

    /// The defaults.
    public init() {}

    /// The default interpreters.
    public static let defaultInterpreters = [
        "sh", "bash", "dash", "zsh", "ksh", "ash", "python*", "pypy*", "perl*", "ruby*", "node", "nodejs", "php*", "java",
    ]

    /// The version of the derivation itself: the key format and the way each
    /// part is computed. A baseline built under another version is refused.
    public static let derivationVersion: UInt64 = 2

    /// A stable 64-bit digest of everything that decides a key: the
    /// derivation version, the rules, the interpreters and the prefixes.
    /// Baselines record it, so that one built with other keys is never mixed
    /// with this one's (FNV-1a: the same on every machine and run).
    public var fingerprint: UInt64 {
        var digest: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                digest ^= UInt64(byte)
                digest &*= 0x0000_0100_0000_01B3
            }
            digest ^= 0xFF
            digest &*= 0x0000_0100_0000_01B3
        }
        mix("v\(Self.derivationVersion)")
        for rule in rewriteRules { mix(rule.description) }
        mix("|interpreters")
        interpreters.forEach(mix)
        mix("|system")
        systemPrefixes.forEach(mix)
        mix("|temporary")
        temporaryPrefixes.forEach(mix)
        return digest
    }

    /// Checks the interpreter names; the error names the first bad one.
    public static func validateInterpreter(_ name: String) throws(IdentityConfigurationError) {
        guard !name.isEmpty, !name.contains("/"), !name.contains(where: \.isWhitespace) else {
            throw IdentityConfigurationError(reason: "interpreter '\(name)' must be a file name (no '/', no spaces), optionally with '*'")
        }
    }
}

/// A bad identity setting.
public struct IdentityConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// A file name pattern with `*` for any run of characters.
struct FileNamePattern: Sendable, Hashable {
    private let parts: [Substring]

    init(_ pattern: String) {
        parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
    }

    func matches(_ name: String) -> Bool {
        guard parts.count > 1 else { return name == parts.first.map(String.init) ?? "" }
        var rest = Substring(name)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.firstRange(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts.last!)
    }
}
