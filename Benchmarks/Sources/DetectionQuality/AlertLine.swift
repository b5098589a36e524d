import Foundation
import RarenetEvents

/// The fields of an alert line (ECS, as `rarenet replay` writes it) that the
/// benchmark reads: a rarity alert, or a sensor notice (`rarenet.notice`).
struct AlertLine: Decodable {
    struct Process: Decodable {
        var pid: UInt32?
        var executable: String?
        var name: String?
    }

    struct Endpoint: Decodable {
        var port: UInt16?
    }

    struct Rarenet: Decodable {
        var detector: String?
        var score: Double?
        var notice: String?
    }

    var timestamp: String
    var process: Process?
    var destination: Endpoint?
    var source: Endpoint?
    var rarenet: Rarenet

    enum CodingKeys: String, CodingKey {
        case timestamp = "@timestamp"
        case process, destination, source, rarenet
    }

    /// The line's `@timestamp` in nanoseconds since the epoch.
    var time: Int64 {
        get throws { try EventTimestamp(rfc3339: timestamp).nanosecondsSinceEpoch }
    }

    static func decode(_ line: [UInt8]) throws -> AlertLine {
        try JSONDecoder().decode(AlertLine.self, from: Data(line))
    }
}
