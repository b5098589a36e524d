/// What is known of a process when its key is derived: the same fields live
/// (from the kernel and the process table) and in replay (from an event line).
public struct ProcessFacts: Sendable, Hashable {
    /// The executable's path inside the process's own root, without the
    /// kernel's " (deleted)" suffix; `/memfd:name` for a memfd. `nil` when unknown.
    public var executable: String?
    /// True when the executable file was unlinked (or is a memfd).
    public var executableIsDeleted: Bool
    /// The executable's file, when its path is not known: a key of its own,
    /// never the name's.
    public var executableFile: FileIdentity?
    /// The argument vector, `argv[0]` first (empty when unknown).
    public var arguments: [String]
    /// The process's name: its task name at exec, or the executable's file
    /// name; never a thread's name.
    public var name: String
    /// Where the executable lives.
    public var origin: ProcessOrigin

    public init(
        executable: String?, executableIsDeleted: Bool = false, executableFile: FileIdentity? = nil,
        arguments: [String] = [], name: String, origin: ProcessOrigin = .host
    ) {
        self.executable = executable
        self.executableIsDeleted = executableIsDeleted
        self.executableFile = executableFile
        self.arguments = arguments
        self.name = name
        self.origin = origin
    }

    /// The kernel's display form of an unlinked file's name: `/path (deleted)`.
    static let deletedSuffix = " (deleted)"

    /// Facts from the kernel's display form of an executable (`/path (deleted)` for an unlinked file).
    public init(displayedExecutable: String?, arguments: [String] = [], name: String, origin: ProcessOrigin = .host) {
        if let displayed = displayedExecutable, displayed.hasSuffix(Self.deletedSuffix) {
            self.init(executable: String(displayed.dropLast(Self.deletedSuffix.count)), executableIsDeleted: true,
                      arguments: arguments, name: name, origin: origin)
        } else {
            self.init(executable: displayedExecutable, arguments: arguments, name: name, origin: origin)
        }
    }
}

extension ProcessFacts {
    /// The executable in the kernel's display form, as event lines and alerts show it.
    public var displayedExecutable: String? {
        executable.map { executableIsDeleted ? $0 + Self.deletedSuffix : $0 }
    }
}

/// A file as the kernel identifies it: its device and inode numbers.
public struct FileIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The device in the kernel's internal encoding (`MAJOR << 20 | MINOR`, `sb->s_dev`).
    public var device: UInt32
    public var inode: UInt64

    public init(device: UInt32, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The identity of a file `stat(2)` described: `st_dev` is in the
    /// user-space encoding, converted to the kernel's.
    public init(statDevice: UInt64, inode: UInt64) {
        let major = ((statDevice >> 8) & 0xFFF) | ((statDevice >> 32) & ~UInt64(0xFFF))
        let minor = (statDevice & 0xFF) | ((statDevice >> 12) & ~UInt64(0xFF))
        self.init(device: UInt32(truncatingIfNeeded: major << 20 | (minor & 0xFFFFF)), inode: inode)
    }

    public var description: String { "\(device >> 20):\(device & 0xFFFFF):\(inode)" }
}
