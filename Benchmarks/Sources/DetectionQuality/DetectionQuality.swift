import ArgumentParser
import Foundation
import ScenarioKit

/// Replays 14-day streams of realistic servers with planted attacks through
/// `EventReplay` (the default scoring configuration and learning period)
/// and reports, per profile, recall (planted attacks that raised an alert),
/// false alerts per host-day and what the false alerts are.
///
/// Exits 1 when a planted attack the gate requires goes unalerted, or when a
/// profile's false alerts per host-day exceed the ceiling given for it: the
/// check CI runs (`make bench-short`).
@main
struct DetectionQuality: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detection-quality",
        abstract: "Score realistic multi-day server streams with planted attacks: recall and false alerts per host-day."
    )

    @Option(name: .customLong("profile"), help: "A profile to replay (repeat for several; default: all of \(ServerProfile.allCases.map(\.rawValue).joined(separator: ", "))).")
    var profiles: [ServerProfile] = ServerProfile.allCases

    @Option(help: "Days per stream; the first (the default learning period) raises no alerts.")
    var days: Int = 14

    @Option(name: .customLong("seed"), help: "A seed of the generator (repeat for several; default 1): the same seed gives byte-identical streams.")
    var seeds: [UInt64] = [1]

    @Option(name: .customLong("max-false-alerts-per-host-day"),
            help: "PROFILE=N: fail when PROFILE's false alerts per host-day exceed N (repeat per profile).")
    var ceilings: [FalseAlertCeiling] = []

    @Flag(help: "Generate every stream a second time and fail unless its bytes (digest) and event count are the same.")
    var verifyDeterminism = false

    @Option(help: "Also write each stream's events to DIR/PROFILE.jsonl (DIR/PROFILE-seedN.jsonl with several seeds), for `rarenet replay --events`.")
    var writeEvents: String?

    @Option(help: "False-alert causes listed per profile.")
    var top: Int = 10

    @Flag(help: "Print only the summary table (and any failure), not each stream's attacks and causes.")
    var summary = false

    func validate() throws {
        guard days >= 2 else { throw ValidationError("--days must be at least 2 (the first is the learning day)") }
        guard !seeds.isEmpty else { throw ValidationError("--seed needs a value") }
        let unknown = ceilings.map(\.profile).filter { !profiles.contains($0) }
        guard unknown.isEmpty else { throw ValidationError("a ceiling for a profile not replayed: \(unknown.map(\.rawValue))") }
    }

    func run() throws {
        var measurements: [DetectionMeasurement] = []
        for seed in seeds {
            for profile in profiles {
                let name = seeds.count == 1 ? profile.rawValue : "\(profile.rawValue)-seed\(seed)"
                let file = try writeEvents.map { directory in try Self.createFile("\(directory)/\(name).jsonl") }
                defer { try? file?.close() }
                measurements.append(try DetectionMeasurement.measure(profile, seed: seed, days: days, eventFile: file))
            }
        }
        let report = DetectionReport(measurements: measurements, ceilings: ceilings, days: days, top: top)
        print(summary ? report.summary : report.text)
        var failures = report.failures
        if verifyDeterminism {
            for measurement in measurements {
                let again = DetectionMeasurement.digest(of: measurement.profile, seed: measurement.seed, days: days)
                guard again.digest != measurement.digest || again.events != measurement.events else { continue }
                failures.append("\(measurement.profile.rawValue), seed \(measurement.seed): a second generation differs (\(again.events) events, digest \(again.digest), "
                    + "against \(measurement.events), \(measurement.digest))")
            }
            if failures.isEmpty { print("determinism: a second generation of every stream gave the same bytes") }
        }
        for failure in failures { print("FAIL: \(failure)") }
        if !failures.isEmpty { throw ExitCode.failure }
    }

    private static func createFile(_ path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("cannot create \(path)")
        }
        return handle
    }
}

/// `PROFILE=N`: the most false alerts per host-day a profile may raise.
struct FalseAlertCeiling: ExpressibleByArgument {
    var profile: ServerProfile
    var perHostDay: Double

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let profile = ServerProfile(rawValue: String(parts[0])), let value = Double(parts[1]), value >= 0 else { return nil }
        self.profile = profile
        perHostDay = value
    }
}

extension ServerProfile: ExpressibleByArgument {}
