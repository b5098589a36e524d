/// Where a process's executable lives: on the host, in a container, or in a
/// mount namespace that is neither.
///
/// The origin is the first part of a process key, so that the same path in
/// two origins never names the same program: `/usr/sbin/sshd` on the host is
/// not `/usr/sbin/sshd` inside an image, nor the `/usr/sbin/sshd` a local user
/// bind-mounted over the real one in a namespace of their own.
public enum ProcessOrigin: Sendable, Hashable {
    /// The host's own file system: the path is a host path.
    case host
    /// A container of a recognised runtime; the path is inside its root.
    case container(ContainerIdentity)
    /// A mount namespace that is not a recognised container and where the
    /// path does not name the host's file of that path: the path says what
    /// the process sees, not what it runs.
    case foreignNamespace

    /// The origin as a key names it: `host`, `image=<repository>` (tag and
    /// digest left out, so that a rollout of the next tag is the same
    /// program), `container=<runtime>` (image not known), or `namespace`.
    public var keyComponent: String {
        switch self {
        case .host: "host"
        case .container(let container):
            if let image = container.image {
                "image=" + ContainerIdentity.repository(ofImage: image)
            } else {
                "container=" + (container.runtime?.rawValue ?? "unknown")
            }
        case .foreignNamespace: "namespace"
        }
    }
}

/// The container runtimes whose cgroups the sensor recognises (ECS `container.runtime`).
public enum ContainerRuntime: String, Sendable, Hashable, CaseIterable {
    case docker
    case containerd
    case crio = "cri-o"
    case podman
}

/// One container: its runtime, its id and, when the runtime's state on the
/// host tells it, the image it runs.
public struct ContainerIdentity: Sendable, Hashable {
    /// The runtime's container id: 64 lowercase hexadecimal digits.
    public var id: String
    /// The runtime, when known (a recorded event may not say).
    public var runtime: ContainerRuntime?
    /// The image reference (`registry.example/app:1.4.2`), when known.
    public var image: String?

    public init(id: String, runtime: ContainerRuntime?, image: String? = nil) {
        self.id = id
        self.runtime = runtime
        self.image = image
    }

    /// The repository of an image reference: the reference without its tag
    /// and digest (`docker.io/library/nginx:1.25@sha256:…` → `docker.io/library/nginx`).
    /// A registry's port (`registry:5000/app`) is kept.
    public static func repository(ofImage image: String) -> String {
        var reference = Substring(image)
        if let at = reference.firstIndex(of: "@") { reference = reference[..<at] }
        let lastSlash = reference.lastIndex(of: "/") ?? reference.startIndex
        if let colon = reference[lastSlash...].lastIndex(of: ":") { reference = reference[..<colon] }
        return String(reference)
    }
}
