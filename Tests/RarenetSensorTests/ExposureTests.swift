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
    }
}
