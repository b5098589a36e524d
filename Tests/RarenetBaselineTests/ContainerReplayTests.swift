import Foundation
import RarenetBaseline
import RarenetEvents
import Testing

/// Replay keys container processes by image and inside path: the next pod of
/// a deployment is no novelty, a binary new to the image or a new image is,
/// and a container's path never stands for the host's.
@Suite struct ContainerReplayTests {
    static func containerID(_ number: Int) -> String {
        let hex = String(number, radix: 16)
        return String(repeating: "0", count: 64 - hex.count) + hex
    }

    /// A connect of `executable` in container `number` of `image` (or on the host when `number` is nil).
    static func event(_ executable: String, container number: Int?, image: String? = "registry.example/app:1.4.2", at time: Int64) -> NetworkEvent {
        NetworkEvent(
            timestamp: EventTimestamp(nanosecondsSinceEpoch: time), action: .connect, pid: 4242, uid: 0,
            comm: String(executable.split(separator: "/").last!), executable: executable, transport: .tcp,
            destinationAddress: IPAddress("192.0.2.1"), destinationPort: 443, host: "node-1",
            arguments: [executable], container: number.map { EventContainer(id: Self.containerID($0), image: image, runtime: "containerd") })
    }

    /// Alert lines for `probe` after a baseline in which a new pod of the
    /// app image runs `/usr/local/bin/server` every bucket for a day.
    static func alerts(for probe: NetworkEvent) throws -> [String] {
        var run = try ReplayRun()
        let learned = (0..<Int64(96)).map { bucket in
            event("/usr/local/bin/server", container: Int(bucket), image: "registry.example/app:1.4.\(bucket % 3)",
                  at: Streams.start + bucket * Streams.bucket)
        }
        try run.score(learned)
        #expect(run.lines.isEmpty, "learning")
        var probeAtEnd = probe
        probeAtEnd.timestamp = EventTimestamp(nanosecondsSinceEpoch: Streams.start + 96 * Streams.bucket + 1)
        try run.score([probeAtEnd])
        return run.lines.filter { $0.contains("\"rare_process\"") }
    }

    @Test func theNextPodOfTheSameImageIsNoNovelty() throws {
        #expect(try Self.alerts(for: Self.event("/usr/local/bin/server", container: 1000, image: "registry.example/app:1.5.0", at: 0)).isEmpty)
    }

    @Test func aBinaryNewToTheImageANewImageAndTheHostPathAreNovelties() throws {
        let newBinary = try Self.alerts(for: Self.event("/tmp/kubectl", container: 1000, at: 0))
        let newImage = try Self.alerts(for: Self.event("/usr/local/bin/server", container: 1000, image: "registry.example/billing:1.4.2", at: 0))
        let host = try Self.alerts(for: Self.event("/usr/local/bin/server", container: nil, at: 0))
        for (name, alerts) in [("new binary", newBinary), ("new image", newImage), ("host path", host)] {
            #expect(alerts.count == 1, "\(name): \(alerts)")
        }
        let alert = try #require(newBinary.first)
        #expect(alert.contains(#""container":{"id":"\#(Self.containerID(1000))","image":{"name":"registry.example/app:1.4.2"},"runtime":"containerd"}"#))
        #expect(alert.contains(#""process_key":"image=registry.example/app:temporary:/tmp/kubectl""#))
        #expect(try #require(host.first).contains(#""process_key":"host:system:/usr/local/bin/server""#))
    }

    @Test func containerFieldsRoundTripThroughEventLines() throws {
        var event = Self.event("/usr/local/bin/server", container: 7, at: Streams.start)
        event.arguments = ["server", "--port", "8080", "quote\"and\\slash"]
        let line = EventLineEncoder.line(for: event)
        let parsed = try EventLineParser.parse(String(line.dropLast())).get()
        #expect(parsed == event)
        var foreign = Self.event("/usr/bin/bash", container: nil, at: Streams.start)
        foreign.inForeignNamespace = true
        #expect(try EventLineParser.parse(String(EventLineEncoder.line(for: foreign).dropLast())).get() == foreign)
    }

    @Test("bad container fields name the field", arguments: [
        (#""container_image":"x""#, "container_image", "needs \"container_id\""),
        (#""container_id":"""#, "container_id", "must not be empty"),
        (#""container_id":"a","container_runtime":"lxc""#, "container_runtime", "is not a container runtime"),
        (#""args":["a",1]"#, "args", "element 1 is a number"),
        (#""args":"a""#, "args", "expected an array of strings"),
        (#""origin":"moon""#, "origin", "is not an origin"),
        (#""container_id":"a","origin":"namespace""#, "origin", "contradicts"),
    ])
    func badContainerFields(member: String, field: String, message: String) {
        let line = #"{"ts":1,"action":"connect","pid":1,"uid":0,"comm":"x",\#(member)}"#
        guard case .failure(let error) = EventLineParser.parse(line) else {
            Issue.record("accepted \(line)")
            return
        }
        #expect(error.field == field && "\(error)".contains(message), "\(error)")
    }
}
