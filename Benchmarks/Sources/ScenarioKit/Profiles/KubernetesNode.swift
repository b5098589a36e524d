import RarenetEvents

/// A Kubernetes worker on Ubuntu 22.04 with RKE2: the rke2 agent, kubelet
/// and containerd on the host, daemonsets (kube-proxy, calico, node-exporter,
/// fluent-bit, ingress-nginx) and a CoreDNS replica, three deployments of
/// the shop (scaled by the load), cronjob pods every 2, 5 and 15 minutes,
/// an operator now and then and an on-call engineer with a debug pod.
///
/// What keeps changing: every pod has new container ids and a new address;
/// rollouts change image tags (`registry.example/shop/api:1.4.2` → `1.4.3`);
/// the autoscaler adds and removes pods; the node upgrade of day 9 drains the
/// node and moves kubelet and containerd to a new versioned data directory;
/// a kured reboot on day 11 restarts everything.
struct KubernetesNode {
    let seed: UInt64
    let calendar: ScenarioCalendar

    /// uid 1000: the host's first user, and the user of the shop's python and
    /// node images, which the sensor names from the host's user database.
    static let appUser = Account(uid: 1000, name: "ubuntu")
    /// The users of distroless and ingress images, unknown to the host's user database.
    static let nonroot = Account(uid: 65_532, name: nil)
    static let ingressUser = Account(uid: 101, name: nil)

    static let apiServer = Endpoint("10.43.0.1", 443)
    static let servers = [Endpoint("10.0.30.10", 6443), Endpoint("10.0.30.11", 6443), Endpoint("10.0.30.12", 6443)]
    static let supervisors = [Endpoint("10.0.30.10", 9345), Endpoint("10.0.30.11", 9345), Endpoint("10.0.30.12", 9345)]
    static let nodeAddress = "10.0.30.17"

    /// kured reboots the node after a kernel update.
    var reboot: Int64 { calendar.time(day: 11, hour: 4, minute: 5) }
    /// The node upgrade: drained, upgraded, uncordoned.
    var drain: (start: Int64, end: Int64) { (calendar.time(day: 9, hour: 10), calendar.time(day: 9, hour: 10, minute: 9)) }

    func stream() -> ScenarioStream {
        let simulation = HostSimulation(
            name: "k8s-node-7", address: Self.nodeAddress, calendar: calendar, load: .diurnal,
            pids: PIDAllocator(current: 1_650_000, gap: 10...120, reboots: [reboot]), seed: seed
        )
        let base = UbuntuHost(seed: seed, calendar: calendar, reboots: [reboot], upgradeDays: [3, 10])
        let rke2 = RKE2Versions(seed: seed)
        let workloads: [any Workload] = base.workloads + [rke2Agent(rke2), kubelet(rke2), containerd(rke2)]
            + daemonsets(rke2) + deployments.flatMap { $0 } + cronJobs
            + [People.operatorSessions(seed: seed, account: People.bob, perHour: 0.04, sshTargets: Internet.otherHostsSSH, aptRepositories: []),
               debugPods]
            + [PlantedAttacks(seed: seed, calendar: calendar, plans: attacks)]
        return ScenarioStream(simulation: simulation, workloads: workloads)
    }

    // MARK: Host

    /// The rke2 agent: the supervisor connection and the client load balancer
    /// that kubelet and containerd reach the API servers through. The upgrade
    /// replaces its binary (a few seconds of ` (deleted)`) and restarts it.
    private func rke2Agent(_ rke2: RKE2Versions) -> Timeline {
        let path = "/usr/local/bin/rke2"
        return Timeline(seed: seed, label: "rke2", calendar: calendar, initial: path,
                        changes: [(drain.start - 40 * TimeUnit.second, path + ProcessImage.deletedSuffix, .inPlace), (drain.start, path, .start)],
                        restarts: [reboot]) { launch, executable, until in
            launch.start(ProcessSpec(
                image: ProcessImage(executable, [path, "agent"], account: .root), activity: "rke2 agent (upgraded in place)",
                opening: [.listen(Endpoint("127.0.0.1", 6444))],
                traffic: [Traffic(Self.servers, chance: 1, connects: 1...3), Traffic(Self.supervisors, chance: 0.4, connects: 1...1)]
            ), from: launch.time, until: until, parent: 1)
        }
    }

