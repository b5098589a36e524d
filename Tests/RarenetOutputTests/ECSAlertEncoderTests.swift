import Foundation
import Testing
import RarenetAlerts
import RarenetEvents

@Suite struct ECSAlertEncoderTests {
    static let rarity = RarityAssessment(
        detector: "rare_process", score: 59.996, probability: 0.0109261186264308,
        seenBuckets: 9.994, baselineBuckets: 960.004,
        firstSeen: EventTimestamp(nanosecondsSinceEpoch: 1_718_000_000_000_000_000), scale: "15m"
    )

    static let full = AlertRecord(
        timestamp: EventTimestamp(nanosecondsSinceEpoch: 1_718_712_000_123_456_789),
        action: .connect,
        process: AlertProcess(
            pid: 4242, name: "curl", executable: "/usr/bin/curl", arguments: ["curl", "-d", "a\"b\n"],
            workingDirectory: "/tmp", parentPID: 1
        ),
        user: AlertUser(id: 1000, name: "alice"),
        source: AlertEndpoint(ip: IPAddress("10.0.0.2"), port: 51234),
        destination: AlertEndpoint(ip: IPAddress("192.0.2.7"), port: 443),
        transport: .tcp, networkType: .ipv4, hostName: "web-1", rarity: rarity
    )

