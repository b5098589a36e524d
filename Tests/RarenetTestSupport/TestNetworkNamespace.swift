#if canImport(Glibc)
import Glibc
#endif

/// A network namespace the test creates, joined to the host by a veth pair
/// on a /30 inside 198.18.0.0/15 (reserved for benchmarking; these addresses
/// exist only while the namespace does): ``hostAddress`` on the host end,
/// ``namespaceAddress`` on the namespace end. Removing the namespace removes the pair.
///
/// The /30 is chosen by the test process's pid, so that test processes running
/// at once (several test targets, several checkouts) never share one; a process
/// creates one namespace at a time.
public final class TestNetworkNamespace {
    /// This process's /30: its first address, as an offset into 198.18.0.0/15.
    private static let subnetOffset = Int(getpid()) % (1 << 15) * 4

    public static let hostAddress = address(at: subnetOffset + 1)
    public static let namespaceAddress = address(at: subnetOffset + 2)

    private static func address(at offset: Int) -> TestEndpoint {
        .ipv4(198, UInt8(18 + offset >> 16), UInt8(truncatingIfNeeded: offset >> 8), UInt8(truncatingIfNeeded: offset))
    }

    /// `a.b.c.d/30`, for `ip addr add`.
    private static func prefix(_ endpoint: TestEndpoint) -> String {
        endpoint.address.map(String.init).joined(separator: ".") + "/30"
    }

    public let name: String

    /// Creates the namespace and the veth pair; removes whatever it made if a step fails.
    public init() throws {
        let id = getpid()
        name = "rarenet-test-\(id)"
        let hostEnd = "rnt\(id)h"
        let namespaceEnd = "rnt\(id)n"
        try TestChildProcess.run(["ip", "netns", "add", name])
        do {
            try TestChildProcess.run(["ip", "link", "add", hostEnd, "type", "veth", "peer", "name", namespaceEnd, "netns", name])
            try TestChildProcess.run(["ip", "addr", "add", Self.prefix(Self.hostAddress), "dev", hostEnd])
            try TestChildProcess.run(["ip", "link", "set", hostEnd, "up"])
            try TestChildProcess.run(["ip", "-n", name, "addr", "add", Self.prefix(Self.namespaceAddress), "dev", namespaceEnd])
            try TestChildProcess.run(["ip", "-n", name, "link", "set", namespaceEnd, "up"])
            try TestChildProcess.run(["ip", "-n", name, "link", "set", "lo", "up"])
        } catch {
            remove()
            throw error
        }
    }

    deinit {
        remove()
    }

    /// Runs `body` on the current thread inside the namespace, then returns the thread to its own.
    ///
    /// Sockets created in `body` stay in the namespace.
    public func run<T>(_ body: () throws -> T) throws -> T {
        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        let target = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        defer {
            close(original)
            close(target)
        }
        guard original >= 0, target >= 0 else { throw TestSystemError(operation: "open namespace \(name)", errno: errno) }
        guard let setns = Self.setns else { throw TestSystemError(operation: "setns (not in libc)", errno: ENOSYS) }
        guard setns(target, Self.newNetworkNamespace) == 0 else {
            throw TestSystemError(operation: "setns \(name)", errno: errno)
        }
        defer {
            precondition(setns(original, Self.newNetworkNamespace) == 0, "cannot return to the original network namespace")
        }
        return try body()
    }

    /// `CLONE_NEWNET`, which Swift's Glibc module does not export (a GNU extension).
    private static let newNetworkNamespace: Int32 = 0x4000_0000

    /// libc's setns(2), looked up at run time: Swift's Glibc module does not export it.
    private static let setns: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()

    private func remove() {
        try? TestChildProcess.run(["ip", "netns", "delete", name])
    }
}
