import RarenetEvents

/// A shared build host on Ubuntu 24.04: a GitHub Actions runner that runs
/// jobs on the host (four repositories: Go, Node, Rust, Python) and a GitLab
/// runner with the Docker executor, four jobs at a time (Maven, Terraform,
/// Go in a container), with service containers (postgres, redis) started
/// per job.
///
/// What keeps changing: test binaries in `/tmp/go-build<N>/b<NNN>/`, cargo's
/// `target/debug/deps/<crate>-<hash>` (new hashes when a lock file changes,
/// on main or on a pull request's branch), tool-cache versions
/// (`_tool/go/1.23.4` → `1.23.5`), Playwright's browser revision under
/// `~/.cache`, Terraform providers' versioned paths, a new container id for
/// every job and service, the runner's own update (`bin.2.320.0` →
/// `bin.2.321.0`), a docker upgrade and a GitLab runner upgrade.
struct CIRunner {
    let seed: UInt64
    let calendar: ScenarioCalendar

    static let runner = Account(uid: 1001, name: "runner")
    static let gitlabRunner = Account(uid: 997, name: "gitlab-runner")

    func stream() -> ScenarioStream {
        let simulation = HostSimulation(
            name: "ci-runner-3", address: "10.0.20.31", calendar: calendar, load: .office,
            pids: PIDAllocator(current: 2_900_000, gap: 40...900, reboots: []), seed: seed
        )
        let base = UbuntuHost(seed: seed, calendar: calendar, upgradeDays: [2, 9, 10], extraRepositories: [Internet.dockerPackages])
        let versions = CIVersions(calendar: calendar, seed: seed)
        let github = GitHubJobs(seed: seed, calendar: calendar, versions: versions)
        let gitlab = GitLabJobs(seed: seed, calendar: calendar, versions: versions)
        let workloads: [any Workload] = base.workloads + [dockerd, runnerListener(versions), gitlabRunnerDaemon]
            + [github.queue] + (0..<4).map(gitlab.slot)
            + [People.operatorSessions(seed: seed, account: People.bob, perHour: 0.05, sshTargets: Internet.otherHostsSSH,
                                       aptRepositories: [Internet.dockerPackages])]
            + [PlantedAttacks(seed: seed, calendar: calendar, plans: attacks(versions))]
        return ScenarioStream(simulation: simulation, workloads: workloads)
    }

    // MARK: Daemons

    /// dockerd pulls the service and build images all day; restarted by the docker-ce upgrade of day 9.
    private var dockerd: Timeline {
        Timeline(seed: seed, label: "dockerd", calendar: calendar, initial: 0, restarts: [calendar.time(day: 9, hour: 6, minute: 41)]) { launch, _, until in
            launch.start(ProcessSpec(
                image: ProcessImage("/usr/bin/dockerd", ["/usr/bin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock"], account: .root),
                activity: "dockerd (image pulls and pushes)",
                traffic: [Traffic(Internet.dockerRegistry + Internet.dockerCDN, chance: 0.8, connects: 1...4, followsLoad: true),
                          Traffic([Internet.companyRegistry, Internet.githubObjects[0]], chance: 0.3, connects: 1...2, followsLoad: true)]
            ), from: launch.time, until: until, parent: 1)
        }
    }

    /// The Actions runner's listener, long-polling GitHub; it updates itself on day 8.
    private func runnerListener(_ versions: CIVersions) -> Timeline {
        Timeline(seed: seed, label: "Runner.Listener", calendar: calendar, initial: versions.runner.at(calendar.start),
                 changes: [(versions.runnerUpdate, versions.runner.at(versions.runnerUpdate), .start)]) { launch, version, until in
            let path = "/home/runner/actions-runner/bin.\(version)/Runner.Listener"
            launch.start(ProcessSpec(
                image: ProcessImage(path, [path, "run", "--startuptype", "service"], account: Self.runner),
                activity: "GitHub runner (bin.<version>/ after its self-update)",
                traffic: [Traffic(Internet.actionsBroker, chance: 1, connects: 2...4)]
            ), from: launch.time, until: until, parent: 1)
        }
    }

    /// The GitLab runner, polling for jobs; upgraded (and restarted) by apt on day 10.
    private var gitlabRunnerDaemon: Timeline {
        Timeline(seed: seed, label: "gitlab-runner", calendar: calendar, initial: 0, restarts: [CIVersions.gitlabUpgrade(calendar)]) { launch, _, until in
            launch.start(ProcessSpec(
                image: ProcessImage("/usr/bin/gitlab-runner", ["/usr/bin/gitlab-runner", "run", "--working-directory", "/home/gitlab-runner",
                                                               "--config", "/etc/gitlab-runner/config.toml", "--service", "gitlab-runner",
                                                               "--user", "gitlab-runner"], account: .root),
                activity: "gitlab-runner (polling)",
                traffic: [Traffic(Internet.gitlab, chance: 1, connects: 2...5)]
            ), from: launch.time, until: until, parent: 1)
        }
    }

    // MARK: Attacks

    private func attacks(_ versions: CIVersions) -> [AttackPlan] {
        let runner = Self.runner
        let python = CIVersions.pythonTool
        return [
            Attacks.pythonInline(interpreter: python, invokedAs: "python3", account: runner),
            Attacks.bashInteractive(account: .root, in: .newDockerContainer(image: "docker.io/library/maven:3.9-eclipse-temurin-21")),
            Attacks.perlInline(account: runner),
            Attacks.miner(executable: "/tmp/.X11-unix/.x/xmrig", account: runner),
            Attacks.masquerade(executable: "/tmp/.font-unix/kworker", comm: "kworker/0:1", account: runner),
            Attacks.netcatBindShell(account: runner),
            Attacks.deletedImplant(account: runner),
            Attacks.toolInContainer("kubectl", arguments: ["--server", "https://10.20.0.10:6443", "get", "secrets", "-A"],
                                    to: Internet.productionClusterAPI, account: .root, in: .newDockerContainer(image: "docker.io/library/golang:1.23")),
            Attacks.pythonBindShell(interpreter: python, invokedAs: "python3", account: runner),
            Attacks.scriptReverseShell(ProcessImage(python, ["/home/runner/work/ml/ml/.venv/bin/python", "-m", "pytest", "-q"],
                                                    account: runner, comm: "python")),
            Attacks.curlExfiltration(account: Self.gitlabRunner),
            Attacks.scriptDynamicPortCallback(ProcessImage(python, ["/home/runner/work/ml/ml/.venv/bin/python", "-m", "pytest", "-q"],
                                                           account: runner, comm: "python")),
        ]
    }
}
