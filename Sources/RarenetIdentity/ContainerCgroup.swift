/// Recognises a container from the cgroup path of one of its processes.
///
/// The runtimes name the cgroup of a container after its id, whichever
/// cgroup driver they use:
///
/// | runtime | systemd driver | cgroupfs driver |
/// |---|---|---|
/// | Docker | `…/docker-<id>.scope` | `/docker/<id>` |
/// | containerd (Kubernetes CRI, nerdctl) | `…/cri-containerd-<id>.scope`, `…/nerdctl-<id>.scope` | `/kubepods/…/pod<uid>/<id>` |
/// | CRI-O | `…/crio-<id>.scope` | `/kubepods/…/pod<uid>/crio-<id>` |
/// | Podman | `…/libpod-<id>.scope` | `/libpod_parent/libpod-<id>` |
///
/// The runtime's monitor processes (`crio-conmon-<id>`, `libpod-conmon-<id>`)
/// run on the host, not in the container, and are not matched. A process of a
/// container that made cgroups of its own (systemd inside a container) is
/// matched by the container's component higher up the path. A path that
/// matches nothing is a host process: never an error.
///
/// A user's systemd instance (`user@<uid>.service`) delegates its subtree to
/// that user, who may create cgroups there named like anything. Only rootless
/// Podman runs containers there, so a Docker, containerd or CRI-O name under
/// such a subtree is not believed: a local user cannot claim a real
/// container's id, and with it that container's image and key.
public enum ContainerCgroup {
    /// The container a cgroup (v2) path belongs to, if any; without an image.
    public static func container(inCgroupPath path: some StringProtocol) -> ContainerIdentity? {
        let components = path.split(separator: "/").map { Substring($0) }
        for (index, component) in components.enumerated().reversed() {
            if let match = match(component, parent: index > 0 ? components[index - 1] : nil, path: components) {
                let delegatedToAUser = components[..<index].contains(where: isUserManager)
                return delegatedToAUser && match.runtime != .podman ? nil : match
            }
        }
        return nil
    }

    /// The container in `/proc/<pid>/cgroup`'s text: the cgroup v2 line
    /// (`0::/path`) when there is one, else the v1 hierarchies' paths in order.
    public static func container(inProcCgroup text: some StringProtocol) -> ContainerIdentity? {
        var fallback: ContainerIdentity?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let found = container(inCgroupPath: fields[2])
            if fields[0] == "0", fields[1].isEmpty { return found ?? fallback }
            fallback = fallback ?? found
        }
        return fallback
    }

    /// Prefixes of a component `<prefix><id>[.scope]`, and the runtime each names.
    private static let prefixes: [(prefix: String, runtime: ContainerRuntime)] = [
        ("docker-", .docker), ("cri-containerd-", .containerd), ("nerdctl-", .containerd),
        ("crio-", .crio), ("libpod-", .podman),
    ]

    private static func match(_ component: Substring, parent: Substring?, path: [Substring]) -> ContainerIdentity? {
        var name = component
        if name.hasSuffix(".scope") { name = name.dropLast(".scope".count) }
        for (prefix, runtime) in prefixes where name.hasPrefix(prefix) {
            let id = name.dropFirst(prefix.count)
            return isContainerID(id) ? ContainerIdentity(id: String(id), runtime: runtime) : nil
        }
        guard isContainerID(name), let parent else { return nil }
        // cgroupfs drivers: a bare id under /docker, or under a Kubernetes pod (containerd's).
        if parent == "docker" { return ContainerIdentity(id: String(name), runtime: .docker) }
        if parent.hasPrefix("pod"), path.contains(where: { $0.hasPrefix("kubepods") }) {
            return ContainerIdentity(id: String(name), runtime: .containerd)
        }
        return nil
    }

    /// True for a user's systemd instance, `user@<uid>.service`.
    private static func isUserManager(_ component: Substring) -> Bool {
        guard component.hasPrefix("user@"), component.hasSuffix(".service") else { return false }
        let uid = component.dropFirst("user@".count).dropLast(".service".count)
        return !uid.isEmpty && uid.allSatisfy(\.isASCII) && uid.allSatisfy(\.isNumber)
    }

    /// True for 64 lowercase hexadecimal digits: a container id, and never a path.
    public static func isContainerID(_ text: Substring) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
