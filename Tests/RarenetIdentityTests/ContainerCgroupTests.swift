import RarenetIdentity
import Testing

/// Containers recognised from the cgroup paths their runtimes make, and
/// everything else left on the host.
@Suite struct ContainerCgroupTests {
    static let id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

    @Test("every runtime and cgroup driver", arguments: [
        ("/system.slice/docker-\(id).scope", ContainerRuntime.docker),
        ("/docker/\(id)", .docker),
        ("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c.slice/cri-containerd-\(id).scope", .containerd),
        ("/kubepods/burstable/pod1b2c-33/\(id)", .containerd),
        ("/kubepods.slice/kubepods-pod9.slice/crio-\(id).scope", .crio),
        ("/machine.slice/libpod-\(id).scope", .podman),
        ("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(id).scope/container", .podman),
        ("/system.slice/docker-\(id).scope/init.scope", .docker),
    ])
    func recognised(path: String, runtime: ContainerRuntime) {
        #expect(ContainerCgroup.container(inCgroupPath: path) == ContainerIdentity(id: Self.id, runtime: runtime))
    }

    @Test("hosts, monitors and look-alikes are not containers", arguments: [
        "/", "/system.slice/sshd.service", "/user.slice/user-1000.slice/session-3.scope",
        "/machine.slice/libpod-conmon-\(id).scope", "/kubepods.slice/crio-conmon-\(id).scope",
        "/system.slice/docker-\(id.dropLast()).scope", "/system.slice/docker-\(id.uppercased()).scope",
        "/tmp/\(id)",
        // A user's own delegated subtree: only rootless Podman runs containers there.
        "/user.slice/user-1000.slice/user@1000.service/app.slice/docker-\(id).scope",
        "/user.slice/user-1000.slice/user@1000.service/cri-containerd-\(id).scope",
        "/user.slice/user-1000.slice/user@1000.service/x/crio-\(id).scope/init.scope",
    ])
    func notContainers(path: String) {
        #expect(ContainerCgroup.container(inCgroupPath: path) == nil)
    }

    @Test func procCgroupPrefersTheUnifiedLineAndFallsBackToV1() {
        let unified = "12:pids:/docker/\(Self.id)\n0::/system.slice/docker-\(Self.id).scope\n"
        #expect(ContainerCgroup.container(inProcCgroup: unified)?.runtime == .docker)
        let v1Only = "9:name=systemd:/\n8:pids:/docker/\(Self.id)\n0::/\n"
        #expect(ContainerCgroup.container(inProcCgroup: v1Only) == ContainerIdentity(id: Self.id, runtime: .docker))
        #expect(ContainerCgroup.container(inProcCgroup: "0::/init.scope\n") == nil)
        #expect(ContainerCgroup.container(inProcCgroup: "garbage without colons\n::\n") == nil)
    }
}
