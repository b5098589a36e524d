/// Writes ``NetworkEvent``s in the JSON-lines event record format (DESIGN.md,
/// "Event record format"), the inverse of ``EventLineParser``.
///
/// Members come in a fixed order (`ts`, `action`, `pid`, `uid`, `comm`, then
/// the optional fields in the order of the format), absent optional fields
/// are left out, and `ts` is RFC 3339 UTC with nanoseconds, so the same event
/// always gives the same bytes and parsing them gives the event back.
public enum EventLineEncoder {
    /// Appends one line for `event`, newline included, to `writer`.
    public static func encode(_ event: NetworkEvent, into writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.appendMember("ts", event.timestamp)
        writer.appendMember("action", event.action.rawValue)
        writer.appendMember("pid", event.pid)
        writer.appendMember("uid", event.uid)
        writer.appendMember("comm", event.comm)
        writer.appendMember("ppid", event.ppid)
        writer.appendMember("exe", event.executable)
        writer.appendMember("user", event.user)
        writer.appendMember("family", event.family?.rawValue)
        writer.appendMember("protocol", event.transport?.rawValue)
        writer.appendMember("saddr", event.sourceAddress?.description)
        writer.appendMember("sport", event.sourcePort)
        writer.appendMember("daddr", event.destinationAddress?.description)
        writer.appendMember("dport", event.destinationPort)
        writer.appendMember("host", event.host)
        if let arguments = event.arguments { writer.appendMember("args", strings: arguments) }
        writer.appendMember("container_id", event.container?.id)
        writer.appendMember("container_image", event.container?.image)
        writer.appendMember("container_runtime", event.container?.runtime)
        if event.inForeignNamespace { writer.appendMember("origin", "namespace") }
        writer.endObject()
        writer.endLine()
    }

    /// The line for `event`, newline included.
    public static func line(for event: NetworkEvent) -> String {
        JSONLineWriter.text { encode(event, into: &$0) }
    }
}
