import ArgumentParser
import RarenetIdentity
import RarenetScoring

/// `rarenet key`: the key a process is scored under, so that a user can
/// check what a rewrite rule or an interpreter entry does before deploying it.
struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Show the key a process with this executable and arguments is scored under.",
        discussion: """
            Options go before PATH: everything after it is the process's arguments. \
            Example: rarenet key /usr/bin/python3 /opt/tools/sync.py prints \
            host:system:/usr/bin/python<version> script=/opt/tools/sync.py. \
            With --rules, prints the rewrite rules and interpreters in force instead.
            """
    )

    @Option(help: "The process runs in a container of this image (e.g. registry.example/app:1.4.2).")
    var containerImage: String?

    @Option(help: "The process runs in a container of this runtime: docker | containerd | cri-o | podman.")
    var containerRuntime: String?

    @Flag(help: "The executable file was unlinked after the exec (the kernel shows it as PATH (deleted)).")
    var deleted = false

    @Flag(help: "The process runs in a mount namespace that is no container and whose PATH is not the host's file.")
    var namespace = false

    @Flag(help: "Print the rewrite rules and interpreters in force, then exit.")
    var rules = false

    @Option(help: "YAML configuration file (see deploy/rarenet.yaml); flags override it.")
    var config: String?

    @OptionGroup(title: "Scoring") var scoring: ScoringOptions

    @Argument(help: "The executable's path (inside the container, for a container process).")
    var path: String?

    @Argument(parsing: .captureForPassthrough, help: "The process's arguments after argv[0].")
    var arguments: [String] = []

    func validate() throws {
        if !rules, path?.hasPrefix("/") != true { throw ValidationError("PATH must be an absolute path") }
        if let containerRuntime, ContainerRuntime(rawValue: containerRuntime) == nil {
            throw ValidationError("--container-runtime must be one of \(ContainerRuntime.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if namespace, containerImage != nil || containerRuntime != nil {
            throw ValidationError("--namespace and a container contradict each other")
        }
    }

    func run() throws {
        let configuration = try scoring.configuration(file: config)
        guard !rules else {
            for rule in configuration.identity.rewriteRules { print("rewrite: \(rule)") }
            print("interpreters: \(configuration.identity.interpreters.joined(separator: " "))")
            return
        }
        let executable = path ?? "/"
        let origin: ProcessOrigin
        if containerImage != nil || containerRuntime != nil {
            origin = .container(ContainerIdentity(
                id: "", runtime: containerRuntime.flatMap(ContainerRuntime.init(rawValue:)), image: containerImage))
        } else {
            origin = namespace ? .foreignNamespace : .host
        }
        let facts = ProcessFacts(
            executable: executable, executableIsDeleted: deleted, arguments: [executable] + arguments,
            name: String(executable.split(separator: "/").last ?? ""), origin: origin)
        print(configuration.keyText(for: facts, deriver: ProcessKeyDeriver(configuration: configuration.identity)))
    }
}
