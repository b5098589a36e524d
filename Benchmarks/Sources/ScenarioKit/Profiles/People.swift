/// The people who log in to the hosts.
enum People {
    /// The operator who logs in to every host now and then.
    static let bob = Account(uid: 1004, name: "bob")

    /// The activity people's commands on weekdays are filed under.
    static let weekdayActivity = "people on weekdays (git, ssh, curl, psql, apt)"

    /// An operator's short sessions in working hours (09:00–18:00 on weekdays,
    /// `perHour` sessions an hour): an apt update, ssh to another host, a curl
    /// of the public site, now and then a port check with nc.
    static func operatorSessions(
        seed: UInt64, account: Account, perHour: Double, sshTargets: [Endpoint], aptRepositories: [Endpoint]
    ) -> Recurring {
        Recurring(seed: seed, label: "operator \(account.label)", schedule: .weekdays(9..<18, perHour: perHour)) { launch in
            for _ in 0..<launch.random.int(in: 1...3) {
                switch launch.random.index(weightedBy: [2, 3, 2, 0.3]) {
                case 0:
                    UbuntuHost.aptDownload(&launch, repositories: aptRepositories, activity: "apt run by an operator")
                case 1:
                    launch.run(Programs.ssh(account: account, to: launch.random.element(of: sshTargets), activity: weekdayActivity),
                               lasting: .minutes(1...20), parent: 1)
                case 2:
                    launch.run(Programs.curl(["-sI", "https://www.acme.example/"], account: account, to: Internet.publicSite, activity: weekdayActivity),
                               lasting: .seconds(1...3), parent: 1)
                default:
                    launch.run(Programs.netcatProbe(account: account, to: Internet.redis, activity: weekdayActivity), lasting: .seconds(1...2), parent: 1)
                }
                launch.pause(.minutes(1...10))
            }
        }
    }
}