    /// kubelet, probing the pods (TCP and HTTP probes are connects to pod addresses) from its versioned data directory.
    private func kubelet(_ rke2: RKE2Versions) -> Timeline {
        let probes = [8080, 8080, 3000, 3000, 8181, 10254, 2020].map { Endpoint(PodNetwork.address(seed: seed, item: Int64($0)), UInt16($0)) }
            + [Endpoint(Self.nodeAddress, 9100), Endpoint("127.0.0.1", 6444)]
        return Timeline(seed: seed, label: "kubelet", calendar: calendar, initial: rke2.old, changes: [(drain.start + 30 * TimeUnit.second, rke2.new, .start)],
                        restarts: [reboot]) { launch, data, until in
            let path = "\(data)/bin/kubelet"
            launch.start(ProcessSpec(
                image: ProcessImage(path, [path, "--volume-plugin-dir=/var/lib/kubelet/volumeplugins", "--file-check-frequency=5s",
                                           "--sync-frequency=30s", "--address=0.0.0.0", "--anonymous-auth=false",
                                           "--kubeconfig=/var/lib/rancher/rke2/agent/kubelet.kubeconfig", "--node-ip=\(Self.nodeAddress)"], account: .root),
                activity: "kubelet (versioned RKE2 data directory; pod probes)",
                opening: [.listen(Endpoint("0.0.0.0", 10250)), .listen(Endpoint("127.0.0.1", 10248))],
                traffic: [Traffic(probes, chance: 1, connects: 3...8)]
            ), from: launch.time, until: until, parent: 1)
        }
    }

    /// containerd, pulling images (the queue-metrics cronjob pulls on every run).
    private func containerd(_ rke2: RKE2Versions) -> Timeline {
        Timeline(seed: seed, label: "containerd", calendar: calendar, initial: rke2.old, changes: [(drain.start + 20 * TimeUnit.second, rke2.new, .start)],
                 restarts: [reboot]) { launch, data, until in
            let path = "\(data)/bin/containerd"
            launch.start(ProcessSpec(
                image: ProcessImage(path, [path, "-c", "/var/lib/rancher/rke2/agent/etc/containerd/config.toml", "-a", "/run/k3s/containerd/containerd.sock",
                                           "--state", "/run/k3s/containerd", "--root", "/var/lib/rancher/rke2/agent/containerd"], account: .root),
                activity: "containerd (versioned RKE2 data directory; image pulls)",
                traffic: [Traffic(Internet.companyRegistry, chance: 0.9, connects: 1...3),
                          Traffic([Internet.dockerRegistry[0], Internet.quay, Internet.registryK8s, Internet.fluentBitRegistry], chance: 0.02, connects: 1...2)]
            ), from: launch.time, until: until, parent: 1)
        }
    }

    // MARK: Pods

    /// A daemonset's pod, restarted by the reboot and by image changes.
    private func daemonset(_ name: String, tags: [(time: Int64, tag: String)] = [], initial: String, hostNetwork: Bool,
                           containers: @escaping (_ tag: String) -> ContainerSpec) -> Timeline {
        Timeline(seed: seed, label: name, calendar: calendar, initial: initial,
                 changes: tags.map { ($0.time, $0.tag, .start) }, restarts: [reboot]) { launch, tag, until in
            Pod(&launch, from: launch.time, until: until, hostNetwork: hostNetwork).run(&launch, containers(tag), until: until)
        }
    }

