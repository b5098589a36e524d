/// What kind of place an executable runs from, judged from its path as the
/// kernel names it — before any rewrite rule — so that the kind is part of
/// the key and no rule can merge two kinds.
public enum ExecutableLocation: String, Sendable, Hashable, CaseIterable {
    /// Under a directory only root can write, where packages install
    /// (``IdentityConfiguration/systemPrefixes``). A deleted file here is the
    /// old image of an in-place package upgrade: it keys as the file.
    case system
    /// Under a world-writable temporary directory (/tmp, /var/tmp, /dev/shm, …).
    case temporary
    /// An anonymous memory file (`memfd_create`): never on disk.
    case memfd
    /// A file unlinked after it was executed, outside the system directories.
    case deleted
    /// Anywhere else (home directories, /srv, /var/lib, a build workspace).
    case other

    /// The location of `path` (without the kernel's " (deleted)" suffix).
    public static func of(path: String, isDeleted: Bool, configuration: IdentityConfiguration) -> ExecutableLocation {
        if path.hasPrefix("/memfd:") { return .memfd }
        let isSystem = configuration.systemPrefixes.contains { path.hasPrefix($0) }
        if isSystem { return .system }
        if isDeleted { return .deleted }
        if configuration.temporaryPrefixes.contains(where: { path.hasPrefix($0) }) { return .temporary }
        return .other
    }
}
