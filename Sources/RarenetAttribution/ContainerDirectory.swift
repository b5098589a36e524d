import RarenetIdentity

/// Which container a process runs in, from its cgroup, remembered per cgroup.
///
/// The container is read from `/proc/<pid>/cgroup` (``ContainerCgroup``) the
/// first time a process is seen. When the process's cgroup v2 path names a
/// cgroup of its own (not the root, as on a host with only v1 hierarchies),
/// the answer is also remembered under the cgroup's id, which the kernel
/// puts in every record: so a process that exits before its `/proc` entry is
/// read is still placed in its container. Bounded: the memory starts over
/// when full.
struct ContainerDirectory {
    private var byCgroup: [UInt64: ContainerIdentity?] = [:]
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The container of a process in cgroup `cgroupID` (0 when unknown);
    /// `readCgroups` reads its `/proc/<pid>/cgroup` (nil when it has gone) and
    /// is called only when the cgroup is not remembered.
    mutating func container(cgroupID: UInt64, readCgroups: () -> String?) -> ContainerIdentity? {
        if cgroupID != 0, let known = byCgroup[cgroupID] { return known }
        guard let text = readCgroups() else { return nil }
        let container = ContainerCgroup.container(inProcCgroup: text)
        if cgroupID != 0, Self.hasOwnUnifiedCgroup(text) {
            if byCgroup.count >= capacity { byCgroup.removeAll(keepingCapacity: true) }
            byCgroup[cgroupID] = .some(container)
        }
        return container
    }

    /// The container remembered for cgroup `cgroupID`, without I/O.
    func container(inCgroup cgroupID: UInt64) -> ContainerIdentity? {
        byCgroup[cgroupID] ?? nil
    }

    /// True when the cgroup v2 line (`0::/path`) names a cgroup other than the root.
    private static func hasOwnUnifiedCgroup(_ text: String) -> Bool {
        text.split(separator: "\n").contains { $0.hasPrefix("0::/") && $0.count > "0::/".count }
    }
}
