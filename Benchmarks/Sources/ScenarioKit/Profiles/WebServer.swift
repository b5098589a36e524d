/// A web server on Ubuntu 24.04: nginx in front of an app server deployed as
/// versioned releases, two JVM services, filebeat, the SSM agent snap, cron
/// and timer jobs from every ten minutes to monthly, a developer's VS Code
/// remote session and an operator on weekdays, an on-call engineer one weekend.
///
/// Changes over the 14 days: a release every one to three weekdays
/// (`/opt/app/releases/<UTC stamp>/`), filebeat upgraded in place (running as
/// `/usr/bin/filebeat (deleted)` until restarted the next day), the JVMs moved
/// from Java 17 to 21, nginx upgraded (re-exec), two snap refreshes, a VS Code
/// update, a reboot for a kernel update, a certificate renewal.
struct WebServer {
    let seed: UInt64
    let calendar: ScenarioCalendar

    static let app = Account(uid: 1001, name: "app")
    static let deploy = Account(uid: 1002, name: "deploy")
    static let alice = Account(uid: 1003, name: "alice")
    static let carol = Account(uid: 1005, name: "carol")
    static let reports = Account(uid: 1006, name: "reports")

    private var reboot: Int64 { calendar.time(day: 6, hour: 4, minute: 12) }
    private var onCallRestart: Int64 { calendar.time(day: 12, hour: 3, minute: 5) }

    func stream() -> ScenarioStream {
        let simulation = HostSimulation(
            name: "web-1", address: "10.0.10.11", calendar: calendar, load: .diurnal,
            pids: PIDAllocator(current: 412_000, gap: 3...40, reboots: [reboot]), seed: seed
        )
        let base = UbuntuHost(seed: seed, calendar: calendar, reboots: [reboot], upgradeDays: [3, 8, 10],
                              extraRepositories: [Internet.elasticArtifacts])
        var random = ScenarioRandom(seed: seed, label: "web releases")
        let releases = ReleaseTrain.times(calendar: calendar, random: &random)
        let workloads: [any Workload] = base.workloads
            + [nginx, nodeExporter, filebeat, ssmAgent]
            + appServer(releases: releases) + [deployJob(releases: releases)]
            + jvmServices
            + cronJobs + [developer, onCall]
            + [People.operatorSessions(seed: seed, account: People.bob, perHour: 0.3, sshTargets: Internet.otherHostsSSH,
                                       aptRepositories: [Internet.elasticArtifacts])]
            + [PlantedAttacks(seed: seed, calendar: calendar, plans: attacks)]
        return ScenarioStream(simulation: simulation, workloads: workloads)
    }

    // MARK: Services

    private var nginx: Timeline {
        let upgrade = calendar.time(day: 8, hour: 7, minute: 10)
        let renewal = certificateRenewal
        return Timeline(seed: seed, label: "nginx", calendar: calendar, initial: 0,
                        changes: [(upgrade, 1, .reload), (renewal + 40 * TimeUnit.second, 2, .reload)],
                        restarts: [reboot]) { launch, _, until in
            let master = launch.start(ProcessSpec(
                image: ProcessImage("/usr/sbin/nginx", ["nginx: master process /usr/sbin/nginx -g daemon on; master_process on;"], account: .root),
                activity: "nginx",
                opening: [.listen(Endpoint("0.0.0.0", 80)), .listen(Endpoint("0.0.0.0", 443)), .listen(Endpoint("::", 80)), .listen(Endpoint("::", 443))]
            ), from: launch.time, until: until, parent: 1)
            for _ in 0..<4 {
                launch.start(ProcessSpec(
                    image: ProcessImage("/usr/sbin/nginx", ["nginx: worker process"], account: SystemAccounts.wwwData),
                    activity: "nginx",
                    traffic: [Traffic(Internet.mediaStore, chance: 0.9, connects: 1...3, followsLoad: true)]
                ), from: launch.time, until: until, parent: master)
            }
        }
    }

