import RarenetEvents

/// The processes of one container of a pod: the first is its init, the others its children.
struct ContainerSpec {
    var image: String
    var processes: [ProcessSpec]
}

/// The pod network of the node (10.42.7.0/24 of the cluster's 10.42.0.0/16).
enum PodNetwork {
    /// A new pod's address on this node.
    static func address(_ random: inout ScenarioRandom) -> IPAddress {
        IPAddress(ipv4: 10, 42, 7, UInt8(random.int(in: 2...254)))
    }

    /// A fixed address of a pod anywhere in the cluster (an upstream, a probe target).
    static func address(seed: UInt64, item: Int64) -> IPAddress {
        var random = ScenarioRandom(seed: seed, item: item)
        return IPAddress(ipv4: 10, 42, UInt8(random.int(in: 0...15)), UInt8(random.int(in: 2...254)))
    }
}

/// A pod's sandbox on the node: its address (the node's with host
/// networking); calico's CNI plugin, run on the host by containerd, sets up
/// and tears down its network through the API server.
struct Pod {
    let address: IPAddress

    static let cniActivity = "calico CNI plugin (per pod sandbox)"

    init(_ launch: inout Launch, from: Int64, until: Int64, hostNetwork: Bool) {
        guard !hostNetwork else {
            address = launch.host.address
            return
        }
        address = PodNetwork.address(&launch.random)
        for time in [from, until] {
            for plugin in ["calico", "calico-ipam"] {
                launch.start(Programs.command("/opt/cni/bin/\(plugin)", ["/opt/cni/bin/\(plugin)"], account: .root,
                                              connects: [KubernetesNode.apiServer], activity: Self.cniActivity),
                             from: time, until: time + 400 * TimeUnit.millisecond, parent: 1)
            }
        }
    }

    /// A new container of `image` in this pod.
    func container(image: String, launch: inout Launch) -> RunningContainer {
        RunningContainer(image: image, address: address, launch: &launch)
    }

    /// Starts `spec`'s container and its processes for `from..<until` (from `launch.time` by default).
    func run(_ launch: inout Launch, _ spec: ContainerSpec, from: Int64? = nil, until: Int64) {
        let container = container(image: spec.image, launch: &launch)
        let start = from ?? launch.time
        var parent = container.shim
        for (index, process) in spec.processes.enumerated() {
            let pid = launch.start(container.run(process), from: start + Int64(index) * 50 * TimeUnit.millisecond, until: until,
                                   parent: parent, source: address)
            if index == 0 { parent = pid }
        }
    }
}

/// RKE2's versioned data directories, before and after the node upgrade
/// (`/var/lib/rancher/rke2/data/<version>-<hash>`: kubelet, containerd, the CNI binaries).
struct RKE2Versions {
    let old: String
    let new: String

    init(seed: UInt64) {
        var random = ScenarioRandom(seed: seed, label: "rke2 data")
        old = "/var/lib/rancher/rke2/data/v1.30.6-rke2r1-\(random.hex(12))"
        new = "/var/lib/rancher/rke2/data/v1.31.3-rke2r1-\(random.hex(12))"
    }
}

extension KubernetesNode {
    /// The autoscaler's target share of a deployment on this node, by hour (UTC) of weekdays and weekends.
    struct Replicas {
        var weekday: [Int]
        var weekend: [Int]

        func target(at time: Int64, in calendar: ScenarioCalendar) -> Int {
            let hour = Int(calendar.hourOfDay(time))
            return calendar.isWeekday(calendar.day(of: time)) ? weekday[hour] : weekend[hour]
        }

        static let one = Replicas(weekday: Array(repeating: 1, count: 24), weekend: Array(repeating: 1, count: 24))
    }

    /// A deployment's pods on this node, as slots: slot k runs a pod while the
    /// target exceeds k (the autoscaler adds and removes pods within the
    /// hour), a new one at each rollout (`tags`), none while the node is
    /// drained, new ones after the reboot.
    func deployment(_ name: String, tags: VersionHistory<String>, rollouts: [Int64], replicas: Replicas,
                    container: @escaping (_ tag: String) -> ContainerSpec) -> [any Workload] {
        let slots = (replicas.weekday + replicas.weekend).max() ?? 1
        return (0..<slots).map { slot in
            var random = ScenarioRandom(seed: seed, label: "\(name) slot \(slot)")
            let runs = { (time: Int64) in replicas.target(at: time, in: calendar) > slot }
            var changes: [(time: Int64, version: String?, change: Timeline.Change)] = []
            var running = runs(calendar.start)
            for hour in 1..<Int64(calendar.days * 24) {
                let time = calendar.start + hour * TimeUnit.hour
                guard runs(time) != running else { continue }
                running.toggle()
                let changed = time + random.int64(in: 0..<40 * TimeUnit.minute)
                changes.append((changed, running ? tags.at(changed) : nil, .start))
            }
            for rollout in rollouts where runs(rollout) {
                let replaced = rollout + Int64(slot) * 40 * TimeUnit.second
                changes.append((replaced, tags.at(replaced), .start))
            }
            if runs(drain.start) {
                changes.append((drain.start + Int64(slot) * 5 * TimeUnit.second, nil, .start))
                let back = drain.end + random.int64(in: 0..<3 * TimeUnit.minute)
                changes.append((back, tags.at(back), .start))
            }
            return Timeline(seed: seed, label: "\(name) slot \(slot)", calendar: calendar, initial: runs(calendar.start) ? tags.at(calendar.start) : nil,
                            changes: changes, restarts: [reboot]) { launch, tag, until in
                guard let tag else { return }
                Pod(&launch, from: launch.time, until: until, hostNetwork: false).run(&launch, container(tag), until: until)
            }
        }
    }
}
