import RarenetIdentity
#if canImport(Glibc)
import Glibc
#endif

/// Decides where a process's executable lives: on the host, in a container,
/// or in a mount namespace of its own that must not pass for the host.
///
/// A process in the host's mount namespace, or in one that shows it the
/// host's files (a systemd service's private /tmp, a snap), runs a host
/// path. One that is in a container of a recognised runtime runs a path
/// inside the container. Any other mount namespace — an unprivileged user's
/// user + mount namespace with a binary bind-mounted over `/usr/sbin/sshd`,
/// say — is a host process only if the host's file at that path is the very
/// file the process executes (same device and inode); otherwise its path is
/// only what it shows, and its origin is ``ProcessOrigin/foreignNamespace``.
///
/// The host's view is pid 1's: its mount namespace and, through
/// `/proc/1/root`, its files, so that the sensor's own sandbox (the unit's
/// private /tmp) does not count as the host. Where pid 1 cannot be read, the
/// sensor's own namespace and root stand for it.
public struct ProcessOriginResolver: Sendable {
    /// The host's mount namespace (inode number), when known.
    public let hostMountNamespace: UInt32?
    /// The prefix under which host paths are looked up (`/proc/1/root`, or empty for `/`).
    public let hostRoot: String

    /// The resolver of this machine: pid 1's namespace and root when readable, else the sensor's own.
    public init() {
        if let namespace = Self.mountNamespace(ofLink: "/proc/1/ns/mnt"), access("/proc/1/root/", X_OK) == 0 {
            self.init(hostMountNamespace: namespace, hostRoot: "/proc/1/root")
        } else {
            self.init(hostMountNamespace: Self.mountNamespace(ofLink: "/proc/self/ns/mnt"), hostRoot: "")
        }
    }

    /// A resolver with an explicit host namespace and root prefix.
    public init(hostMountNamespace: UInt32?, hostRoot: String) {
        self.hostMountNamespace = hostMountNamespace
        self.hostRoot = hostRoot
    }

    /// The origin of a process with this executable, file, mount namespace and container.
    public func origin(
        executable: ExecutablePath?, file: FileIdentity?, mountNamespace: UInt32?, container: ContainerIdentity?
    ) -> ProcessOrigin {
        if let container { return .container(container) }
        guard let mountNamespace, let hostMountNamespace, mountNamespace != hostMountNamespace else { return .host }
        guard let executable, executable.origin == .file, let file, hostFile(at: executable.path) == file else {
            return .foreignNamespace
        }
        return .host
    }

    /// The host's file at `path`, when there is one.
    func hostFile(at path: String) -> FileIdentity? {
        var status = stat()
        guard stat(hostRoot + path, &status) == 0 else { return nil }
        return FileIdentity(statDevice: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    private static func mountNamespace(ofLink link: String) -> UInt32? {
        var buffer = [CChar](repeating: 0, count: 64)
        let length = readlink(link, &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let text = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard text.hasPrefix("mnt:["), text.hasSuffix("]") else { return nil }
        return UInt32(text.dropFirst("mnt:[".count).dropLast())
    }
}