    private var nodeExporter: Timeline {
        Timeline(seed: seed, label: "node-exporter", calendar: calendar, initial: 0, restarts: [reboot]) { launch, _, until in
            launch.start(ProcessSpec(
                image: ProcessImage("/usr/bin/prometheus-node-exporter", ["/usr/bin/prometheus-node-exporter"], account: SystemAccounts.prometheus),
                activity: "prometheus-node-exporter (binds at boot)", opening: [.listen(Endpoint("::", 9100))]
            ), from: launch.time, until: until, parent: 1)
        }
    }

    /// Upgraded in place by unattended-upgrades on day 3; bob restarts it the next morning.
    private var filebeat: Timeline {
        let path = "/usr/bin/filebeat"
        return Timeline(seed: seed, label: "filebeat", calendar: calendar, initial: path,
                        changes: [(calendar.time(day: 3, hour: 7, minute: 5), path + ProcessImage.deletedSuffix, .inPlace),
                                  (calendar.time(day: 4, hour: 10, minute: 40), path, .start)],
                        restarts: [reboot]) { launch, executable, until in
            launch.start(ProcessSpec(
                image: ProcessImage(executable, ["/usr/share/filebeat/bin/filebeat", "--environment", "systemd", "-c", "/etc/filebeat/filebeat.yml",
                                                 "--path.home", "/usr/share/filebeat", "--path.config", "/etc/filebeat",
                                                 "--path.data", "/var/lib/filebeat", "--path.logs", "/var/log/filebeat"], account: .root),
                activity: "filebeat (upgraded in place: (deleted) until restarted)",
                traffic: [Traffic(Internet.logstash, chance: 0.6, connects: 1...2), Traffic(Internet.monitoringElasticsearch, chance: 0.3, connects: 1...1)]
            ), from: launch.time, until: until, parent: 1)
        }
    }

    /// The SSM agent snap, refreshed to a new revision twice.
    private var ssmAgent: Timeline {
        Timeline(seed: seed, label: "amazon-ssm-agent", calendar: calendar, initial: 9881,
                 changes: [(calendar.time(day: 3, hour: 14, minute: 5), 11797, .start), (calendar.time(day: 10, hour: 9, minute: 41), 11924, .start)],
                 restarts: [reboot]) { launch, revision, until in
            let snap = "/snap/amazon-ssm-agent/\(revision)"
            let agent = launch.start(ProcessSpec(
                image: ProcessImage("\(snap)/amazon-ssm-agent", ["\(snap)/amazon-ssm-agent"], account: .root),
                activity: "amazon-ssm-agent snap (revision in the path)",
                traffic: [Traffic(Internet.awsSSM, chance: 1, connects: 1...3)]
            ), from: launch.time, until: until, parent: 1)
            launch.start(ProcessSpec(
                image: ProcessImage("\(snap)/ssm-agent-worker", ["\(snap)/ssm-agent-worker"], account: .root),
                activity: "amazon-ssm-agent snap (revision in the path)",
                traffic: [Traffic(Internet.awsSSM, chance: 0.8, connects: 1...2)]
            ), from: launch.time, until: until, parent: agent)
        }
    }

