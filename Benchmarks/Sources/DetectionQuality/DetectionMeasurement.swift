import Foundation
import RarenetBaseline
import RarenetEvents
import RarenetScoring
import ScenarioKit

/// A rarity alert of a replay, with the ground truth of the event that raised it.
struct ObservedAlert {
    var time: Int64
    var pid: UInt32
    var detector: String
    var score: Double
    /// `process.executable`, or `process.name` when the event had no executable.
    var process: String
    /// The destination port of a connect, the bound port of a bind.
    var port: UInt16?
    var truth: Truth
}

/// What one planted attack raised.
struct AttackOutcome {
    var attack: PlantedAttack
    var alerts: [ObservedAlert]

    var isCaught: Bool { !alerts.isEmpty }
}

/// One profile's stream scored through ``EventReplay`` with the default
/// configuration, the alerts sorted into the planted attacks' and the false ones.
struct DetectionMeasurement {
    var profile: ServerProfile
    var seed: UInt64
    /// The stream's first instant, nanoseconds since the epoch.
    var start: Int64
    var events: Int
    /// Hosts × the days after the learning period (when alerts can happen).
    var hostDays: Double
    var digest: StreamDigest
    var attacks: [AttackOutcome]
    var falseAlerts: [ObservedAlert]
    /// Alerts over the threshold that the alert cap held back (not written), over both detectors.
    var heldBackByCap: UInt64
    /// Sensor notices written (the cap starting to suppress, a saturated sketch).
    var notices: [String]
    var seconds: Double

    /// Planted attacks the gate requires caught, and those caught.
    var gated: (caught: Int, planted: Int) { count(attacks.filter(\.attack.technique.isGated)) }
    /// The blind spots the gate does not require yet.
    var ungated: (caught: Int, planted: Int) { count(attacks.filter { !$0.attack.technique.isGated }) }
    var falseAlertsPerHostDay: Double { Double(falseAlerts.count) / hostDays }

    private func count(_ outcomes: [AttackOutcome]) -> (caught: Int, planted: Int) {
        (outcomes.filter(\.isCaught).count, outcomes.count)
    }

    /// Generates `profile`'s stream, writes each event as a line (also to
    /// `eventFile` when given), parses it back with the replay's parser and
    /// scores it with ``EventReplay``: keys come from the scorer's own
    /// derivation, whatever it is.
    static func measure(_ profile: ServerProfile, seed: UInt64, days: Int, eventFile: FileHandle?) throws -> DetectionMeasurement {
        let clock = ContinuousClock()
        let started = clock.now
        let configuration = ScoringConfiguration()
        var replay = EventReplay(scorer: try RarityScorer(configuration: configuration), writesAlerts: true)
        var lines = ScenarioLines(profile.stream(seed: seed, days: days))
        var alerts: [ObservedAlert] = []
        var notices: [String] = []
        var pending: [UInt8] = []
        while let event = lines.next() {
            let line = lines.line
            if let eventFile {
                pending += line
                if pending.count >= 1 << 20 {
                    eventFile.write(Data(pending))
                    pending.removeAll(keepingCapacity: true)
                }
            }
            let parsed = try EventLineParser.parse(Array(line.dropLast())).get()
            try replay.score(parsed) { line in
                let alert = try AlertLine.decode(line)
                if let notice = alert.rarenet.notice {
                    notices.append(notice)
                    return
                }
                guard let pid = alert.process?.pid, let detector = alert.rarenet.detector else {
                    throw MeasurementError.unreadableAlert(String(decoding: line, as: UTF8.self))
                }
                alerts.append(ObservedAlert(
                    time: try alert.time, pid: pid, detector: detector, score: alert.rarenet.score ?? .nan,
                    process: alert.process?.executable ?? alert.process?.name ?? "?",
                    port: alert.destination?.port ?? alert.source?.port, truth: event.truth
                ))
            }
        }
        eventFile?.write(Data(pending))
        let planted = lines.stream.plantedAttacks
        var outcomes = planted.map { AttackOutcome(attack: $0, alerts: []) }
        var falseAlerts: [ObservedAlert] = []
        for alert in alerts {
            let owner = planted.firstIndex { $0.owns(pid: alert.pid, at: alert.time) }
            let raisedByAttack = if case .planted = alert.truth { true } else { false }
            guard (owner != nil) == raisedByAttack else {
                throw MeasurementError.matchDisagreesWithTruth(pid: alert.pid, time: alert.time, raisedByAttack: raisedByAttack)
            }
            if let owner {
                outcomes[owner].alerts.append(alert)
            } else {
                falseAlerts.append(alert)
            }
        }
        let learningDays = Double(configuration.learningPeriod / .seconds(86_400))
        return DetectionMeasurement(
            profile: profile, seed: seed, start: lines.stream.calendar.start, events: lines.count, hostDays: Double(days) - learningDays, digest: lines.digest,
            attacks: outcomes, falseAlerts: falseAlerts,
            heldBackByCap: configuration.detectors.reduce(0) { $0 + replay.scorer.statistics(for: $1).suppressedByCap },
            notices: notices, seconds: (clock.now - started) / .seconds(1)
        )
    }

    /// The digest and event count of `profile`'s stream, generated again without scoring.
    static func digest(of profile: ServerProfile, seed: UInt64, days: Int) -> (digest: StreamDigest, events: Int) {
        var lines = ScenarioLines(profile.stream(seed: seed, days: days))
        while lines.next() != nil {}
        return (lines.digest, lines.count)
    }
}

/// A replay output the benchmark cannot account for.
enum MeasurementError: Error, CustomStringConvertible {
    case unreadableAlert(String)
    /// Matching by pid and time says one thing, the ground truth of the event that raised the alert another.
    case matchDisagreesWithTruth(pid: UInt32, time: Int64, raisedByAttack: Bool)

    var description: String {
        switch self {
        case .unreadableAlert(let line):
            "an alert line without process.pid or rarenet.detector: \(line)"
        case .matchDisagreesWithTruth(let pid, let time, let raisedByAttack):
            "the alert of pid \(pid) at \(time) ns was raised by " + (raisedByAttack ? "a planted event but matches no planted attack"
                : "a routine event but matches a planted attack's pid and time")
        }
    }
}
