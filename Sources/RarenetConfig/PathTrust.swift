#if canImport(Glibc)
import Glibc
#endif

/// Whether a file or directory could be changed by someone other than root and the sensor's user.
///
/// The sensor runs as root and trusts its configuration and state: it refuses a
/// configuration file or state directory that another user could write, or that
/// sits in a directory another user could write (where it could be replaced). A
/// sticky directory such as /tmp is fine as a parent: others cannot replace what
/// they do not own there.
public enum PathTrust {
    /// Why `path` or one of the directories above it is not trusted, or nil when all are.
    public static func untrustedReason(path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return "cannot stat \(path): \(String(cString: strerror(errno)))" }
        return untrustedReason(status: status, path: path, isParent: false) ?? untrustedReasonOfParents(path)
    }

    /// Why one file or directory is not trusted: owned by another user, or writable by group or
    /// others (which a directory above it may be when it is sticky).
    static func untrustedReason(status: stat, path: String, isParent: Bool) -> String? {
        let owner = status.st_uid
        if owner != 0 && owner != geteuid() {
            return "\(path) is owned by uid \(owner), not root or uid \(geteuid())"
        }
        let isStickyParent = isParent && status.st_mode & S_ISVTX != 0
        if status.st_mode & (S_IWGRP | S_IWOTH) != 0 && !isStickyParent {
            return "\(path) is writable by other users (mode \(String(status.st_mode & 0o7777, radix: 8)))"
        }
        return nil
    }

    /// Why a directory above `path` (resolved with realpath) is not trusted, or nil.
    static func untrustedReasonOfParents(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else {
            return "cannot resolve \(path): \(String(cString: strerror(errno)))"
        }
        defer { free(resolved) }
        var directory = String(cString: resolved)
        while directory != "/" {
            directory = directory.lastIndex(of: "/").map { String(directory[..<$0]) } ?? "/"
            if directory.isEmpty { directory = "/" }
            var status = stat()
            guard stat(directory, &status) == 0 else {
                return "cannot stat \(directory): \(String(cString: strerror(errno)))"
            }
            if let reason = untrustedReason(status: status, path: directory, isParent: true) {
                return reason
            }
        }
        return nil
    }
}