    /// The app server (a master and three workers) and its job worker, from
    /// the release a deploy links to `/opt/app/current`.
    private func appServer(releases: [Int64]) -> [any Workload] {
        // The release running when the scenario starts was deployed on the Friday before.
        let initial = ScenarioCalendar.compactStamp(calendar.time(day: -3, hour: 14, minute: 17, second: 43))
        let changes = releases.map { (time: $0, version: ScenarioCalendar.compactStamp($0 - 4 * TimeUnit.minute), change: Timeline.Change.start) }
        return [Timeline(seed: seed, label: "app-server", calendar: calendar, initial: initial, changes: changes,
                         restarts: [reboot, onCallRestart]) { launch, release, until in
            let bin = "/opt/app/releases/\(release)/bin"
            let activity = "app releases (/opt/app/releases/<stamp>/)"
            let master = launch.start(ProcessSpec(
                image: ProcessImage("\(bin)/app-server", ["/opt/app/current/bin/app-server", "--config", "/etc/app/config.toml"], account: Self.app),
                activity: activity, opening: [.listen(Endpoint("127.0.0.1", 8080))],
                traffic: [Traffic(Internet.postgres, chance: 0.7), Traffic(Internet.redis, chance: 0.2, connects: 1...1)]
            ), from: launch.time, until: until, parent: 1)
            for _ in 0..<3 {
                launch.start(ProcessSpec(
                    image: ProcessImage("\(bin)/app-server", ["/opt/app/current/bin/app-server", "--config", "/etc/app/config.toml"], account: Self.app),
                    activity: activity,
                    traffic: [Traffic(Internet.postgres, chance: 0.9, connects: 1...3, followsLoad: true),
                              Traffic(Internet.stripe, chance: 0.5, followsLoad: true),
                              Traffic(Internet.awsS3, chance: 0.6, connects: 1...3, followsLoad: true),
                              Traffic(Internet.smtpRelay, chance: 0.1, connects: 1...1, followsLoad: true)]
                ), from: launch.time, until: until, parent: master)
            }
            launch.start(ProcessSpec(
                image: ProcessImage("\(bin)/app-worker", ["/opt/app/current/bin/app-worker", "--queues", "default,mailers"], account: Self.app),
                activity: activity,
                traffic: [Traffic(Internet.redis, chance: 0.9), Traffic(Internet.postgres, chance: 0.8),
                          Traffic(Internet.smtpRelay, chance: 0.3, connects: 1...2, followsLoad: true),
                          Traffic(Internet.customerWebhooks, chance: 0.4, connects: 1...3, followsLoad: true)]
            ), from: launch.time, until: until, parent: 1)
        }]
    }

    /// Before each release: the deploy user downloads it, the new release migrates the database.
    private func deployJob(releases: [Int64]) -> Recurring {
        Recurring(seed: seed, label: "deploy", schedule: .at(releases.map { $0 - 4 * TimeUnit.minute })) { launch in
            let release = ScenarioCalendar.compactStamp(launch.time)
            launch.run(Programs.curl(["-fsSL", "-o", "/tmp/app-\(release).tar.gz", "https://artifacts.example.com/app/\(release).tar.gz"],
                                     account: Self.deploy, to: Internet.artifacts, activity: "deploy (curl of the release)"),
                       lasting: .seconds(5...30), parent: 1)
            launch.pause(.seconds(10...40))
            launch.run(Programs.command("/opt/app/releases/\(release)/bin/app-server", ["/opt/app/releases/\(release)/bin/app-server", "migrate"],
                                        account: Self.app, connects: [Internet.postgres, Internet.postgres], activity: "app releases (/opt/app/releases/<stamp>/)"),
                       lasting: .seconds(10...90), parent: 1)
        }
    }

    /// The reports service and the search indexer, moved from Java 17 to Java 21 on day 8.
    private var jvmServices: [any Workload] {
        let java17 = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"
        let java21 = "/usr/lib/jvm/java-21-openjdk-amd64/bin/java"
        let upgrade = calendar.time(day: 8, hour: 11, minute: 20)
        let services: [(label: String, arguments: [String], port: UInt16, traffic: [Traffic])] = [
            ("reports-service", ["-Xms512m", "-Xmx2g", "-jar", "/opt/reports/reports-service.jar", "--spring.profiles.active=prod"], 8081,
             [Traffic(Internet.postgres, chance: 0.95, connects: 1...3), Traffic(Internet.smtpRelay, chance: 0.05, connects: 1...1, followsLoad: true)]),
            ("search-indexer", ["-Xmx1g", "-jar", "/opt/search/indexer.jar"], 8082,
             [Traffic(Internet.elasticsearch, chance: 0.9, connects: 1...3), Traffic(Internet.postgres, chance: 0.5)]),
        ]
        let jdkInstall = Recurring(seed: seed, label: "openjdk-21 install", schedule: .at([upgrade - 8 * TimeUnit.minute])) { launch in
            UbuntuHost.aptDownload(&launch, repositories: [], activity: "apt install by an operator")
        }
        return services.map { service in
            Timeline(seed: seed, label: service.label, calendar: calendar, initial: java17, changes: [(upgrade, java21, .start)],
                     restarts: [reboot]) { launch, java, until in
                launch.start(ProcessSpec(
                    image: ProcessImage(java, ["/usr/bin/java"] + service.arguments, account: Self.reports),
                    activity: "JVM services (java-17 → java-21 on day 8)",
                    opening: [.listen(Endpoint("127.0.0.1", service.port))],
                    traffic: service.traffic
                ), from: launch.time, until: until, parent: 1)
            }
        } + [jdkInstall]
    }

