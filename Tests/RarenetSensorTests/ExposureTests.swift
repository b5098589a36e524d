import Foundation
import RarenetTestSupport
import Testing

extension SensorTests {
    /// What the running sensor exposes to the rest of the host.
    @Suite("Exposure")
    struct Exposure {
        /// CAP_SYS_PTRACE (19), the one capability kept after attaching: it
        /// reads /proc/<pid>/{exe,cwd} of other users' processes.
        static let keptCapabilities: UInt64 = 1 << 19

        @Test(
            "by default metrics listen on 127.0.0.1:9464 only; alert and state files are 0600",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(1)))
        func defaultsAreLocalAndPrivate() throws {
            try SensorTests.requireRootAndExecutable()
            // In a network namespace of its own, so the default port is free
            // whatever else runs on the machine (the probes see every namespace).
            let namespace = try TestNetworkNamespace()
            let directory = try TemporaryDirectory()
            let sensor = try SensorProcess(
                in: directory, metrics: .unspecified,
                launcher: ["/usr/bin/nsenter", "--net=/run/netns/\(namespace.name)", "--"])
            try sensor.waitUntilRunning()
            #expect(try ProcessInspection(pid: sensor.pid).listeningTCPEndpoints() == [.ipv4Loopback.withPort(9464)])
            let health = try namespace.run { try LoopbackHTTP.request(port: 9464, path: "/healthz") }
            #expect(health.status == 200)
            #expect(fileMode(sensor.alertFile) == 0o600)

            #expect(try sensor.stop() == .exited(0))
            let files = try FileManager.default.contentsOfDirectory(atPath: sensor.stateDirectory)
            #expect(files.contains("baseline.snapshot"))
            for file in files {
                #expect(fileMode(sensor.stateDirectory + "/" + file) == 0o600, "\(file) in the state directory")
            }
        }

        @Test(
            "once attached, every thread holds only CAP_SYS_PTRACE, in a bounding set of just that, with no_new_privs",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(1)))
        func capabilitiesAreDropped() throws {
            try SensorTests.requireRootAndExecutable()
            let directory = try TemporaryDirectory()
            let sensor = try SensorProcess(in: directory)
            try sensor.waitUntilRunning()
            let process = ProcessInspection(pid: sensor.pid)
            let threads = try process.threads()
            #expect(threads.count > 1)
            for thread in threads {
                let status = try process.status(thread: thread)
                let name = status.fields["Name"] ?? "?"
                #expect(status.capabilities("CapEff") == Self.keptCapabilities, "thread \(thread) \(name)")
                #expect(status.capabilities("CapPrm") == Self.keptCapabilities, "thread \(thread) \(name)")
                #expect(status.capabilities("CapBnd") == Self.keptCapabilities, "thread \(thread) \(name)")
                #expect(status.capabilities("CapInh") == 0, "thread \(thread) \(name)")
                #expect(status.capabilities("CapAmb") == 0, "thread \(thread) \(name)")
                #expect(status.noNewPrivileges == true, "thread \(thread) \(name)")
            }
            #expect(try sensor.stop() == .exited(0))
        }

        /// The capabilities of `CapabilityBoundingSet=` in deploy/rarenet.service, by name.
        static func unitBoundingSet() throws -> [String] {
            let unit = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("deploy/rarenet.service")
            let line = try #require(
                try String(contentsOf: unit, encoding: .utf8).split(separator: "\n")
                    .first { $0.hasPrefix("CapabilityBoundingSet=") })
            return line.dropFirst("CapabilityBoundingSet=".count).split(separator: " ").map(String.init)
        }

        /// The mask of capabilities named like `CAP_SYS_PTRACE` (linux/capability.h numbers).
        static func mask(of names: [String]) throws -> UInt64 {
            let numbers = ["CAP_SETPCAP": 8, "CAP_SYS_PTRACE": 19, "CAP_SYS_ADMIN": 21, "CAP_SYS_RESOURCE": 24,
                           "CAP_PERFMON": 38, "CAP_BPF": 39]
            return try names.reduce(0) { mask, name in
                mask | 1 << UInt64(try #require(numbers[name], "capability \(name) has no number here"))
            }
        }

        @Test(
            "under the unit's own CapabilityBoundingSet (no CAP_SETPCAP) the sensor starts and runs: CAP_SYS_PTRACE alone, no_new_privs, the bounding set as the unit left it",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(1)))
        func runsUnderTheUnitsBoundingSet() throws {
            try SensorTests.requireRootAndExecutable()
            let capabilities = try Self.unitBoundingSet()
            #expect(!capabilities.contains("CAP_SETPCAP"))
            // setpriv's own syntax: -all,+bpf,+perfmon,... (it execs the sensor, keeping the pid).
            let boundingSet = (["-all"] + capabilities.map { "+" + $0.dropFirst("CAP_".count).lowercased() })
                .joined(separator: ",")
            // What setpriv leaves: the unit's set, less what this test lacks itself
            // (a container may withhold CAP_SYS_RESOURCE, say).
            let expectedBoundingSet = try Self.mask(of: capabilities)
                & (try #require(ProcessInspection(pid: getpid()).status().capabilities("CapBnd")))
            let directory = try TemporaryDirectory()
            let sensor = try SensorProcess(in: directory, launcher: ["/usr/bin/setpriv", "--bounding-set=\(boundingSet)", "--"])
            try sensor.waitUntilRunning()
            #expect(sensor.log().contains("bounding_set=left as started (no CAP_SETPCAP)"), "\(sensor.log())")
            let process = ProcessInspection(pid: sensor.pid)
            for thread in try process.threads() {
                let status = try process.status(thread: thread)
                let name = status.fields["Name"] ?? "?"
                #expect(status.capabilities("CapEff") == Self.keptCapabilities, "thread \(thread) \(name)")
                #expect(status.capabilities("CapPrm") == Self.keptCapabilities, "thread \(thread) \(name)")
                #expect(status.capabilities("CapBnd") == expectedBoundingSet, "thread \(thread) \(name)")
                #expect(status.capabilities("CapAmb") == 0, "thread \(thread) \(name)")
                #expect(status.noNewPrivileges == true, "thread \(thread) \(name)")
            }
            // It keeps running (it used to exit 1 right after attaching): the
            // test's own bind is counted, and SIGTERM ends it cleanly.
            let socket = try TestSocket.bound(type: SOCK_DGRAM, to: .ipv4Loopback)
            let counted = try Polling.value(within: .seconds(15), every: .milliseconds(100)) {
                try sensor.metrics().samples.first {
                    $0.name == "rarenet_events_total" && $0.labels["action"] == "bind" && $0.value > 0
                }
            }
            withExtendedLifetime(socket) {}
            #expect(counted != nil, "no bind counted; the sensor's log:\n\(sensor.log())")
            #expect(sensor.isRunning)
            #expect(try sensor.stop() == .exited(0))
        }
    }
}
