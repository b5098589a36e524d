/// What every Ubuntu 24.04 server runs besides its job: sshd, the resolver,
/// chrony and snapd, and the timers that reach out (apt's daily update and
/// upgrade, the motd news, Ubuntu Pro's timer, fwupd's metadata refresh).
struct UbuntuHost {
    var seed: UInt64
    var calendar: ScenarioCalendar
    /// When the host reboots: the daemons start again and bind their sockets.
    var reboots: [Int64] = []
    /// Days on which unattended-upgrades downloads packages.
    var upgradeDays: Set<Int> = []
    /// Third-party apt repositories over HTTPS (Elastic's, Docker's).
    var extraRepositories: [Endpoint] = []

    var workloads: [any Workload] {
        [sshd, resolver, chrony, snapd, aptUpdate, aptUpgrade, motdNews, ubuntuPro, firmwareRefresh]
    }

    private func daemon(_ label: String, _ spec: ProcessSpec) -> Timeline {
        Timeline(seed: seed, label: label, calendar: calendar, initial: spec, restarts: reboots) { launch, spec, until in
            launch.start(spec, from: launch.time, until: until, parent: 1)
        }
    }

    private var sshd: Timeline {
        daemon("sshd", ProcessSpec(
            image: ProcessImage("/usr/sbin/sshd", ["sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"], account: .root),
            activity: "sshd listener (binds at boot)",
            opening: [.listen(Endpoint("0.0.0.0", 22)), .listen(Endpoint("::", 22))]
        ))
    }

    private var resolver: Timeline {
        daemon("systemd-resolved", ProcessSpec(
            image: ProcessImage("/usr/lib/systemd/systemd-resolved", ["/usr/lib/systemd/systemd-resolved"], account: SystemAccounts.systemdResolve),
            activity: "systemd-resolved (binds at boot, TCP fallback)",
            opening: [.listen(Endpoint("127.0.0.53", 53, .udp)), .listen(Endpoint("127.0.0.53", 53)),
                      .listen(Endpoint("127.0.0.54", 53, .udp)), .listen(Endpoint("127.0.0.54", 53))],
            traffic: [Traffic(Internet.dns, chance: 0.03, connects: 1...1)]
        ))
    }

    private var chrony: Timeline {
        daemon("chronyd", ProcessSpec(
            image: ProcessImage("/usr/sbin/chronyd", ["/usr/sbin/chronyd", "-F", "1"], account: SystemAccounts.chrony),
            activity: "chronyd (binds at boot)",
            opening: [.listen(Endpoint("127.0.0.1", 323, .udp)), .listen(Endpoint("::1", 323, .udp))]
        ))
    }

    private var snapd: Timeline {
        daemon("snapd", ProcessSpec(
            image: ProcessImage("/usr/lib/snapd/snapd", ["/usr/lib/snapd/snapd"], account: .root),
            activity: "snapd refresh checks",
            traffic: [Traffic(Internet.snapStore, chance: 0.05, connects: 1...3)]
        ))
    }

    /// apt-daily.timer: twice a day, randomized over 12 hours.
    private var aptUpdate: Recurring {
        let repositories = extraRepositories
        return Recurring(seed: seed, label: "apt-daily", schedule: .randomly(perDay: 2, on: .everyDay)) { launch in
            Self.aptDownload(&launch, repositories: repositories, activity: "apt-daily (package lists)")
        }
    }

    /// apt-daily-upgrade.timer: 06:00 plus up to an hour; unattended-upgrade
    /// downloads only on the days there is something to upgrade.
    private var aptUpgrade: Recurring {
        let repositories = extraRepositories
        return Recurring(seed: seed, label: "apt-daily-upgrade", schedule: .daily(hour: 6, minute: 0, jitter: TimeUnit.hour, on: .days(upgradeDays))) { launch in
            Self.aptDownload(&launch, repositories: repositories, activity: "unattended-upgrades (package downloads)")
        }
    }

    /// apt's methods fetching from the archive, the security pocket and `repositories`.
    static func aptDownload(_ launch: inout Launch, repositories: [Endpoint], activity: String, parent: UInt32 = 1) {
        let archive = [launch.random.element(of: Internet.ubuntuArchive), launch.random.element(of: Internet.ubuntuSecurity)]
        launch.run(Programs.aptMethod("http", to: archive, activity: activity), lasting: .seconds(2...15), parent: parent)
        if !repositories.isEmpty {
            launch.run(Programs.aptMethod("https", to: repositories, activity: activity), lasting: .seconds(1...8), parent: parent)
        }
    }

    /// motd-news.timer: twice a day, `curl` to motd.ubuntu.com as root.
    private var motdNews: Recurring {
        Recurring(seed: seed, label: "motd-news", schedule: .randomly(perDay: 2, on: .everyDay)) { launch in
            launch.run(Programs.curl(["--connect-timeout", "3", "--max-time", "30", "-A", "curl/8.5.0 Ubuntu/24.04", "-o-", "https://motd.ubuntu.com"],
                                     account: .root, to: Internet.motdNews, activity: "motd-news (curl as root)"),
                       lasting: .seconds(1...3), parent: 1)
        }
    }

    /// ua-timer.timer: every six hours, Ubuntu Pro's status check.
    private var ubuntuPro: Recurring {
        Recurring(seed: seed, label: "ua-timer", schedule: .every(6 * TimeUnit.hour, jitter: TimeUnit.hour)) { launch in
            var spec = Programs.python("/usr/lib/ubuntu-advantage/timer.py", account: .root, activity: "Ubuntu Pro timer (python3)")
            spec.opening = [.connect(Internet.ubuntuContracts)]
            launch.run(spec, lasting: .seconds(1...6), parent: 1)
        }
    }

    /// fwupd-refresh.timer: daily, at a random time.
    private var firmwareRefresh: Recurring {
        Recurring(seed: seed, label: "fwupd-refresh", schedule: .randomly(perDay: 1, on: .everyDay)) { launch in
            launch.run(Programs.command("/usr/bin/fwupdmgr", ["/usr/bin/fwupdmgr", "refresh"], account: SystemAccounts.fwupdRefresh,
                                        connects: [Internet.fwupd, Internet.fwupd], activity: "fwupd metadata refresh"),
                       lasting: .seconds(2...10), parent: 1)
        }
    }
}
