import Foundation
import RarenetTestSupport
import Testing

extension SensorTests {
    /// A process that hides what it runs (issue 6, "Evasion") is still keyed
    /// and reported by its real executable: renamed with `prctl(PR_SET_NAME)`,
    /// run from a file unlinked before the exec, run from a memfd. Each is a
    /// new executable connecting to the test namespace's address after the
    /// baseline has learned the steady clients, so each must give an alert.
    @Suite("Evasion")
    struct Evasion {
        @Test(
            "a process that renames itself to nginx is reported by its real executable, under its name at exec",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(2)))
        func renamedProcess() throws {
            try SensorTests.requireRootAndExecutable()
            let learned = try LearnedSensor()
            let (sensor, traffic, directory) = (learned.sensor, learned.traffic, learned.directory)
            let disguised = try directory.copyExecutable(resolvedPath("/usr/bin/python3"), as: "rarenet-disguised")
            // prctl(PR_SET_NAME = 15, "nginx"), then connect from the same thread.
            let script = """
                import ctypes, socket
                if ctypes.CDLL(None).prctl(15, b'nginx', 0, 0, 0) != 0: raise OSError('prctl failed')
                socket.create_connection(('\(traffic.serverAddress)', \(traffic.server.port))).close()
                """
            let child = try TestChildProcess.spawn(disguised, [disguised, "-c", script])
            #expect(try child.wait() == 0, "the disguised process failed")

            let alert = try Self.alert(for: child.pid, from: sensor)
            #expect(alert.string("process.name") == "rarenet-disguis", "a thread's rename is not the process's name")
            #expect(alert.string("process.executable") == resolvedPath(disguised))
            #expect(alert.string("rarenet.detector") == "rare_process")
            // Through `learned`, which keeps the namespace and the directory to the end.
            #expect(try learned.sensor.stop() == .exited(0))
        }

