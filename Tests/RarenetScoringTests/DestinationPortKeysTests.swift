import Testing
import RarenetEvents
@testable import RarenetScoring

/// rare_port keys a service port by number and a dynamic port by class:
/// a CI runner's Testcontainers ports are one established key, a beacon to a
/// high port on the internet is still new.
@Suite("rare_port's dynamic port classes")
struct DestinationPortKeysTests {
    let configuration = ScoringConfiguration()

    private func portKey(_ port: UInt16, on destination: String, configuration: ScoringConfiguration? = nil) -> KeyHash? {
        let configuration = configuration ?? self.configuration
        return Detector.rarePort.key(
            for: ScoringEvent.connect(configuration, "java", at: TestTime.at(minutes: 1), to: destination, port: port),
            seed: configuration.sketch.seed, ports: configuration.destinationPorts)
    }

    @Test("dynamic ports on local networks share one key, whatever the family", arguments: [
        "10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.5", "100.64.0.9", "169.254.3.4",
        "fd12:3456::1", "fe80::1", "::ffff:172.18.0.3",
    ])
    func localDynamicPortsShareAKey(destination: String) {
        let key = portKey(32_777, on: "172.18.0.3")
        #expect(portKey(32_768, on: destination) == key)
        #expect(portKey(60_999, on: destination) == key)
        #expect(portKey(65_535, on: destination) == key)
    }

    @Test("dynamic ports on public addresses are a class of their own", arguments: [
        "203.0.113.7", "172.32.0.1", "172.15.255.255", "100.128.0.1", "192.169.0.1", "2001:db8::7", "::ffff:203.0.113.7",
    ])
    func publicDynamicPortsAreAnotherClass(destination: String) {
        #expect(portKey(45_700, on: destination) == portKey(50_001, on: "198.51.100.1"))
        #expect(portKey(45_700, on: destination) != portKey(45_700, on: "10.0.0.1"))
    }

    @Test func servicePortsAndNodePortsKeepKeysOfTheirOwn() {
        let seed = configuration.sketch.seed
        #expect(portKey(32_767, on: "10.0.0.1") == KeyHash(port: 32_767, seed: seed), "a Kubernetes NodePort")
        #expect(portKey(4444, on: "203.0.113.7") == KeyHash(port: 4444, seed: seed))
        let classes = [portKey(40_000, on: "10.0.0.1")!, portKey(40_000, on: "203.0.113.7")!]
        let ports = Set((UInt16.min...UInt16.max).map { KeyHash(port: $0, seed: seed) })
        #expect(classes.allSatisfy { !ports.contains($0) }, "a class never takes a port's key")
    }

    @Test func withoutARangeEveryPortIsItsOwnKey() {
        var configuration = ScoringConfiguration()
        configuration.destinationPorts = DestinationPortKeys(dynamicRange: nil)
        #expect(portKey(32_777, on: "172.18.0.3", configuration: configuration) != portKey(32_798, on: "172.18.0.3", configuration: configuration))
        #expect(portKey(32_777, on: "172.18.0.3", configuration: configuration) == KeyHash(port: 32_777, seed: configuration.sketch.seed))
    }

    @Test("a job's new mapped ports raise nothing once one has been seen; a public high port still alerts")
    func testcontainersPortsAreEstablished() throws {
        var scorer = try RarityScorer(configuration: configuration)
        for bucket in Int64(0)..<(2 * 96) {
            let time = TestTime.at(minutes: bucket * 15 + 1)
            _ = scorer.verdicts(ScoringEvent.connect(configuration, "java", at: time, to: "172.18.0.3", port: 32_768 + UInt16(bucket % 512)))
        }
        let nextJob = scorer.verdicts(ScoringEvent.connect(configuration, "java", at: TestTime.at(day: 2, minutes: 3), to: "172.18.0.4", port: 41_234))
        #expect(nextJob.filter { $0.detector == .rarePort }.allSatisfy { $0.alert == nil })
        let beacon = scorer.verdicts(ScoringEvent.connect(configuration, "java", at: TestTime.at(day: 2, minutes: 4), to: "203.0.113.9", port: 41_234))
        #expect(beacon.first { $0.detector == .rarePort }?.alert != nil)
    }

    @Test func aBaselineCountedWithOtherPortClassesIsRefused() throws {
        var scorer = try RarityScorer(configuration: configuration)
        _ = scorer.verdicts(ScoringEvent.connect(configuration, "java", at: TestTime.at(minutes: 1)))
        var other = ScoringConfiguration()
        other.destinationPorts = DestinationPortKeys(dynamicRange: 49_152...65_535)
        var restored = try RarityScorer(configuration: other)
        do {
            try restored.restore(scorer.baseline)
            Issue.record("a baseline with other port classes was accepted")
        } catch {
            guard case .parameterMismatch(let parameter, _, _) = error else { Issue.record("\(error)"); return }
            #expect(parameter.contains("dynamic ports"))
        }
    }
}
