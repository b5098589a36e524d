/// The shop's deployments, the cronjobs, the people and the attacks of the Kubernetes node.
extension KubernetesNode {
    private static let shopActivity = "shop deployments (rollouts and autoscaling: new pods)"
    private static let cronActivity = "cronjob pods (every 2, 5, 15 min: a new pod of the same image)"

    /// api and worker (one release train, one tag) and web (its own).
    var deployments: [[any Workload]] {
        var random = ScenarioRandom(seed: seed, label: "shop releases")
        let apiRollouts = ReleaseTrain.times(calendar: calendar, random: &random)
        let apiTags = VersionHistory("1.4.2", Array(zip(apiRollouts, ReleaseTrain.versions(after: (1, 4, 2), count: apiRollouts.count, random: &random))))
        let webRollouts = ReleaseTrain.times(calendar: calendar, random: &random, everyWeekdays: 2...4)
        let webTags = VersionHistory("2.8.0", Array(zip(webRollouts, ReleaseTrain.versions(after: (2, 8, 0), count: webRollouts.count, random: &random))))
        let busy = Replicas(weekday: [1, 1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1],
                            weekend: [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1])
        let daytime = Replicas(weekday: [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1], weekend: Replicas.one.weekend)
        return [
            deployment("api", tags: apiTags, rollouts: apiRollouts, replicas: busy) { tag in
                ContainerSpec(image: "registry.example/shop/api:\(tag)", processes: [ProcessSpec(
                    image: ProcessImage("/app/api", ["/app/api", "serve", "--config", "/etc/shop/api.yaml"], account: Self.nonroot),
                    activity: Self.shopActivity, opening: [.listen(Endpoint("0.0.0.0", 8080)), .listen(Endpoint("0.0.0.0", 9090))],
                    traffic: [Traffic(Internet.postgres, chance: 0.9, connects: 1...3, followsLoad: true), Traffic(Internet.redis, chance: 0.8),
                              Traffic(Internet.kafka, chance: 0.7), Traffic(Internet.stripe, chance: 0.4, followsLoad: true)]
                )])
            },
            deployment("worker", tags: apiTags, rollouts: apiRollouts, replicas: .one) { tag in
                ContainerSpec(image: "registry.example/shop/worker:\(tag)", processes: [ProcessSpec(
                    image: ProcessImage("/usr/local/bin/python3.12", ["python", "-m", "shop.worker"], account: Self.appUser, comm: "python"),
                    activity: Self.shopActivity,
                    traffic: [Traffic(Internet.rabbitMQ, chance: 1), Traffic(Internet.postgres, chance: 0.8),
                              Traffic(Internet.smtpRelay, chance: 0.2, connects: 1...1, followsLoad: true),
                              Traffic(Internet.customerWebhooks, chance: 0.3, connects: 1...2, followsLoad: true)]
                )])
            },
            deployment("web", tags: webTags, rollouts: webRollouts, replicas: daytime) { tag in
                ContainerSpec(image: "registry.example/shop/web:\(tag)", processes: [ProcessSpec(
                    image: ProcessImage("/usr/local/bin/node", ["node", "server.js"], account: Self.appUser),
                    activity: Self.shopActivity, opening: [.listen(Endpoint("0.0.0.0", 3000))],
                    traffic: [Traffic(Endpoint("10.43.12.7", 8080), chance: 1, connects: 1...4, followsLoad: true), Traffic(Internet.cdn, chance: 0.3)]
                )])
            },
        ]
    }

    /// A cronjob whose pods land on this node one time in three (the cluster has three workers).
    private func cronJob(_ name: String, schedule: Schedule, lasting lifetime: Lifetime, container: @escaping (_ time: Int64) -> ContainerSpec) -> Recurring {
        Recurring(seed: seed, label: name, schedule: schedule) { launch in
            guard launch.random.chance(1.0 / 3) else { return }
            let start = launch.time + launch.random.int64(in: TimeUnit.second..<4 * TimeUnit.second)
            let end = start + launch.duration(lifetime)
            Pod(&launch, from: launch.time, until: end + TimeUnit.second, hostNetwork: false).run(&launch, container(start), from: start, until: end)
        }
    }

