import ArgumentParser
import RarenetBaseline

/// `rarenet merge`: sums the baselines of several hosts into a fleet baseline.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Sum baseline snapshots of several hosts into one fleet baseline.",
        discussion: """
            The snapshots must have the same sketch parameters, seed, time scales and decay clock \
            (snapshot every host at the same bucket); otherwise nothing is written and the error \
            names the snapshot that differs.
            """
    )

    @Option(help: "State directory to write the merged baseline.snapshot into (created 0700 if missing).")
    var output: String

    @Argument(help: "Snapshot files, or state directories holding baseline.snapshot.")
    var snapshots: [String]

    func validate() throws {
        guard !snapshots.isEmpty else { throw ValidationError("give at least one snapshot to merge") }
    }

    func run() throws {
        let merged = try BaselineMerging.merge(snapshotPaths: snapshots)
        let store = try SnapshotStore(directory: output)
        try store.save(merged)
        printToStandardError(
            "merged \(snapshots.count) baselines (\(merged.completedBuckets) completed buckets) into \(store.snapshotPath)"
        )
    }
}
