import ArgumentParser
import RingDrainKit

/// Runs rarenet's ring-buffer consumer and libbpf's side by side and prints the table.
///
/// Exits 1 when the median rarenet/libbpf ratio of any ring size is below
/// `--floor`: the check CI runs (a ratio, never an absolute time).
@main
struct RingDrainCompare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ring-drain-compare",
        abstract: "Drain a BPF ring buffer with rarenet's consumer and with libbpf's, side by side (root)."
    )

    @Option(name: .customLong("ring-kib"), help: "Ring sizes in KiB (powers of two, at least 4), comma-separated.")
    var ringSizes: String = "1024,65536"

    @Option(help: "Measured rounds per ring size (after 3 warm-up rounds).")
    var rounds: Int = 100

    @Option(help: "The goal for the median ratio, shown in the table.")
    var goal: Double = 1.3

    @Option(help: "Fail when the median ratio of any ring size is below this.")
    var floor: Double = 1.0

    func run() throws {
        let sizes = ringSizes.split(separator: ",").compactMap { Int($0.filter { $0 != " " }) }
        var results: [RingDrainResult] = []
        for kibibytes in sizes {
            results.append(try FillThenDrain(ringSize: kibibytes * 1024).run(rounds: rounds))
        }
        print(RingDrainTable.render(results, goal: goal, floor: floor))
        guard results.allSatisfy({ $0.checksumsAgree && $0.medianRatio >= floor }) else {
            print("FAIL: a ratio is below the floor \(floor), or the two consumers decoded different values")
            throw ExitCode.failure
        }
    }
}
