/// The executable a process runs, as the kernel names it, with what an
/// analyst must know about it: whether the file was unlinked after the
/// process started it, or never was a file on disk at all (a memfd).
///
/// The kernel names an unlinked file `/path (deleted)` and an anonymous
/// memory file `/memfd:name (deleted)` (`readlink /proc/<pid>/exe`).
/// ``path`` is the name without the suffix; ``displayName`` is the kernel's
/// form, the one an alert shows so that it says "(deleted)" or "memfd:".
public struct ExecutablePath: Hashable, Sendable, CustomStringConvertible {
    /// What backs the executable.
    public enum Origin: String, Hashable, Sendable {
        /// A file that is still linked in the file system.
        case file
        /// A file that was unlinked after it was executed.
        case deleted
        /// An anonymous memory file (`memfd_create`): never on disk.
        case memfd
    }

    /// The suffix the kernel appends to the name of an unlinked file.
    static let deletedSuffix = " (deleted)"
    /// The prefix of the name the kernel gives a memfd.
    static let memfdPrefix = "/memfd:"

    /// The path without the kernel's " (deleted)" suffix; for a memfd, `/memfd:<name>`.
    public let path: String
    /// What backs the executable.
    public let origin: Origin

    /// An executable from a path and whether its file is unlinked, as the
    /// kernel's exec record reports it (a memfd is always unlinked).
    /// A memfd's path may come with or without its leading slash.
    public init(path: String, isDeleted: Bool) {
        if isDeleted && path.hasPrefix("memfd:") {
            self.path = "/" + path
        } else {
            self.path = path
        }
        if self.path.hasPrefix(Self.memfdPrefix) && isDeleted {
            origin = .memfd
        } else {
            origin = isDeleted ? .deleted : .file
        }
    }

    /// An executable from the target of `/proc/<pid>/exe`, in the kernel's
    /// display form.
    public init(kernelName: String) {
        if kernelName.hasSuffix(Self.deletedSuffix) {
            self.init(path: String(kernelName.dropLast(Self.deletedSuffix.count)), isDeleted: true)
        } else {
            self.init(path: kernelName, isDeleted: false)
        }
    }

    /// True when the file was unlinked or never was a file (a memfd).
    public var isDeleted: Bool { origin != .file }

    /// The name as the kernel shows it: `path`, with " (deleted)" when unlinked.
    public var displayName: String {
        isDeleted ? path + Self.deletedSuffix : path
    }

    public var description: String { displayName }
}
