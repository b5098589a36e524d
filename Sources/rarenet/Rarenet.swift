import ArgumentParser

/// The `rarenet` command: a host sensor that flags processes whose network use is rare.
@main
struct Rarenet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rarenet",
        abstract: "Flag processes whose network use (connect, bind) is statistically rare.",
        subcommands: [ReplayCommand.self, LearnCommand.self, MergeCommand.self]
    )
}
