import RarenetEvents

/// Writes ``AlertRecord``s and ``SensorNotice``s as ECS-shaped JSON lines
/// (DESIGN.md "Alert format"), with ECS nested objects (`"process":{"pid":…}`).
///
/// The output is deterministic: members always come in the same order,
/// unknown fields are left out (never invented, never `null`), `@timestamp`
/// is RFC 3339 UTC with nanoseconds, `rarenet.score`, `seen_buckets` and
/// `baseline_buckets` are rounded to two decimals, and numbers are spelled as
/// ``JSONLineWriter/appendNumber(_:)-(Double)`` spells them. Replaying the
/// same events gives byte-identical alerts.
///
/// A rarity alert looks like this (one line, wrapped here):
///
///     {"@timestamp":"2024-06-18T12:00:00.000000000Z",
///      "event":{"kind":"alert","category":["network"],"type":["start"],"action":"connection_attempted"},
///      "rule":{"name":"Unusual Linux Network Activity","id":"52afbdc5-db15-485e-bc24-f5707f820c4b",
///              "risk_score":21,"severity":"low"},
///      "process":{"pid":4242,"name":"curl","executable":"/usr/bin/curl","args":["curl","x"],
///                 "working_directory":"/tmp","parent":{"pid":1}},
///      "user":{"id":"1000","name":"alice"},
///      "source":{"ip":"10.0.0.2","port":51234},"destination":{"ip":"192.0.2.7","port":443},
///      "network":{"transport":"tcp","type":"ipv4"},"host":{"name":"web-1"},
///      "rarenet":{"detector":"rare_process","score":100,"probability":0.000520291,"seen_buckets":0,
///                 "baseline_buckets":960,"first_seen":"…","scale":"15m"}}
public enum ECSAlertEncoder {
    /// `rule.name` of rarity alerts, the name of the rule rarenet mirrors.
    public static let ruleName = "Unusual Linux Network Activity"
    /// `rule.id` of rarity alerts, the id of the rule rarenet mirrors.
    public static let ruleID = "52afbdc5-db15-485e-bc24-f5707f820c4b"

    /// Appends one alert line, newline included.
    public static func encode(_ alert: AlertRecord, into writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.appendMember("@timestamp", alert.timestamp)
        writeEvent(category: "network", type: "start", action: alert.action == .connect ? "connection_attempted" : "bind", into: &writer)
        writeRule(name: ruleName, id: ruleID, riskScore: 21, severity: "low", into: &writer)
        writeProcess(alert.process, into: &writer)
        if alert.user != AlertUser() {
            writer.appendKey("user")
            writer.beginObject()
            writer.appendMember("id", alert.user.id.map { String($0) })
            writer.appendMember("name", alert.user.name)
            writer.endObject()
        }
        writeEndpoint("source", alert.source, into: &writer)
        writeEndpoint("destination", alert.destination, into: &writer)
        if alert.transport != nil || alert.networkType != nil {
            writer.appendKey("network")
            writer.beginObject()
            writer.appendMember("transport", alert.transport?.rawValue)
            writer.appendMember("type", alert.networkType.map { $0 == .ipv4 ? "ipv4" : "ipv6" })
            writer.endObject()
        }
        writeHost(alert.hostName, into: &writer)
        if let container = alert.container {
            writer.appendKey("container")
            writer.beginObject()
            writer.appendMember("id", container.id)
            if let image = container.image {
                writer.appendKey("image")
                writer.beginObject()
                writer.appendMember("name", image)
                writer.endObject()
            }
            writer.appendMember("runtime", container.runtime)
            writer.endObject()
        }
        let rarity = alert.rarity
        writer.appendKey("rarenet")
        writer.beginObject()
        writer.appendMember("detector", rarity.detector)
        writer.appendMember("score", twoDecimals(rarity.score))
        writer.appendMember("probability", rarity.probability)
        writer.appendMember("seen_buckets", twoDecimals(rarity.seenBuckets))
        writer.appendMember("baseline_buckets", twoDecimals(rarity.baselineBuckets))
        writer.appendMember("first_seen", rarity.firstSeen)
        writer.appendMember("scale", rarity.scale)
        writer.appendMember("process_key", rarity.processKey)
        writer.appendMember("port_class", rarity.portClass)
        writer.endObject()
        writer.endObject()
        writer.endLine()
    }