    // MARK: Jobs

    private var certificateRenewal: Int64 { calendar.time(day: 9, hour: 4, minute: 37) }

    private var cronJobs: [any Workload] {
        let every10 = Recurring(seed: seed, label: "sync.py", schedule: .every(10 * TimeUnit.minute, jitter: 2 * TimeUnit.second)) { launch in
            var spec = Programs.python("/opt/tools/sync.py", account: Self.app, activity: "python3 /opt/tools/sync.py (every 10 min)")
            spec.traffic = [Traffic(Internet.partnerAPI, connects: 1...3), Traffic(Internet.postgres, connects: 1...2)]
            launch.run(spec, lasting: .seconds(20...70), parent: 1)
        }
        let every5 = Recurring(seed: seed, label: "healthcheck.py", schedule: .every(5 * TimeUnit.minute, jitter: 2 * TimeUnit.second)) { launch in
            var spec = Programs.python("/opt/tools/healthcheck.py", ["--notify"], account: .root, activity: "python3 /opt/tools/healthcheck.py (every 5 min)")
            spec.opening = [.connect(Internet.statusPage)]
            launch.run(spec, lasting: .seconds(1...4), parent: 1)
        }
        let logArchive = Recurring(seed: seed, label: "logrotate", schedule: .daily(hour: 0, minute: 0, jitter: 10 * TimeUnit.minute, on: .everyDay)) { launch in
            var spec = Programs.python("/usr/local/bin/aws", ["s3", "cp", "--recursive", "/var/log/app/archive/", "s3://acme-logs/web-1/"],
                                       account: .root, activity: "logrotate postrotate: aws s3 cp (nightly)", comm: "aws")
            spec.traffic = [Traffic(Internet.awsS3, connects: 2...6)]
            launch.run(spec, lasting: .seconds(30...120), parent: 1)
        }
        let backup = Recurring(seed: seed, label: "backup", schedule: .daily(hour: 2, minute: 30, jitter: 5 * TimeUnit.minute, on: .everyDay)) { launch in
            let rsync = launch.reservePID()
            launch.run(Programs.ssh(account: .root, to: Internet.backupHost,
                                    remoteCommand: ["-l", "backup", "rsync", "--server", "-logDtprze.iLsfxCIvu", "--delete", ".", "/backups/web-1/"],
                                    activity: "nightly backup: rsync over ssh"),
                       lasting: .minutes(5...25), parent: rsync)
        }
        let restic = Recurring(seed: seed, label: "restic", schedule: .daily(hour: 3, minute: 0, jitter: 2 * TimeUnit.minute, on: .weekly(6))) { launch in
            launch.run(ProcessSpec(
                image: ProcessImage("/usr/local/bin/restic", ["restic", "backup", "--one-file-system", "/srv", "/etc", "/var/www"], account: .root),
                activity: "weekly restic backup (Sunday)", traffic: [Traffic(Internet.awsS3, connects: 3...8)]
            ), lasting: .minutes(20...40), parent: 1)
        }
        let weeklyReport = Recurring(seed: seed, label: "weekly report", schedule: .daily(hour: 7, minute: 0, jitter: TimeUnit.minute, on: .weekly(0))) { launch in
            var spec = Programs.python("/opt/tools/weekly_report.py", account: Self.app, activity: "python3 weekly_report.py (Monday)")
            spec.opening = [.connect(Internet.postgres), .connect(Internet.smtpRelay)]
            launch.run(spec, lasting: .minutes(1...3), parent: 1)
        }
        let monthly = Recurring(seed: seed, label: "monthly invoices", schedule: .daily(hour: 2, minute: 0, jitter: TimeUnit.minute, on: .days([1]))) { launch in
            var spec = Programs.python("/opt/tools/monthly_invoices.py", account: Self.app, activity: "python3 monthly_invoices.py (1st of the month)")
            spec.traffic = [Traffic(Internet.postgres, connects: 2...4), Traffic(Internet.awsS3, connects: 1...3), Traffic(Internet.smtpRelay, chance: 0.7)]
            launch.run(spec, lasting: .minutes(10...20), parent: 1)
        }
        let certbot = Recurring(seed: seed, label: "certbot", schedule: .at([certificateRenewal])) { launch in
            let snap = "/snap/certbot/4023"
            launch.run(Programs.command("\(snap)/usr/bin/python3.12", ["\(snap)/usr/bin/python3", "\(snap)/bin/certbot", "-q", "renew"],
                                        account: .root, connects: [Internet.letsEncrypt, Internet.letsEncrypt, Internet.letsEncrypt],
                                        activity: "certbot renewal (every 60 days)", comm: "certbot"),
                       lasting: .seconds(20...40), parent: 1)
        }
        return [every10, every5, logArchive, backup, restic, weeklyReport, monthly, certbot]
    }

