/// Derives the key of a process: the one place where live scoring and replay
/// turn what they know of a process into the text the scorer hashes.
///
/// An executable key is `<origin>:<location>:<path>[ <what the interpreter runs>]`:
///
/// - origin: `host`, `image=<repository>`, `container=<runtime>` or
///   `namespace` (``ProcessOrigin/keyComponent``);
/// - location: `system`, `temporary`, `memfd`, `deleted` or `other`, judged
///   from the path before any rewrite (``ExecutableLocation``), so that no
///   rule can merge a dropper with a package's binary;
/// - path: the path inside the origin, rewritten by the ordered rules;
/// - for an interpreter: `script=<path>` (rewritten too), `module=`, `jar=`,
///   `class=`, `inline` (code on the command line) or `stdin`.
///
/// A process whose executable's path is unknown but whose file is keys as
/// `inode:<major>:<minor>:<inode>`; one with neither keys as `name:<name>`.
/// The domains never meet: no executable key starts with `inode:` or `name:`.
///
/// Rewriting is the costly part (regular expressions), so rewritten paths are
/// cached, bounded. Not thread-safe: each thread owns its deriver.
public final class ProcessKeyDeriver {
    /// How keys are derived.
    public let configuration: IdentityConfiguration
    private let interpreterPatterns: [FileNamePattern]
    private var rewrittenPaths: [String: String] = [:]

    /// Rewritten paths cached at most; the cache starts over when full.
    static let cacheCapacity = 8_192

    public init(configuration: IdentityConfiguration = IdentityConfiguration()) {
        self.configuration = configuration
        interpreterPatterns = configuration.interpreters.map(FileNamePattern.init)
    }

    /// The executable key of a process (`--key executable`).
    public func executableKey(for facts: ProcessFacts) -> String {
        guard let path = facts.executable, !path.isEmpty else {
            if let file = facts.executableFile { return "inode:\(file)" }
            return nameKey(for: facts)
        }
        let location = ExecutableLocation.of(path: path, isDeleted: facts.executableIsDeleted, configuration: configuration)
        let rewritten = rewrite(path)
        var key = "\(facts.origin.keyComponent):\(location.rawValue):\(rewritten)"
        if let invocation = interpreterInvocation(rewrittenPath: rewritten, arguments: facts.arguments) {
            key += " " + describe(invocation)
        }
        return key
    }

    /// The name key of a process (`--key name`).
    public func nameKey(for facts: ProcessFacts) -> String {
        "name:" + facts.name
    }

    /// `path` rewritten by the rules, in order.
    public func rewrite(_ path: String) -> String {
        if let cached = rewrittenPaths[path] { return cached }
        let rewritten = configuration.rewriteRules.reduce(path) { $1.apply(to: $0) }
        if rewrittenPaths.count >= Self.cacheCapacity { rewrittenPaths.removeAll(keepingCapacity: true) }
        rewrittenPaths[path] = rewritten
        return rewritten
    }

    /// What the interpreter at `rewrittenPath` runs, when it is one of the configured interpreters.
    func interpreterInvocation(rewrittenPath: String, arguments: [String]) -> InterpreterInvocation? {
        let fileName = String(rewrittenPath.split(separator: "/").last ?? "")
        guard interpreterPatterns.contains(where: { $0.matches(fileName) }) else { return nil }
        return InterpreterInvocation(family: InterpreterFamily(executableName: fileName), arguments: arguments)
    }

    private func describe(_ invocation: InterpreterInvocation) -> String {
        switch invocation {
        case .script(let script): "script=" + rewrite(script)
        case .module(let module): "module=" + module
        case .jar(let jar): "jar=" + rewrite(jar)
        case .mainClass(let name): "class=" + name
        case .inline: "inline"
        case .standardInput: "stdin"
        }
    }
}
