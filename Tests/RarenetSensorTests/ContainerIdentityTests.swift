import Foundation
import RarenetTestSupport
import Testing

extension SensorTests {
    /// A process in a cgroup named like a container runtime's and a mount
    /// namespace with a root of its own (what a runtime makes) is reported as
    /// that container's, under the path it has inside.
    @Suite("Container identity")
    struct ContainerIdentity {
        @Test(
            "a process in a runtime-named cgroup and its own root is keyed by its container and inside path",
            .enabled(if: SensorTests.privilegedTestsShouldRun, Privileges.skipMessage),
            .timeLimit(.minutes(2)))
        func containerProcess() throws {
            try SensorTests.requireRootAndExecutable()
            let traffic = try SteadyTraffic()
            let directory = try TemporaryDirectory()
            let sensor = try SensorProcess(in: directory, SensorTests.EndToEnd.fastBaseline)
            try sensor.waitUntilRunning()
            try sensor.waitUntilBaselineExceeds(buckets: SensorTests.EndToEnd.learningBuckets)

            let id = (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: 1...UInt64.max)) }.joined()
            let cgroup = try RuntimeLikeCgroup(name: "docker-\(id).scope")
            let root = try ContainerRoot(in: directory, server: resolvedPath("/usr/bin/python3"))
            var hold: [Int32] = [0, 0]
            try #require(pipe(&hold) == 0)
            // The write end must not reach the child, or its read would never see the end.
            try #require(fcntl(hold[1], F_SETFD, FD_CLOEXEC) == 0)
            defer { close(hold[1]) }
            // The child connects, then waits on fd 3 until the test has seen its alert.
            // (Whether the connect is accepted does not matter: the attempt is the event.)
            let code = #"import os, socket; socket.socket().connect_ex(("\#(traffic.serverAddress)", \#(traffic.server.port))); os.read(3, 1)"#
            let inner = try directory.write(root.pivotScript(thenRun: "/app/bin/server -c '\(code)'"), to: "inner.sh")
            let script = """
                set -e
                echo $$ > '\(cgroup.path)/cgroup.procs'
                exec unshare --mount --propagation private /bin/sh '\(inner)'
                """
            let child = try TestChildProcess.spawn("/bin/sh", ["sh", "-c", script], passing: hold[0])
            close(hold[0])

            let found = try sensor.waitForAlert(within: .seconds(5)) { $0.pid == child.pid && $0.string("rarenet.detector") == "rare_process" }
            close(hold[1])
            hold[1] = -1
            #expect(try child.wait() == 0, "the container-like process failed")
            let seen = try sensor.alerts().map(\.line)
            let alert = try #require(found, "no alert for pid \(child.pid): \(seen)\n\(sensor.log())")
            #expect(alert.string("container.id") == id)
            #expect(alert.string("container.runtime") == "docker")
            #expect(alert.string("process.executable") == "/app/bin/server", "the path inside the container's root")
            #expect(alert.string("rarenet.process_key") == "container=docker:other:/app/bin/server")
            #expect(try sensor.stop() == .exited(0))
        }
    }
}

/// A cgroup under the test's own, named like a container runtime's: in the
/// unified hierarchy where there is one, else in the v1 `pids` hierarchy.
/// Removed when the value goes away (its processes must have exited).
private final class RuntimeLikeCgroup {
    let path: String

    init(name: String) throws {
        let own = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8).split(separator: "\n")
        let base: String
        let relative: Substring
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers"),
           let unified = own.first(where: { $0.hasPrefix("0::") }) {
            (base, relative) = ("/sys/fs/cgroup", unified.dropFirst(3))
        } else if let pids = own.first(where: { $0.split(separator: ":")[1] == "pids" }) {
            (base, relative) = ("/sys/fs/cgroup/pids", pids.split(separator: ":", maxSplits: 2)[2])
        } else {
            throw TestSystemError(operation: "find a cgroup hierarchy to create \(name) in", errno: ENOENT)
        }
        path = base + (relative == "/" ? "" : String(relative)) + "/" + name
        guard mkdir(path, 0o755) == 0 else { throw TestSystemError(operation: "mkdir \(path)", errno: errno) }
    }

    deinit { rmdir(path) }
}

/// A root directory for a container-like process: the host's system
/// directories bind-mounted in, and a server binary at `/app/bin/server`
/// that exists only inside.
private struct ContainerRoot {
    let path: String

    init(in directory: TemporaryDirectory, server: String) throws {
        path = try directory.makeDirectory("rootfs", mode: 0o755)
        try FileManager.default.createDirectory(atPath: path + "/app/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: server, toPath: path + "/app/bin/server")
        chmod(path + "/app/bin/server", 0o755)
    }

    /// A shell script that makes this directory the root of the current mount
    /// namespace (pivot_root, as runtimes do) and execs `command` there.
    func pivotScript(thenRun command: String) -> String {
        """
        set -e
        R='\(path)'
        mount --bind "$R" "$R"
        for d in usr lib lib32 lib64 bin sbin etc; do
            if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$R/$d"
            elif [ -d "/$d" ]; then mkdir -p "$R/$d"; mount --rbind "/$d" "$R/$d"; fi
        done
        mkdir -p "$R/.old" "$R/proc"
        mount --rbind /proc "$R/proc"
        cd "$R"
        pivot_root . .old
        umount -l /.old
        exec \(command)

        """
    }
}