        @Test(
            "a process run from a file unlinked before its exec is reported as (deleted)",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(2)))
        func executableUnlinkedBeforeExec() throws {
            try SensorTests.requireRootAndExecutable()
            let learned = try LearnedSensor()
            let (sensor, traffic, directory) = (learned.sensor, learned.traffic, learned.directory)
            let copy = try directory.copyExecutable("/usr/bin/bash", as: "rarenet-unlinked")
            let path = resolvedPath(copy)
            let file = open(copy, O_RDONLY | O_CLOEXEC)
            try #require(file >= 0, "open \(copy): \(String(cString: strerror(errno)))")
            defer { close(file) }
            #expect(unlink(copy) == 0)
            // fexecve: the file exists only through the descriptor passed as fd 3.
            let child = try TestChildProcess.spawn(
                "/proc/self/fd/3", ["rarenet-unlinked", "-c", ": 5<>/dev/tcp/\(traffic.serverAddress)/\(traffic.server.port)"],
                passing: file)
            #expect(try child.wait() == 0, "the unlinked executable failed")

            let alert = try Self.alert(for: child.pid, from: sensor)
            #expect(alert.string("process.executable") == path + " (deleted)")
            #expect(alert.string("rarenet.detector") == "rare_process")
            // Through `learned`, which keeps the namespace and the directory to the end.
            #expect(try learned.sensor.stop() == .exited(0))
        }

        @Test(
            "a process run from a memfd is reported as /memfd:<name> (deleted)",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(2)))
        func executableInAMemfd() throws {
            try SensorTests.requireRootAndExecutable()
            let learned = try LearnedSensor()
            let (sensor, traffic) = (learned.sensor, learned.traffic)
            // memfd_create without MFD_CLOEXEC, so that the exec through /proc/self/fd/N can open it.
            let script = """
                import os
                fd = os.memfd_create('rarenet-fileless', 0)
                os.write(fd, open('/usr/bin/bash', 'rb').read())
                os.execv('/proc/self/fd/%d' % fd, ['fileless', '-c', ': 5<>/dev/tcp/\(traffic.serverAddress)/\(traffic.server.port)'])
                """
            let child = try TestChildProcess.spawn("/usr/bin/python3", ["python3", "-c", script])
            #expect(try child.wait() == 0, "the fileless process failed")

            let alert = try Self.alert(for: child.pid, from: sensor)
            #expect(alert.string("process.executable") == "/memfd:rarenet-fileless (deleted)")
            #expect(alert.string("rarenet.detector") == "rare_process")
            // Through `learned`, which keeps the namespace and the directory to the end.
            #expect(try learned.sensor.stop() == .exited(0))
        }

        @Test(
            "a fork that renames itself to sshd, connects and exits at once is keyed by the file it runs",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(2)))
        func renamedForkThatExitsAtOnce() throws {
            try SensorTests.requireRootAndExecutable()
            let learned = try LearnedSensor()
            let (sensor, traffic, directory) = (learned.sensor, learned.traffic, learned.directory)
            let forker = try directory.copyExecutable(resolvedPath("/usr/bin/python3"), as: "rarenet-forker")
            // The child never execs: it renames itself, connects and is gone
            // before anyone can read its /proc entry.
            let script = """
                import ctypes, os, socket
                pid = os.fork()
                if pid == 0:
                    ctypes.CDLL(None).prctl(15, b'/usr/sbin/sshd', 0, 0, 0)
                    socket.create_connection(('\(traffic.serverAddress)', \(traffic.server.port))).close()
                    os._exit(0)
                os.waitpid(pid, 0)
                """
            let parent = try TestChildProcess.spawn(forker, [forker, "-c", script])
            #expect(try parent.wait() == 0, "the forking process failed")

            let found = try sensor.waitForAlert(within: .seconds(5)) {
                $0.number("process.parent.pid") == Double(parent.pid) && $0.string("rarenet.detector") == "rare_process"
            }
            let seen = try sensor.alerts().map(\.line)
            let alert = try #require(found, "no alert for the fork of \(parent.pid): \(seen)\n\(sensor.log())")
            #expect(alert.string("process.executable") == resolvedPath(forker))
            #expect(alert.string("process.name")?.contains("sshd") == false)
            #expect(alert.string("rarenet.process_key")?.hasPrefix("host:temporary:") == true, "\(alert.line)")
            #expect(try learned.sensor.stop() == .exited(0))
        }

        @Test(
            "a binary bind-mounted over an established host path in a mount namespace does not take its key",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(2)))
        func bindMountedOverAnEstablishedPath() throws {
            try SensorTests.requireRootAndExecutable()
            let learned = try LearnedSensor()
            let (sensor, traffic, directory) = (learned.sensor, learned.traffic, learned.directory)
            // The steady clients are `/usr/bin/bash -c …`: python3, mounted
            // over that path in a namespace of its own, runs `bash -c <code>`
            // as the same command line.
            let impostor = try directory.copyExecutable(resolvedPath("/usr/bin/python3"), as: "rarenet-impostor")
            let code = "import socket; socket.create_connection(('\(traffic.serverAddress)', \(traffic.server.port))).close()"
            let child = try TestChildProcess.spawn("/usr/bin/unshare", [
                "unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                "mount --bind '\(impostor)' /usr/bin/bash && exec /usr/bin/bash -c \"\(code)\"",
            ])
            #expect(try child.wait() == 0, "the namespaced impostor failed")

            let alert = try Self.alert(for: child.pid, from: sensor)
            #expect(alert.string("process.executable") == "/usr/bin/bash", "the path it shows")
            #expect(alert.string("rarenet.process_key") == "namespace:system:/usr/bin/bash inline")
            #expect(try learned.sensor.stop() == .exited(0))
        }

        /// The rare-process alert for `pid`, which must come within 5 s.
        static func alert(for pid: pid_t, from sensor: SensorProcess) throws -> SensorAlert {
            let alert = try sensor.waitForAlert(within: .seconds(5)) { $0.pid == pid && $0.string("rarenet.detector") == "rare_process" }
            let alerts = try sensor.alerts().map(\.line).joined(separator: "\n")
            return try #require(alert, "no alert for pid \(pid); the alerts:\n\(alerts)\nthe sensor's log:\n\(sensor.log())")
        }
    }
}

/// A running sensor past its learning period, the steady traffic it learned,
/// and the directory that holds its state, alert file and log.
private struct LearnedSensor {
    let traffic: SteadyTraffic
    let directory: TemporaryDirectory
    let sensor: SensorProcess

    init() throws {
        traffic = try SteadyTraffic()
        directory = try TemporaryDirectory()
        sensor = try SensorProcess(in: directory, SensorTests.EndToEnd.fastBaseline)
        try sensor.waitUntilRunning()
        try sensor.waitUntilBaselineExceeds(buckets: SensorTests.EndToEnd.learningBuckets)
    }
}
