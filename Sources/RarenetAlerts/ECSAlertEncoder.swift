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
        writer.appendKey("@timestamp")
        writer.appendTimestamp(alert.timestamp)
        writeEvent(category: "network", type: "start", action: alert.action == .connect ? "connection_attempted" : "bind", into: &writer)
        writeRule(name: ruleName, id: ruleID, riskScore: 21, severity: "low", into: &writer)
        writeProcess(alert.process, into: &writer)
        writeUser(alert.user, into: &writer)
        writeEndpoint("source", alert.source, into: &writer)
        writeEndpoint("destination", alert.destination, into: &writer)
        if alert.transport != nil || alert.networkType != nil {
            writer.appendKey("network")
            writer.beginObject()
            if let transport = alert.transport {
                writer.appendKey("transport")
                writer.appendString(transport.rawValue)
            }
            if let family = alert.networkType {
                writer.appendKey("type")
                writer.appendString(family == .ipv4 ? "ipv4" : "ipv6")
            }
            writer.endObject()
        }
        writeHost(alert.hostName, into: &writer)
        let rarity = alert.rarity
        writer.appendKey("rarenet")
        writer.beginObject()
        writer.appendKey("detector")
        writer.appendString(rarity.detector)
        writer.appendKey("score")
        writer.appendNumber(twoDecimals(rarity.score))
        writer.appendKey("probability")
        writer.appendNumber(rarity.probability)
        writer.appendKey("seen_buckets")
        writer.appendNumber(twoDecimals(rarity.seenBuckets))
        writer.appendKey("baseline_buckets")
        writer.appendNumber(twoDecimals(rarity.baselineBuckets))
        if let firstSeen = rarity.firstSeen {
            writer.appendKey("first_seen")
            writer.appendTimestamp(firstSeen)
        }
        writer.appendKey("scale")
        writer.appendString(rarity.scale)
        writer.endObject()
        writer.endObject()
        writer.endLine()
    }

    /// Appends one sensor-notice line, newline included (the shape is
    /// documented on ``SensorNotice``).
    public static func encode(_ notice: SensorNotice, into writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.appendKey("@timestamp")
        writer.appendTimestamp(notice.timestamp)
        let subject = notice.detector.map { " of detector \($0)" } ?? ""
        switch notice.kind {
        case .baselineSaturated(let fillRatio):
            writeEvent(category: "intrusion_detection", type: "info", action: "baseline_saturated", into: &writer)
            writeRule(name: "rarenet: baseline saturated", id: "rarenet-baseline-saturated", riskScore: 47, severity: "medium", into: &writer)
            writeHost(notice.hostName, into: &writer)
            writer.appendKey("message")
            let percent = Int((fillRatio * 100).rounded())
            writer.appendString(
                "the baseline sketch\(subject) is \(percent)% full: never-seen processes may look seen and go unreported; enlarge the sketch"
            )
            writeNoticeObject("baseline_saturated", detector: notice.detector, into: &writer)
            writer.appendKey("fill_ratio")
            writer.appendNumber(fillRatio)
        case .alertCapSuppressing(let cap, let windowSeconds):
            writeEvent(category: "intrusion_detection", type: "info", action: "alert_cap_suppressing", into: &writer)
            writeRule(name: "rarenet: alert cap suppressing", id: "rarenet-alert-cap-suppressing", riskScore: 47, severity: "medium", into: &writer)
            writeHost(notice.hostName, into: &writer)
            writer.appendKey("message")
            writer.appendString(
                "the cap of \(cap) alerts per \(windowSeconds) s\(subject) is reached: further alerts in this window are suppressed and only counted"
            )
            writeNoticeObject("alert_cap_suppressing", detector: notice.detector, into: &writer)
            writer.appendKey("cap")
            writer.appendNumber(cap)
            writer.appendKey("window_seconds")
            writer.appendNumber(windowSeconds)
        }
        writer.endObject()
        writer.endObject()
        writer.endLine()
    }

    /// The line for `alert`, newline included.
    public static func line(for alert: AlertRecord) -> String {
        var writer = JSONLineWriter()
        encode(alert, into: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The line for `notice`, newline included.
    public static func line(for notice: SensorNotice) -> String {
        var writer = JSONLineWriter()
        encode(notice, into: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
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
        writer.appendKey("name")
        writer.appendString(name)
        writer.appendKey("id")
        writer.appendString(id)
        writer.appendKey("risk_score")
        writer.appendNumber(riskScore)
        writer.appendKey("severity")
        writer.appendString(severity)
        writer.endObject()
    }

    private static func writeProcess(_ process: AlertProcess, into writer: inout JSONLineWriter) {
        guard process != AlertProcess() else { return }
        writer.appendKey("process")
        writer.beginObject()
        if let pid = process.pid {
            writer.appendKey("pid")
            writer.appendNumber(pid)
        }
        if let name = process.name {
            writer.appendKey("name")
            writer.appendString(name)
        }
        if let executable = process.executable {
            writer.appendKey("executable")
            writer.appendString(executable)
        }
        if let arguments = process.arguments {
            writer.appendKey("args")
            writer.beginArray()
            for argument in arguments { writer.appendString(argument) }
            writer.endArray()
        }
        if let workingDirectory = process.workingDirectory {
            writer.appendKey("working_directory")
            writer.appendString(workingDirectory)
        }
        if let parentPID = process.parentPID {
            writer.appendKey("parent")
            writer.beginObject()
            writer.appendKey("pid")
            writer.appendNumber(parentPID)
            writer.endObject()
        }
        writer.endObject()
    }

    private static func writeUser(_ user: AlertUser, into writer: inout JSONLineWriter) {
        guard user != AlertUser() else { return }
        writer.appendKey("user")
        writer.beginObject()
        if let id = user.id {
            writer.appendKey("id")
            writer.appendString(String(id))
        }
        if let name = user.name {
            writer.appendKey("name")
            writer.appendString(name)
        }
        writer.endObject()
    }

    private static func writeEndpoint(_ key: StaticString, _ endpoint: AlertEndpoint?, into writer: inout JSONLineWriter) {
        guard let endpoint, endpoint != AlertEndpoint() else { return }
        writer.appendKey(key)
        writer.beginObject()
        if let ip = endpoint.ip {
            writer.appendKey("ip")
            writer.appendString(ip.description)
        }
        if let port = endpoint.port {
            writer.appendKey("port")
            writer.appendNumber(port)
        }
        writer.endObject()
    }

    private static func writeHost(_ name: String?, into writer: inout JSONLineWriter) {
        guard let name else { return }
        writer.appendKey("host")
        writer.beginObject()
        writer.appendKey("name")
        writer.appendString(name)
        writer.endObject()
    }

    /// Opens the `rarenet` object of a notice and writes its common members;
    /// the caller adds the kind's members and closes it.
    private static func writeNoticeObject(_ notice: StaticString, detector: String?, into writer: inout JSONLineWriter) {
        writer.appendKey("rarenet")
        writer.beginObject()
        writer.appendKey("notice")
        writer.appendString(notice)
        if let detector {
            writer.appendKey("detector")
            writer.appendString(detector)
        }
    }
}
