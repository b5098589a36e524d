import RarenetEvents

/// Writes ``ScenarioEvent``s as lines of the event record format (DESIGN.md,
/// "Event record format"), with the optional fields of the process identity
/// work: `container_id` and `container_image` when the process runs in a
/// container (`exe` is then the path inside it) and `args` for every event.
///
/// Members come in a fixed order and `ts` is RFC 3339 UTC with nanoseconds,
/// so the same event always gives the same bytes. A parser that does not
/// know the newer fields skips them.
public enum ScenarioLineEncoder {
    /// Appends one line for `event` on `host`, newline included, to `writer`.
    public static func encode(_ event: ScenarioEvent, host: String, into writer: inout JSONLineWriter) {
        let image = event.image
        writer.beginObject()
        writer.appendMember("ts", EventTimestamp(nanosecondsSinceEpoch: event.time))
        writer.appendMember("action", event.action.rawValue)
        writer.appendMember("pid", event.pid)
        writer.appendMember("ppid", event.ppid)
        writer.appendMember("uid", image.account.uid)
        writer.appendMember("user", image.account.name)
        writer.appendMember("comm", image.comm)
        writer.appendMember("exe", image.executable)
        writer.appendKey("args")
        writer.beginArray()
        for argument in image.arguments { writer.appendString(argument) }
        writer.endArray()
        writer.appendMember("container_id", image.container?.id)
        writer.appendMember("container_image", image.container?.image)
        writer.appendMember("family", event.local.address.family.rawValue)
        writer.appendMember("protocol", event.local.transport.rawValue)
        writer.appendMember("saddr", event.local.address.description)
        writer.appendMember("sport", event.local.port)
        writer.appendMember("daddr", event.remote?.address.description)
        writer.appendMember("dport", event.remote?.port)
        writer.appendMember("host", host)
        writer.endObject()
        writer.endLine()
    }
}
