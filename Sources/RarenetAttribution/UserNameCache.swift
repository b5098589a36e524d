#if canImport(Glibc)
import Glibc
#endif

/// User names by uid, from the system's user database (`getpwuid_r`, so NSS
/// sources such as LDAP too), remembered in a bounded cache.
///
/// A uid without a name is remembered as such, so a missing user costs one
/// database lookup, not one per process. When the cache is full it is emptied
/// and refills from use: a host has few distinct uids, so this happens only
/// under a flood, and it keeps memory bounded without bookkeeping per lookup.
/// Not thread-safe: owned by one thread, like the ``ProcessTable`` that uses it.
public struct UserNameCache {
    /// How many uids the cache remembers at most.
    public let capacity: Int
    private var names: [UInt32: String?] = [:]

    /// A cache of at most `capacity` uids (at least 1).
    public init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
    }

    /// How many uids the cache holds.
    public var count: Int { names.count }

    /// The name of `uid`, or `nil` when the user database has none.
    public mutating func name(of uid: UInt32) -> String? {
        if let cached = names[uid] { return cached }
        if names.count >= capacity { names.removeAll(keepingCapacity: true) }
        let name = Self.lookUp(uid)
        names[uid] = name
        return name
    }

    /// Asks the user database, growing the buffer when `getpwuid_r` needs more room.
    private static func lookUp(_ uid: UInt32) -> String? {
        var bufferSize = max(1024, sysconf(Int32(_SC_GETPW_R_SIZE_MAX)))
        let maximumBufferSize = 1 << 20
        while bufferSize <= maximumBufferSize {
            let (status, name) = withUnsafeTemporaryAllocation(of: CChar.self, capacity: bufferSize) { buffer -> (Int32, String?) in
                var entry = passwd()
                var result: UnsafeMutablePointer<passwd>?
                let status = getpwuid_r(uid, &entry, buffer.baseAddress!, bufferSize, &result)
                // pw_name points into `buffer`: copy it before the buffer goes.
                return (status, result?.pointee.pw_name.map { String(cString: $0) })
            }
            guard status == ERANGE else { return name }
            bufferSize *= 2
        }
        return nil
    }
}