    private func daemonsets(_ rke2: RKE2Versions) -> [any Workload] {
        let api = Self.apiServer
        return [
            daemonset("kube-proxy", tags: [(drain.start + 90 * TimeUnit.second, "v1.31.3-rke2r1-build20241121")], initial: "v1.30.6-rke2r1-build20241106",
                      hostNetwork: true) { tag in
                ContainerSpec(image: "docker.io/rancher/hardened-kubernetes:\(tag)", processes: [
                    ProcessSpec(image: ProcessImage("/usr/local/bin/kube-proxy", ["kube-proxy", "--cluster-cidr=10.42.0.0/16", "--healthz-bind-address=127.0.0.1",
                                                                                  "--hostname-override=k8s-node-7", "--proxy-mode=iptables"], account: .root),
                                activity: "kube-proxy", opening: [.listen(Endpoint("127.0.0.1", 10256)), .listen(Endpoint("127.0.0.1", 10249))],
                                traffic: [Traffic(Endpoint("127.0.0.1", 6444), chance: 0.3, connects: 1...1)]),
                ])
            },
            daemonset("calico-node", tags: [(calendar.time(day: 10, hour: 14, minute: 12), "v3.29.1")], initial: "v3.28.2", hostNetwork: true) { tag in
                ContainerSpec(image: "docker.io/calico/node:\(tag)", processes: [
                    ProcessSpec(image: ProcessImage("/usr/bin/calico-node", ["calico-node", "-felix"], account: .root),
                                activity: "calico-node", traffic: [Traffic(api, chance: 0.4, connects: 1...2)]),
                    ProcessSpec(image: ProcessImage("/usr/bin/calico-node", ["calico-node", "-confd"], account: .root),
                                activity: "calico-node", traffic: [Traffic(api, chance: 0.2, connects: 1...1)]),
                    ProcessSpec(image: ProcessImage("/usr/bin/bird", ["bird", "-R", "-s", "/var/run/calico/bird.ctl", "-d", "-c", "/etc/calico/confd/config/bird.cfg"],
                                                    account: .root),
                                activity: "calico-node", opening: [.listen(Endpoint("0.0.0.0", 179))],
                                traffic: [Traffic((10...16).map { Endpoint("10.0.30.\($0)", 179) }, chance: 0.02, connects: 1...1)]),
                ])
            },
            daemonset("node-exporter", initial: "v1.8.2", hostNetwork: true) { tag in
                ContainerSpec(image: "quay.io/prometheus/node-exporter:\(tag)", processes: [
                    ProcessSpec(image: ProcessImage("/bin/node_exporter", ["/bin/node_exporter", "--path.rootfs=/host"], account: SystemAccounts.nobody),
                                activity: "node-exporter", opening: [.listen(Endpoint(Self.nodeAddress, 9100))]),
                ])
            },
            daemonset("fluent-bit", tags: [(calendar.time(day: 4, hour: 11, minute: 3), "3.2.4")], initial: "3.2.2", hostNetwork: false) { tag in
                ContainerSpec(image: "cr.fluentbit.io/fluent/fluent-bit:\(tag)", processes: [
                    ProcessSpec(image: ProcessImage("/fluent-bit/bin/fluent-bit", ["/fluent-bit/bin/fluent-bit", "-c", "/fluent-bit/etc/conf/fluent-bit.conf"],
                                                    account: .root),
                                activity: "fluent-bit", opening: [.listen(Endpoint("0.0.0.0", 2020))],
                                traffic: [Traffic(Internet.loki, chance: 1, connects: 1...3), Traffic(api, chance: 0.6, connects: 1...2)]),
                ])
            },
            daemonset("ingress-nginx", initial: "v1.11.3", hostNetwork: false) { tag in
                let upstreams = (0..<6).map { Endpoint(PodNetwork.address(seed: seed, item: 100 + $0), $0 < 4 ? 8080 : 3000) }
                return ContainerSpec(image: "registry.k8s.io/ingress-nginx/controller:\(tag)", processes: [
                    ProcessSpec(image: ProcessImage("/nginx-ingress-controller", ["/nginx-ingress-controller", "--election-id=ingress-nginx-leader",
                                                                                  "--controller-class=k8s.io/ingress-nginx"], account: Self.ingressUser),
                                activity: "ingress-nginx", opening: [.listen(Endpoint("0.0.0.0", 8443)), .listen(Endpoint("0.0.0.0", 10254))],
                                traffic: [Traffic(api, chance: 0.3, connects: 1...1)]),
                    ProcessSpec(image: ProcessImage("/usr/bin/nginx", ["nginx", "-c", "/etc/nginx/nginx.conf"], account: Self.ingressUser),
                                activity: "ingress-nginx", opening: [.listen(Endpoint("0.0.0.0", 80)), .listen(Endpoint("0.0.0.0", 443))]),
                ] + Array(repeating: ProcessSpec(image: ProcessImage("/usr/bin/nginx", ["nginx: worker process"], account: Self.ingressUser),
                                                 activity: "ingress-nginx", traffic: [Traffic(upstreams, chance: 1, connects: 2...6, followsLoad: true)]), count: 2))
            },
            daemonset("coredns", initial: "v1.11.3-build20241018", hostNetwork: false) { tag in
                ContainerSpec(image: "docker.io/rancher/hardened-coredns:\(tag)", processes: [
                    ProcessSpec(image: ProcessImage("/coredns", ["/coredns", "-conf", "/etc/coredns/Corefile"], account: Self.nonroot),
                                activity: "coredns",
                                opening: [.listen(Endpoint("0.0.0.0", 53, .udp)), .listen(Endpoint("0.0.0.0", 53)), .listen(Endpoint("0.0.0.0", 8080)),
                                          .listen(Endpoint("0.0.0.0", 8181)), .listen(Endpoint("0.0.0.0", 9153))],
                                traffic: [Traffic(api, chance: 0.1, connects: 1...1), Traffic(Internet.dns, chance: 0.05, connects: 1...1)]),
                ])
            },
        ]
    }
}
