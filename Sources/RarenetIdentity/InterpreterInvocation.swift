/// What an interpreter runs, read from its arguments: the script, module or
/// jar that makes `python3` one program or another, or inline code, which is
/// a class of its own (a reverse shell in `python3 -c` is not the established
/// `python3 /opt/tools/sync.py`).
public enum InterpreterInvocation: Sendable, Hashable {
    /// A script file, as given (relative paths stay relative).
    case script(String)
    /// `python -m module`, `java -m module/class`.
    case module(String)
    /// `java -jar file`.
    case jar(String)
    /// `java … main.Class`.
    case mainClass(String)
    /// Code on the command line: `-c`, `-e`, `-E`, `-r`, `--eval`, `-p`.
    case inline
    /// No script: commands from standard input or a terminal.
    case standardInput

    /// The invocation of an interpreter of `family` with `arguments` (`argv[0]` first).
    public init(family: InterpreterFamily, arguments: [String]) {
        let syntax = family.syntax
        var remaining = arguments.dropFirst()[...]
        while let argument = remaining.popFirst() {
            if argument == "--" {
                self = remaining.first.map { family == .java ? .mainClass($0) : .script($0) } ?? .standardInput
                return
            }
            if argument.hasPrefix("--") {
                let name = String(argument.prefix { $0 != "=" })
                if syntax.inlineLong.contains(name) { self = .inline; return }
                if family == .java, name == "--module" {
                    self = .module(argument.contains("=") ? String(argument.drop { $0 != "=" }.dropFirst()) : remaining.popFirst() ?? "")
                    return
                }
                if !argument.contains("="), syntax.longWithValue.contains(name) { _ = remaining.popFirst() }
                continue
            }
            if family == .java, argument.hasPrefix("-") {
                switch argument {
                case "-jar": self = .jar(remaining.popFirst() ?? ""); return
                case "-m": self = .module(remaining.popFirst() ?? ""); return
                case "-cp", "-classpath", "-p": _ = remaining.popFirst()
                default: break
                }
                continue
            }
            if argument.count > 1, argument.hasPrefix("-") || (family == .shell && argument.hasPrefix("+")) {
                // A cluster of short options: -u, -Bc, -lc 'code', -W ignore, -Ilib.
                var letters = argument.dropFirst()[...]
                while let letter = letters.popFirst() {
                    if syntax.inlineShort.contains(letter) { self = .inline; return }
                    if letter == "m", syntax.hasModules {
                        self = .module(letters.isEmpty ? remaining.popFirst() ?? "" : String(letters))
                        return
                    }
                    if letter == "s", family == .shell { self = .standardInput; return }
                    if letter == "f", family == .php {
                        self = .script(letters.isEmpty ? remaining.popFirst() ?? "" : String(letters))
                        return
                    }
                    if syntax.shortWithValue.contains(letter) {
                        if letters.isEmpty { _ = remaining.popFirst() }
                        break
                    }
                }
                continue
            }
            if argument == "-" { self = .standardInput; return }
            self = family == .java ? .mainClass(argument) : .script(argument)
            return
        }
        self = .standardInput
    }
}

/// The kinds of interpreter whose command lines ``InterpreterInvocation`` reads.
public enum InterpreterFamily: String, Sendable, Hashable, CaseIterable {
    case shell, python, perl, ruby, node, php, java
    /// Any other configured interpreter: `-c` and `-e` are inline code, the
    /// first other argument is the script.
    case generic

    /// The family of an interpreter by its executable's file name.
    public init(executableName name: String) {
        let families: [(prefix: String, family: InterpreterFamily)] = [
            ("python", .python), ("pypy", .python), ("perl", .perl), ("ruby", .ruby), ("nodejs", .node), ("node", .node),
            ("php", .php), ("java", .java),
        ]
        if let match = families.first(where: { name.hasPrefix($0.prefix) }) {
            self = match.family
        } else if ["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "tcsh", "csh"].contains(name) {
            self = .shell
        } else {
            self = .generic
        }
    }

    /// How a family's options are written.
    struct Syntax {
        /// Short options whose value is inline code.
        var inlineShort: Set<Character>
        /// Long options whose value is inline code.
        var inlineLong: Set<String> = []
        /// Short options that take a value (attached, or as the next argument).
        var shortWithValue: Set<Character> = []
        /// Long options that take a value as the next argument unless written `--name=value`.
        var longWithValue: Set<String> = []
        /// Whether `-m module` names what runs.
        var hasModules = false
    }

    var syntax: Syntax {
        switch self {
        case .shell: Syntax(inlineShort: ["c"], shortWithValue: ["o", "O"], longWithValue: ["--rcfile", "--init-file"])
        case .python: Syntax(inlineShort: ["c"], shortWithValue: ["W", "X", "Q"], longWithValue: ["--check-hash-based-pycs"], hasModules: true)
        case .perl: Syntax(inlineShort: ["e", "E"], shortWithValue: ["I", "M"])
        case .ruby: Syntax(inlineShort: ["e"], shortWithValue: ["I", "r", "C", "E"])
        case .node:
            Syntax(inlineShort: ["e", "p"], inlineLong: ["--eval", "--print"], shortWithValue: ["r"],
                   longWithValue: ["--require", "--loader", "--import", "--experimental-loader", "--env-file", "--title"])
        case .php: Syntax(inlineShort: ["r", "R", "B", "E"], shortWithValue: ["d", "c", "z"])
        case .java:
            Syntax(inlineShort: [],
                   longWithValue: ["--class-path", "--module-path", "--add-modules", "--add-opens", "--add-exports", "--add-reads", "--upgrade-module-path"])
        case .generic: Syntax(inlineShort: ["c", "e"])
        }
    }
}
