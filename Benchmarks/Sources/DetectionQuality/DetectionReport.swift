import BenchmarkFormat
import RarenetEvents
import ScenarioKit

/// The detection tables: per profile the summary row, the planted attacks
/// and what raised each, and the false alerts by cause; and the gate's verdict.
struct DetectionReport {
    var measurements: [DetectionMeasurement]
    var ceilings: [FalseAlertCeiling]
    var days: Int
    var top: Int

    /// What the gate fails on: a required attack missed, a ceiling exceeded.
    var failures: [String] {
        measurements.flatMap { measurement -> [String] in
            let name = "\(measurement.profile.rawValue) (seed \(measurement.seed))"
            var failures = measurement.attacks.filter { $0.attack.technique.isGated && !$0.isCaught }.map {
                "\(name): planted attack not alerted: \($0.attack.summary)"
            }
            if let ceiling = ceiling(of: measurement.profile), measurement.falseAlertsPerHostDay > ceiling {
                failures.append("\(name): \(TableFormat.decimal(measurement.falseAlertsPerHostDay, digits: 2)) false alerts per host-day, "
                    + "above the ceiling \(TableFormat.decimal(ceiling, digits: 2))")
            }
            return failures
        }
    }

    /// The summary table: a row per stream.
    var summary: String {
        var lines = ["detection quality: one host per profile and seed, \(days) days (the first is the default 24 h learning period); "
            + "default scoring configuration, through EventReplay"]
        lines.append("profile".padding(17) + "seed".leftPadding(5) + "host-days".leftPadding(10) + "events".leftPadding(10) + "recall".leftPadding(14)
            + "false alerts".leftPadding(14) + "per host-day".leftPadding(14) + "ceiling".leftPadding(9) + "capped".leftPadding(8)
            + "not gated".leftPadding(11) + "   digest")
        for measurement in measurements {
            let gated = measurement.gated
            let ungated = measurement.ungated
            let ceiling = ceiling(of: measurement.profile).map { TableFormat.decimal($0, digits: 2) } ?? "-"
            lines.append(measurement.profile.rawValue.padding(17) + "\(measurement.seed)".leftPadding(5)
                + TableFormat.whole(measurement.hostDays).leftPadding(10) + "\(measurement.events)".leftPadding(10)
                + "\(gated.caught)/\(gated.planted) \(percent(gated.caught, of: gated.planted))".leftPadding(14)
                + "\(measurement.falseAlerts.count)".leftPadding(14)
                + TableFormat.decimal(measurement.falseAlertsPerHostDay, digits: 2).leftPadding(14) + ceiling.leftPadding(9)
                + "\(measurement.heldBackByCap)".leftPadding(8) + "\(ungated.caught)/\(ungated.planted)".leftPadding(11)
                + "   \(measurement.digest)")
        }
        let profiles = measurements.map(\.profile).reduce(into: [ServerProfile]()) { if !$0.contains($1) { $0.append($1) } }
        let times = profiles.map { profile in
            let seconds = measurements.filter { $0.profile == profile }.reduce(0) { $0 + $1.seconds }
            return "\(profile.rawValue) \(TableFormat.decimal(seconds, digits: 1)) s"
        }
        let seconds = measurements.reduce(0) { $0 + $1.seconds }
        lines.append("time (generate, encode, parse, score): " + times.joined(separator: ", ") + "; total \(TableFormat.decimal(seconds, digits: 1)) s")
        return lines.joined(separator: "\n")
    }

    /// The summary, then each stream's planted attacks and false alerts by cause.
    var text: String {
        var lines = [summary]
        for measurement in measurements {
            lines.append("")
            lines += attackLines(measurement)
            lines.append("")
            lines += causeLines(measurement)
        }
        return lines.joined(separator: "\n")
    }

    private func ceiling(of profile: ServerProfile) -> Double? {
        ceilings.last { $0.profile == profile }?.perHostDay
    }

    private func percent(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "-" : TableFormat.whole(100 * Double(part) / Double(whole)) + "%"
    }

    private func attackLines(_ measurement: DetectionMeasurement) -> [String] {
        var lines = ["\(measurement.profile.rawValue), seed \(measurement.seed): planted attacks (gated first)"]
        let outcomes = measurement.attacks.sorted { ($0.attack.technique.isGated ? 0 : 1, $0.attack.start) < ($1.attack.technique.isGated ? 0 : 1, $1.attack.start) }
        for outcome in outcomes {
            let attack = outcome.attack
            let verdict: String
            if let first = outcome.alerts.first {
                let detectors = Set(outcome.alerts.map(\.detector)).sorted().joined(separator: "+")
                let delay = Double(first.time - attack.start) / 1e9
                verdict = "caught: \(outcome.alerts.count) alert(s), \(detectors), first after \(TableFormat.decimal(delay, digits: 1)) s"
            } else {
                verdict = attack.technique.isGated ? "MISSED" : "missed"
            }
            lines.append("  " + (attack.technique.isGated ? "gated " : "later ") + clock(attack.start, from: measurement.start).padding(16)
                + "pid \(attack.pids.map(String.init).joined(separator: ","))".padding(12) + verdict.padding(58) + attack.summary)
        }
        return lines
    }

    private func causeLines(_ measurement: DetectionMeasurement) -> [String] {
        let groups = Dictionary(grouping: measurement.falseAlerts) { alert -> String in
            if case .routine(let activity) = alert.truth { activity } else { "?" }
        }.sorted { ($1.value.count, $0.key) < ($0.value.count, $1.key) }
        var lines = ["\(measurement.profile.rawValue), seed \(measurement.seed): false alerts by cause (\(measurement.falseAlerts.count), "
            + "\(TableFormat.decimal(measurement.falseAlertsPerHostDay, digits: 2)) per host-day)"]
        lines.append("  " + "alerts".leftPadding(6) + "/host-day".leftPadding(10) + "process".leftPadding(8) + "port".leftPadding(6)
            + "keys".leftPadding(6) + "  cause, most frequent example")
        for (cause, alerts) in groups.prefix(top) {
            let processAlerts = alerts.filter { $0.detector == "rare_process" }
            let examples = Dictionary(grouping: processAlerts, by: \.process).max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }
            let ports = Set(alerts.filter { $0.detector == "rare_port" }.compactMap(\.port)).sorted()
            let example = examples.map { $0.key }
                ?? ports.prefix(3).map { "port \($0)" }.joined(separator: ", ") + (ports.count > 3 ? " … (\(ports.count) ports)" : "")
            let keys = Set(processAlerts.map(\.process)).count + ports.count
            lines.append("  " + "\(alerts.count)".leftPadding(6) + TableFormat.decimal(Double(alerts.count) / measurement.hostDays, digits: 2).leftPadding(10)
                + "\(processAlerts.count)".leftPadding(8) + "\(alerts.count - processAlerts.count)".leftPadding(6) + "\(keys)".leftPadding(6)
                + "  \(cause): \(example)")
        }
        let rest = groups.dropFirst(top)
        if !rest.isEmpty {
            lines.append("  " + "\(rest.reduce(0) { $0 + $1.value.count })".leftPadding(6) + "  (\(rest.count) more causes)")
        }
        return lines
    }

    /// `day 3 14:22`, counting from the scenario's first day (UTC).
    private func clock(_ time: Int64, from start: Int64) -> String {
        let seconds = (time - start) / 1_000_000_000
        let (day, rest) = (seconds / 86_400, seconds % 86_400)
        return "day \(day) " + String(format2(rest / 3600)) + ":" + format2(rest / 60 % 60)
    }

    private func format2(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
