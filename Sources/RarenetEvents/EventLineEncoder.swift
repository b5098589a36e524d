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
        writer.appendKey("ts")
        writer.appendTimestamp(event.timestamp)
        writer.appendKey("action")
        writer.appendString(event.action.rawValue)
        writer.appendKey("pid")
        writer.appendNumber(event.pid)
        writer.appendKey("uid")
        writer.appendNumber(event.uid)
        writer.appendKey("comm")
        writer.appendString(event.comm)
        if let ppid = event.ppid {
            writer.appendKey("ppid")
            writer.appendNumber(ppid)
        }
        if let executable = event.executable {
            writer.appendKey("exe")
            writer.appendString(executable)
        }
        if let user = event.user {
            writer.appendKey("user")
            writer.appendString(user)
        }
        if let family = event.family {
            writer.appendKey("family")
            writer.appendNumber(family.rawValue)
        }
        if let transport = event.transport {
            writer.appendKey("protocol")
            writer.appendString(transport.rawValue)
        }
        if let address = event.sourceAddress {
            writer.appendKey("saddr")
            writer.appendString(address.description)
        }
        if let port = event.sourcePort {
            writer.appendKey("sport")
            writer.appendNumber(port)
        }
        if let address = event.destinationAddress {
            writer.appendKey("daddr")
            writer.appendString(address.description)
        }
        if let port = event.destinationPort {
            writer.appendKey("dport")
            writer.appendNumber(port)
        }
        if let host = event.host {
            writer.appendKey("host")
            writer.appendString(host)
        }
        writer.endObject()
        writer.endLine()
    }

    /// The line for `event`, newline included.
    public static func line(for event: NetworkEvent) -> String {
        var writer = JSONLineWriter()
        encode(event, into: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