    // MARK: People

    /// alice, a developer: a VS Code remote session most weekdays (the server
    /// under `~/.vscode-server/bin/<commit>/`, a new commit after the update of
    /// day 7), git fetches, ssh to the database host, curl, now and then psql.
    private var developer: Recurring {
        var random = ScenarioRandom(seed: seed, label: "vscode commits")
        let commits = [random.hex(40), random.hex(40)]
        let update = calendar.time(day: 7)
        return Recurring(seed: seed, label: "alice", schedule: .daily(hour: 9, minute: 0, jitter: 45 * TimeUnit.minute, on: .weekdays)) { launch in
            guard launch.random.chance(0.85) else { return }
            let session = launch.time
            let end = session + launch.duration(.minutes(240...480))
            let server = "/home/alice/.vscode-server/bin/\(commits[session < update ? 0 : 1])"
            let activity = "VS Code server (~/.vscode-server/bin/<commit>/node)"
            let main = launch.start(ProcessSpec(
                image: ProcessImage("\(server)/node", ["\(server)/node", "\(server)/out/server-main.js", "--start-server", "--host=127.0.0.1",
                                                        "--accept-server-license-terms", "--enable-remote-auto-shutdown", "--port=0"], account: Self.alice),
                activity: activity, opening: [.listen(Endpoint("127.0.0.1", UInt16(launch.random.int(in: 30_000...45_000))))],
                traffic: [Traffic(Internet.vscodeUpdate, chance: 0.2, connects: 1...1)]
            ), from: session, until: end, parent: 1)
            launch.start(ProcessSpec(
                image: ProcessImage("\(server)/node", ["\(server)/node", "--dns-result-order=ipv4first", "\(server)/out/bootstrap-fork",
                                                        "--type=extensionHost", "--transformURIs", "--useHostProxy=false"], account: Self.alice),
                activity: activity,
                traffic: [Traffic(Internet.copilot, chance: 0.9, connects: 1...4), Traffic(Internet.vscodeMarketplace, chance: 0.1, connects: 1...1),
                          Traffic(Internet.github, chance: 0.2, connects: 1...1)]
            ), from: session + 3 * TimeUnit.second, until: end, parent: main)
            let commands: [(weight: Double, spec: ProcessSpec)] = [
                (3, Programs.gitRemoteHTTPS(url: "https://github.com/acme/web", to: launch.random.element(of: Internet.github), account: Self.alice,
                                            activity: People.weekdayActivity)),
                (0.6, Programs.ssh(account: Self.alice, to: Internet.databaseHostSSH, activity: People.weekdayActivity)),
                (1, Programs.curl(["-s", "https://api.partner.example/v2/status"], account: Self.alice, to: Internet.partnerAPI[0],
                                  activity: People.weekdayActivity)),
                (0.2, Programs.command("/usr/lib/postgresql/16/bin/psql", ["psql", "-h", "10.0.1.20", "-U", "alice", "app"], account: Self.alice,
                                       connects: [Internet.postgres], activity: People.weekdayActivity)),
            ]
            for _ in 0..<launch.random.int(in: 2...6) {
                launch.time = launch.random.int64(in: session..<end)
                launch.run(commands[launch.random.index(weightedBy: commands.map(\.weight))].spec, lasting: .seconds(1...90), parent: main)
            }
        }
    }