    /// Parses a line back with Foundation, as a SIEM would.
    static func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().contains("\n") == false)
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(parsed as? [String: Any])
    }

    @Test func writesEveryFieldWhereECSPutsIt() throws {
        let json = try Self.object(ECSAlertEncoder.line(for: Self.full))
        #expect(json["@timestamp"] as? String == "2024-06-18T12:00:00.123456789Z")
        let event = try #require(json["event"] as? [String: Any])
        #expect(event["kind"] as? String == "alert")
        #expect(event["category"] as? [String] == ["network"])
        #expect(event["type"] as? [String] == ["start"])
        #expect(event["action"] as? String == "connection_attempted")
        let rule = try #require(json["rule"] as? [String: Any])
        #expect(rule["name"] as? String == "Unusual Linux Network Activity")
        #expect(rule["id"] as? String == "52afbdc5-db15-485e-bc24-f5707f820c4b")
        #expect(rule["risk_score"] as? Int == 21)
        #expect(rule["severity"] as? String == "low")
        let process = try #require(json["process"] as? [String: Any])
        #expect(process["pid"] as? Int == 4242)
        #expect(process["name"] as? String == "curl")
        #expect(process["executable"] as? String == "/usr/bin/curl")
        #expect(process["args"] as? [String] == ["curl", "-d", "a\"b\n"])
        #expect(process["working_directory"] as? String == "/tmp")
        #expect((process["parent"] as? [String: Any])?["pid"] as? Int == 1)
        let user = try #require(json["user"] as? [String: Any])
        #expect(user["id"] as? String == "1000")
        #expect(user["name"] as? String == "alice")
        let source = try #require(json["source"] as? [String: Any])
        #expect(source["ip"] as? String == "10.0.0.2")
        #expect(source["port"] as? Int == 51234)
        let destination = try #require(json["destination"] as? [String: Any])
        #expect(destination["ip"] as? String == "192.0.2.7")
        #expect(destination["port"] as? Int == 443)
        let network = try #require(json["network"] as? [String: Any])
        #expect(network["transport"] as? String == "tcp")
        #expect(network["type"] as? String == "ipv4")
        #expect((json["host"] as? [String: Any])?["name"] as? String == "web-1")
        let rarenet = try #require(json["rarenet"] as? [String: Any])
        #expect(rarenet["detector"] as? String == "rare_process")
        #expect(rarenet["score"] as? Double == 60)
        // Foundation's parser may miss the last bit; the exact spelling is checked below.
        #expect(abs(try #require(rarenet["probability"] as? Double) - 0.0109261186264308) < 1e-15)
        #expect(rarenet["seen_buckets"] as? Double == 9.99)
        #expect(rarenet["baseline_buckets"] as? Double == 960)
        #expect(rarenet["first_seen"] as? String == "2024-06-10T06:13:20.000000000Z")
        #expect(rarenet["scale"] as? String == "15m")
        #expect(Set(json.keys) == [
            "@timestamp", "event", "rule", "process", "user", "source", "destination", "network", "host", "rarenet",
        ])
    }

    @Test func writesFixedKeyOrderAndNumberSpelling() {
        let line = ECSAlertEncoder.line(for: Self.full)
        #expect(line == #"""
            {"@timestamp":"2024-06-18T12:00:00.123456789Z","event":{"kind":"alert","category":["network"],\#
            "type":["start"],"action":"connection_attempted"},"rule":{"name":"Unusual Linux Network Activity",\#
            "id":"52afbdc5-db15-485e-bc24-f5707f820c4b","risk_score":21,"severity":"low"},"process":{"pid":4242,\#
            "name":"curl","executable":"/usr/bin/curl","args":["curl","-d","a\"b\n"],"working_directory":"/tmp",\#
            "parent":{"pid":1}},"user":{"id":"1000","name":"alice"},"source":{"ip":"10.0.0.2","port":51234},\#
            "destination":{"ip":"192.0.2.7","port":443},"network":{"transport":"tcp","type":"ipv4"},\#
            "host":{"name":"web-1"},"rarenet":{"detector":"rare_process","score":60,\#
            "probability":0.0109261186264308,"seen_buckets":9.99,"baseline_buckets":960,\#
            "first_seen":"2024-06-10T06:13:20.000000000Z","scale":"15m"}}

            """#)
        #expect(ECSAlertEncoder.line(for: Self.full) == line)
    }

    @Test func omitsWhatIsNotKnown() throws {
        var rarity = Self.rarity
        rarity.firstSeen = nil
        let alert = AlertRecord(
            timestamp: EventTimestamp(nanosecondsSinceEpoch: 0), action: .bind,
            process: AlertProcess(name: "nc"), source: AlertEndpoint(port: 4444), rarity: rarity
        )
        let json = try Self.object(ECSAlertEncoder.line(for: alert))
        #expect(Set(json.keys) == ["@timestamp", "event", "rule", "process", "source", "rarenet"])
        #expect((json["event"] as? [String: Any])?["action"] as? String == "bind")
        #expect(json["process"] as? [String: String] == ["name": "nc"])
        #expect(json["source"] as? [String: Int] == ["port": 4444])
        let rarenet = try #require(json["rarenet"] as? [String: Any])
        #expect(rarenet["first_seen"] == nil)
        #expect(!ECSAlertEncoder.line(for: alert).contains("null"))
    }

    @Test func buildsTheAlertFromAnEventWithoutInventing() throws {
        let event = try EventLineParser.parse(
            #"{"ts":0,"action":"connect","pid":7,"uid":0,"comm":"sh","daddr":"2001:db8::1","dport":80}"#
        ).get()
        let alert = AlertRecord(event: event, rarity: Self.rarity)
        #expect(alert.process == AlertProcess(pid: 7, name: "sh"))
        #expect(alert.user == AlertUser(id: 0))
        #expect(alert.source == nil)
        #expect(alert.destination == AlertEndpoint(ip: IPAddress("2001:db8::1"), port: 80))
        #expect(alert.networkType == .ipv6)
        #expect(alert.transport == nil && alert.hostName == nil)
        let json = try Self.object(ECSAlertEncoder.line(for: alert))
        #expect(json["network"] as? [String: String] == ["type": "ipv6"])
        #expect(json["user"] as? [String: String] == ["id": "0"])
    }

    @Test func writesTheSaturationNotice() throws {
        let notice = SensorNotice(
            timestamp: EventTimestamp(nanosecondsSinceEpoch: 0), kind: .baselineSaturated(fillRatio: 0.625),
            detector: "rare_process", hostName: "web-1"
        )
        let json = try Self.object(ECSAlertEncoder.line(for: notice))
        let event = try #require(json["event"] as? [String: Any])
        #expect(event["kind"] as? String == "alert")
        #expect(event["category"] as? [String] == ["intrusion_detection"])
        #expect(event["type"] as? [String] == ["info"])
        #expect(event["action"] as? String == "baseline_saturated")
        let rule = try #require(json["rule"] as? [String: Any])
        #expect(rule["name"] as? String == "rarenet: baseline saturated")
        #expect(rule["id"] as? String == "rarenet-baseline-saturated")
        #expect(rule["severity"] as? String == "medium")
        #expect(rule["risk_score"] as? Int == 47)
        #expect((json["message"] as? String)?.contains("rare_process is 63% full") == true)
        let rarenet = try #require(json["rarenet"] as? [String: Any])
        #expect(rarenet["notice"] as? String == "baseline_saturated")
        #expect(rarenet["detector"] as? String == "rare_process")
        #expect(rarenet["fill_ratio"] as? Double == 0.625)
        #expect((json["host"] as? [String: Any])?["name"] as? String == "web-1")
    }

    @Test func writesTheAlertCapNotice() throws {
        let notice = SensorNotice(timestamp: EventTimestamp(nanosecondsSinceEpoch: 0), kind: .alertCapSuppressing(cap: 100, windowSeconds: 900))
        let json = try Self.object(ECSAlertEncoder.line(for: notice))
        #expect(Set(json.keys) == ["@timestamp", "event", "rule", "message", "rarenet"])
        #expect((json["event"] as? [String: Any])?["action"] as? String == "alert_cap_suppressing")
        #expect((json["rule"] as? [String: Any])?["name"] as? String == "rarenet: alert cap suppressing")
        #expect(json["message"] as? String
            == "the cap of 100 alerts per 900 s is reached: further alerts in this window are suppressed and only counted")
        let rarenet = try #require(json["rarenet"] as? [String: Any])
        #expect(rarenet["notice"] as? String == "alert_cap_suppressing")
        #expect(rarenet["cap"] as? Int == 100)
        #expect(rarenet["window_seconds"] as? Int == 900)
        #expect(rarenet["detector"] == nil)
    }

    @Test(arguments: [
        (100.0, "100"), (0.0, "0"), (59.996, "60"), (12.345678, "12.35"), (0.004, "0"), (-0.0, "0"), (Double.nan, "null"),
    ])
    func spellsScoresWithTwoDecimals(_ score: Double, _ spelled: String) {
        var rarity = Self.rarity
        rarity.score = score
        var alert = Self.full
        alert.rarity = rarity
        #expect(ECSAlertEncoder.line(for: alert).contains(#""score":\#(spelled),"#))
    }
}