    /// Appends one sensor-notice line, newline included (the shape is
    /// documented on ``SensorNotice``).
    public static func encode(_ notice: SensorNotice, into writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.appendMember("@timestamp", notice.timestamp)
        let subject = notice.detector.map { " of detector \($0)" } ?? ""
        switch notice.kind {
        case .baselineSaturated(let fillRatio):
            let percent = Int((fillRatio * 100).rounded())
            writeNoticeHeader(
                action: "baseline_saturated", ruleName: "rarenet: baseline saturated", ruleID: "rarenet-baseline-saturated",
                message: "the baseline sketch\(subject) is \(percent)% full: never-seen processes may look seen "
                    + "and go unreported; enlarge the sketch",
                notice: notice, into: &writer
            )
            writer.appendMember("fill_ratio", fillRatio)
        case .alertCapSuppressing(let cap, let windowSeconds):
            writeNoticeHeader(
                action: "alert_cap_suppressing", ruleName: "rarenet: alert cap suppressing", ruleID: "rarenet-alert-cap-suppressing",
                message: "the cap of \(cap) alerts per \(windowSeconds) s\(subject) is reached: "
                    + "further alerts in this window are suppressed and only counted",
                notice: notice, into: &writer
            )
            writer.appendMember("cap", cap)
            writer.appendMember("window_seconds", windowSeconds)
        }
        writer.endObject()
        writer.endObject()
        writer.endLine()
    }

    /// The line for `alert`, newline included.
    public static func line(for alert: AlertRecord) -> String {
        JSONLineWriter.text { encode(alert, into: &$0) }
    }

    /// The line for `notice`, newline included.
    public static func line(for notice: SensorNotice) -> String {
        JSONLineWriter.text { encode(notice, into: &$0) }
    }

    // MARK: Pieces

    private static func twoDecimals(_ value: Double) -> Double {
        (value * 100).rounded() / 100
    }

    private static func writeEvent(category: StaticString, type: StaticString, action: StaticString, into writer: inout JSONLineWriter) {
        writer.appendKey("event")
        writer.beginObject()
        writer.appendKey("kind")
        writer.appendString("alert")
        writer.appendKey("category")
        writer.beginArray()
        writer.appendString(category)
        writer.endArray()
        writer.appendKey("type")
        writer.beginArray()
        writer.appendString(type)
        writer.endArray()
        writer.appendKey("action")
        writer.appendString(action)
        writer.endObject()
    }

    private static func writeRule(name: String, id: String, riskScore: Int, severity: StaticString, into writer: inout JSONLineWriter) {
        writer.appendKey("rule")
        writer.beginObject()
        writer.appendMember("name", name)
        writer.appendMember("id", id)
        writer.appendMember("risk_score", riskScore)
        writer.appendKey("severity")
        writer.appendString(severity)
        writer.endObject()
    }

    private static func writeProcess(_ process: AlertProcess, into writer: inout JSONLineWriter) {
        guard process != AlertProcess() else { return }
        writer.appendKey("process")
        writer.beginObject()
        writer.appendMember("pid", process.pid)
        writer.appendMember("name", process.name)
        writer.appendMember("executable", process.executable)
        if let arguments = process.arguments { writer.appendMember("args", strings: arguments) }
        writer.appendMember("working_directory", process.workingDirectory)
        if let parentPID = process.parentPID {
            writer.appendKey("parent")
            writer.beginObject()
            writer.appendMember("pid", parentPID)
            writer.endObject()
        }
        writer.endObject()
    }

    private static func writeEndpoint(_ key: StaticString, _ endpoint: AlertEndpoint?, into writer: inout JSONLineWriter) {
        guard let endpoint, endpoint != AlertEndpoint() else { return }
        writer.appendKey(key)
        writer.beginObject()
        writer.appendMember("ip", endpoint.ip?.description)
        writer.appendMember("port", endpoint.port)
        writer.endObject()
    }

    private static func writeHost(_ name: String?, into writer: inout JSONLineWriter) {
        guard let name else { return }
        writer.appendKey("host")
        writer.beginObject()
        writer.appendMember("name", name)
        writer.endObject()
    }

    /// Writes everything of a notice up to its kind's own `rarenet` members:
    /// the caller adds those and closes the `rarenet` object and the line's object.
    private static func writeNoticeHeader(
        action: StaticString,
        ruleName: String,
        ruleID: String,
        message: String,
        notice: SensorNotice,
        into writer: inout JSONLineWriter
    ) {
        writeEvent(category: "intrusion_detection", type: "info", action: action, into: &writer)
        writeRule(name: ruleName, id: ruleID, riskScore: 47, severity: "medium", into: &writer)
        writeHost(notice.hostName, into: &writer)
        writer.appendMember("message", message)
        writer.appendKey("rarenet")
        writer.beginObject()
        writer.appendMember("notice", String(describing: action))
        writer.appendMember("detector", notice.detector)
    }
}