    /// carol, on call on the second weekend: a database incident at night,
    /// tools this host rarely or never runs, then a follow-up on Sunday.
    private var onCall: Recurring {
        let incident = calendar.time(day: 12, hour: 2, minute: 40)
        let followUp = calendar.time(day: 13, hour: 15, minute: 10)
        return Recurring(seed: seed, label: "carol", schedule: .at([incident, followUp])) { launch in
            let activity = "on-call weekend (psql, redis-cli, nc, iperf3, a downloaded tool…)"
            let carol = Self.carol
            var commands: [ProcessSpec] = [
                Programs.command("/usr/lib/postgresql/16/bin/psql", ["psql", "-h", "10.0.1.20", "-U", "app", "app"], account: carol,
                                 connects: [Internet.postgres], activity: activity),
                Programs.curl(["-v", "https://api.stripe.com/healthcheck"], account: carol, to: Internet.stripe[0], activity: activity),
            ]
            if launch.time == incident {
                commands += [
                    Programs.command("/usr/bin/redis-cli", ["redis-cli", "-h", "10.0.1.21", "ping"], account: carol, connects: [Internet.redis], activity: activity),
                    Programs.netcatProbe(account: carol, to: Internet.postgres, activity: activity),
                    Programs.command("/usr/bin/python3.12", ["python3", "-c", "import socket; socket.create_connection(('10.0.1.20', 5432), 3)"],
                                     account: carol, connects: [Internet.postgres], activity: activity, comm: "python3"),
                    Programs.command("/usr/bin/openssl", ["openssl", "s_client", "-connect", "api.stripe.com:443"], account: carol,
                                     connects: [Internet.stripe[1]], activity: activity),
                    Programs.command("/usr/bin/iperf3", ["iperf3", "-c", "10.0.1.20"], account: carol, connects: [Endpoint("10.0.1.20", 5201)], activity: activity),
                    Programs.command("/usr/bin/telnet.netkit", ["telnet", "10.0.1.21", "6379"], account: carol, connects: [Internet.redis],
                                     activity: activity, comm: "telnet"),
                    Programs.command("/usr/bin/wget", ["wget", "https://github.com/lesovsky/pgcenter/releases/download/v0.9.2/pgcenter_0.9.2_linux_amd64.tar.gz"],
                                     account: carol, connects: [Internet.github[0], Internet.githubObjects[0]], activity: activity),
                    Programs.command("/home/carol/pgcenter", ["./pgcenter", "top", "-h", "10.0.1.20", "-U", "app"], account: carol,
                                     connects: [Internet.postgres], activity: activity),
                ]
            }
            for command in commands {
                launch.run(command, lasting: .seconds(2...300), parent: 1)
                launch.pause(.seconds(30...400))
            }
        }
    }

    // MARK: Attacks

    private var attacks: [AttackPlan] {
        let www = SystemAccounts.wwwData
        return [
            Attacks.pythonInline(interpreter: "/usr/bin/python3.12", invokedAs: "python3", account: www),
            Attacks.bashInteractive(account: www),
            Attacks.perlInline(account: www),
            Attacks.miner(executable: "/tmp/.X11-unix/.x/xmrig", account: www),
            Attacks.masquerade(executable: "/tmp/.sshd/sshd", comm: "sshd", account: www),
            Attacks.netcatBindShell(account: www),
            Attacks.deletedImplant(account: www),
            Attacks.curlExfiltration(account: Self.app),
            Attacks.sshByServiceAccount(account: www, to: Internet.databaseHostSSH),
            Attacks.pythonBindShell(interpreter: "/usr/bin/python3.12", invokedAs: "python3", account: www),
            Attacks.scriptReverseShell(Programs.python("/opt/tools/sync.py", account: Self.app, activity: "attack").image),
            Attacks.scriptDynamicPortCallback(Programs.python("/opt/tools/healthcheck.py", ["--notify"], account: .root, activity: "attack").image),
        ]
    }
}