    var cronJobs: [any Workload] {
        let reportSync = VersionHistory("2.3.1", [(calendar.time(day: 7, hour: 11, minute: 20), "2.4.0")])
        return [
            cronJob("report-sync", schedule: .every(5 * TimeUnit.minute, jitter: 5 * TimeUnit.second), lasting: .seconds(20...50)) { time in
                ContainerSpec(image: "registry.example/ops/report-sync:\(reportSync.at(time))", processes: [ProcessSpec(
                    image: Self.reportSyncImage, activity: Self.cronActivity,
                    traffic: [Traffic(Internet.partnerAPI, connects: 1...3), Traffic(Internet.postgres, connects: 1...2)]
                )])
            },
            cronJob("queue-metrics", schedule: .every(2 * TimeUnit.minute, jitter: 5 * TimeUnit.second), lasting: .seconds(2...6)) { _ in
                ContainerSpec(image: "registry.example/ops/queue-metrics:0.9.0", processes: [
                    Programs.command("/usr/local/bin/queue-metrics", ["/usr/local/bin/queue-metrics", "--push"], account: Self.nonroot,
                                     connects: [Internet.rabbitMQManagement, Internet.pushgateway], activity: Self.cronActivity),
                ])
            },
            cronJob("pod-cleanup", schedule: .every(15 * TimeUnit.minute, jitter: 5 * TimeUnit.second), lasting: .seconds(3...8)) { _ in
                ContainerSpec(image: "docker.io/bitnami/kubectl:1.30.6", processes: [
                    Programs.command("/opt/bitnami/kubectl/bin/kubectl", ["kubectl", "delete", "pod", "-n", "jobs", "--field-selector=status.phase==Succeeded"],
                                     account: Account(uid: 1001, name: nil), connects: [Self.apiServer, Self.apiServer], activity: Self.cronActivity),
                ])
            },
            cronJob("db-backup", schedule: .daily(hour: 1, minute: 30, jitter: 10 * TimeUnit.second, on: .everyDay), lasting: .minutes(4...12)) { _ in
                ContainerSpec(image: "registry.example/ops/db-backup:1.2.0", processes: [
                    Programs.command("/usr/lib/postgresql/16/bin/pg_dump", ["pg_dump", "-Fc", "-h", "10.0.1.20", "-U", "backup", "shop"], account: .root,
                                     connects: [Internet.postgres], activity: "nightly db-backup cronjob (pg_dump | aws s3 cp)"),
                    ProcessSpec(image: ProcessImage("/usr/bin/python3.11", ["/usr/bin/python3", "/usr/local/bin/aws", "s3", "cp", "-", "s3://acme-db-backups/shop/"],
                                                    account: .root, comm: "aws"),
                                activity: "nightly db-backup cronjob (pg_dump | aws s3 cp)", traffic: [Traffic(Internet.awsS3, connects: 2...5)]),
                ])
            },
        ]
    }

    /// The report-sync cronjob's process: `python /app/sync.py` in its image.
    static let reportSyncImage = ProcessImage("/usr/local/bin/python3.11", ["python", "/app/sync.py"], account: appUser, comm: "python")

    /// carol, on call on the second weekend: `kubectl debug node/…` with the
    /// netshoot image (host networking), and the tools she runs in it.
    var debugPods: Recurring {
        let sessions = [calendar.time(day: 12, hour: 20, minute: 15), calendar.time(day: 13, hour: 9, minute: 30)]
        return Recurring(seed: seed, label: "debug pods", schedule: .at(sessions)) { launch in
            let activity = "on-call weekend: a netshoot debug pod (curl, nc, iperf3, openssl)"
            let end = launch.time + launch.duration(.minutes(30...70))
            let pod = Pod(&launch, from: launch.time, until: end, hostNetwork: true)
            let netshoot = pod.container(image: "docker.io/nicolaka/netshoot:v0.13", launch: &launch)
            let shell = launch.reservePID()
            let api = Endpoint(PodNetwork.address(seed: seed, item: 100), 8080)
            for command in [
                Programs.curl(["-sv", "http://\(api.address):8080/healthz"], account: .root, to: api, activity: activity),
                Programs.command("/usr/bin/nc", ["nc", "-zv", "10.0.1.40", "5672"], account: .root, connects: [Internet.rabbitMQ], activity: activity),
                Programs.curl(["-s", "http://10.43.12.7:8080/metrics"], account: .root, to: Endpoint("10.43.12.7", 8080), activity: activity),
                Programs.command("/usr/bin/iperf3", ["iperf3", "-c", "10.0.30.18"], account: .root, connects: [Endpoint("10.0.30.18", 5201)], activity: activity),
                Programs.command("/usr/bin/openssl", ["openssl", "s_client", "-connect", "registry.example:443"], account: .root,
                                 connects: [Internet.companyRegistry], activity: activity),
            ] {
                launch.time += launch.duration(.seconds(20...300))
                launch.run(netshoot.run(command), lasting: .seconds(1...60), parent: shell, source: pod.address)
            }
        }
    }

    var attacks: [AttackPlan] {
        let worker = AttackPlace.runningContainer(of: "registry.example/shop/worker")
        let web = AttackPlace.runningContainer(of: "registry.example/shop/web")
        let python = "/usr/local/bin/python3.12"
        return [
            Attacks.pythonInline(interpreter: python, invokedAs: "python", account: Self.appUser, in: worker),
            Attacks.bashInteractive(account: Self.appUser, in: worker),
            Attacks.perlInline(account: Self.appUser, in: worker),
            Attacks.miner(executable: "/tmp/.X11-unix/.x/xmrig", account: Self.appUser, in: web),
            Attacks.masquerade(executable: "/usr/lib/x86_64-linux-gnu/.kworker" + ProcessImage.deletedSuffix, comm: "kworker/0:1", account: .root),
            Attacks.netcatBindShell(account: .root),
            Attacks.deletedImplant(account: .root),
            Attacks.toolInContainer("kubectl", arguments: ["get", "secrets", "-A", "-o", "yaml"], to: Self.apiServer, account: Self.appUser, in: web),
            Attacks.curlExfiltration(account: Self.appUser),
            Attacks.pythonBindShell(interpreter: python, invokedAs: "python", account: Self.appUser, in: worker),
            Attacks.scriptReverseShell(Self.reportSyncImage, in: .runningContainer(of: "registry.example/ops/report-sync")),
            Attacks.scriptDynamicPortCallback(Self.reportSyncImage, in: .runningContainer(of: "registry.example/ops/report-sync")),
        ]
    }
}
