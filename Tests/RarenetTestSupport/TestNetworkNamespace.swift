import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace the test creates, joined to the host by a veth pair:
/// the host end is 198.18.N.1/30, the namespace end 198.18.N.2/30, with N
/// different for every namespace this test process creates, so suites that run
/// in parallel never collide (198.18.0.0/15 is reserved for benchmarking; these
/// addresses exist only while the namespace does). Removing the namespace
/// removes the pair.
public final class TestNetworkNamespace {
    /// The host's end of the veth pair (port 0).
    public let hostAddress: TestEndpoint
    /// The namespace's end of the veth pair (port 0): the address tests connect to.
    public let namespaceAddress: TestEndpoint
    /// ``namespaceAddress`` as text, for shell commands and alert fields.
    public var namespaceAddressText: String { "198.18.\(index).2" }
    /// ``hostAddress`` as text.
    public var hostAddressText: String { "198.18.\(index).1" }

    public let name: String
    /// The root namespace's end of the veth pair.
    private let hostEnd: String
    private let index: UInt8

    private static let created = Atomic<Int>(0)

    /// Creates the namespace and the veth pair; removes whatever it made if a step fails.
    public init() throws {
        let id = getpid()
        index = UInt8(truncatingIfNeeded: Self.created.add(1, ordering: .relaxed).oldValue)
        hostAddress = .ipv4(198, 18, index, 1)
        namespaceAddress = .ipv4(198, 18, index, 2)
        name = "rarenet-test-\(id)-\(index)"
        hostEnd = "rnt\(id)x\(index)h"
        let namespaceEnd = "rnt\(id)x\(index)n"
        try TestChildProcess.run(["ip", "netns", "add", name])
        do {
            try TestChildProcess.run(["ip", "link", "add", hostEnd, "type", "veth", "peer", "name", namespaceEnd, "netns", name])
            try TestChildProcess.run(["ip", "addr", "add", "\(hostAddressText)/30", "dev", hostEnd])
            try TestChildProcess.run(["ip", "link", "set", hostEnd, "up"])
            try TestChildProcess.run(["ip", "-n", name, "addr", "add", "\(namespaceAddressText)/30", "dev", namespaceEnd])
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

    /// Deletes the veth pair at once (the namespace itself outlives its name
    /// while a socket in it is open, and is destroyed asynchronously), so the
    /// next test can create the pair again right away; then removes the name.
    private func remove() {
        try? TestChildProcess.run(["ip", "link", "delete", hostEnd])
        try? TestChildProcess.run(["ip", "netns", "delete", name])
    }
}
