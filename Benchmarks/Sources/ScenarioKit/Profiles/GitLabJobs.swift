import RarenetEvents

/// The jobs of the GitLab runner's Docker executor, four at a time: for each
/// a helper container clones and restores the cache, service containers
/// start, and the job runs in a container of the project's image (`exe` is
/// then the path inside it, under `/builds/<group>/<project>`).
struct GitLabJobs {
    let seed: UInt64
    let calendar: ScenarioCalendar
    let versions: CIVersions

    /// One of the executor's concurrent slots.
    func slot(_ index: Int) -> any Workload {
        JobQueue(seed: seed, label: "gitlab slot \(index)", calendar: calendar, meanIdle: idle) { launch in job(&launch) }
    }

    private func idle(at time: Int64) -> Int64 {
        let hour = calendar.hourOfDay(time)
        guard calendar.isWeekday(calendar.day(of: time)) else { return 90 * TimeUnit.minute }
        return (8..<19).contains(hour) ? 4 * TimeUnit.minute : 60 * TimeUnit.minute
    }

    private enum Project: String, CaseIterable {
        case ledger = "payments/ledger"
        case infra = "platform/infra"
        case etl = "data/etl"

        static let weights: [Double] = [40, 25, 35]
        var directory: String { "/builds/\(rawValue)" }
    }

    private func job(_ launch: inout Launch) {
        let start = launch.time
        let project = Project.allCases[launch.random.index(weightedBy: Project.weights)]
        let branch = Branch.draw(at: start, calendar: calendar, random: &launch.random)
        let helper = RunningContainer(dockerImage: "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-\(versions.gitlabHelper.at(start))",
                               launch: &launch)
        let helperActivity = "GitLab helper container (clone, cache)"
        launch.run(helper.run(Programs.gitRemoteHTTPS(url: "https://gitlab.example.com/\(project.rawValue).git", to: Internet.gitlab, account: .root,
                                                      activity: helperActivity, executable: "/usr/libexec/git-core/git-remote-https")),
                   lasting: .seconds(2...15), parent: helper.shim, source: helper.address)
        let cache = { (verb: String) in
            helper.run(Programs.command("/usr/bin/gitlab-runner-helper", ["gitlab-runner-helper", "cache-\(verb)", "--file",
                                                                          "../../../cache/\(project.rawValue)/default-protected/cache.zip"],
                                        account: .root, connects: [Internet.runnerCache], activity: helperActivity))
        }
        launch.run(cache("extractor"), lasting: .seconds(1...20), parent: helper.shim, source: helper.address)
        let steps = launch.time
        var database: IPAddress?
        if project != .infra {
            database = ServiceContainer.postgres.start(&launch, from: steps - 15 * TimeUnit.second, until: steps + 30 * TimeUnit.minute, published: false)
        }
        switch project {
        case .ledger: ledgerJob(&launch, database: database!)
        case .infra: infraJob(&launch, branch: branch)
        case .etl: etlJob(&launch, database: database!, branch: branch)
        }
        if branch.isMain {
            launch.run(cache("archiver"), lasting: .seconds(2...30), parent: helper.shim, source: helper.address)
        }
    }

    /// The job's shell in the build container waits for the database the way
    /// many pipelines do (`until echo > /dev/tcp/postgres/5432`): bash itself connects.
    private func shell(_ container: RunningContainer, database: IPAddress) -> ProcessSpec {
        var spec = ProcessSpec(image: ProcessImage("/usr/bin/bash", ["/bin/bash"], account: .root),
                               activity: "job shells in build containers (bash /dev/tcp wait loops)")
        spec.opening = Array(repeating: .connect(Endpoint(database, 5432)), count: 2)
        return container.run(spec)
    }

    private func ledgerJob(_ launch: inout Launch, database: IPAddress) {
        let build = RunningContainer(dockerImage: "docker.io/library/maven:3.9-eclipse-temurin-21", launch: &launch)
        let started = launch.time
        let shell = launch.reservePID()
        let activity = "Maven and surefire (java in the temurin image)"
        var maven = ProcessSpec(
            image: ProcessImage("/opt/java/openjdk/bin/java", ["/opt/java/openjdk/bin/java", "-classpath", "/usr/share/maven/boot/plexus-classworlds-2.8.0.jar",
                                                               "-Dclassworlds.conf=/usr/share/maven/bin/m2.conf", "-Dmaven.home=/usr/share/maven",
                                                               "-Dmaven.multiModuleProjectDirectory=\(Project.ledger.directory)",
                                                               "org.codehaus.plexus.classworlds.launcher.Launcher", "-B", "verify"], account: .root),
            activity: activity, traffic: [Traffic(Internet.nexus, chance: 1, connects: 3...8)]
        )
        maven = build.run(maven)
        let mavenPID = launch.reservePID()
        let compiling = launch.time
        launch.pause(.seconds(60...240))
        let booter = "\(Project.ledger.directory)/target/surefire/surefirebooter-\(ScenarioCalendar.compactStamp(launch.time).filter(\.isNumber))_3.jar"
        var surefire = ProcessSpec(image: ProcessImage("/opt/java/openjdk/bin/java", ["/opt/java/openjdk/bin/java", "-jar", booter], account: .root),
                                   activity: activity, traffic: [Traffic(Endpoint(database, 5432), chance: 1, connects: 3...10)])
        if launch.random.chance(0.5) {
            surefire.traffic.append(testcontainers(&launch, from: compiling, until: launch.time + 4 * TimeUnit.minute))
            surefire.activity = Self.testcontainersActivity
        }
        surefire = build.run(surefire)
        launch.run(surefire, lasting: .seconds(60...180), parent: mavenPID, source: build.address)
        launch.start(maven, pid: mavenPID, from: compiling, until: launch.time, parent: shell, source: build.address)
        launch.start(self.shell(build, database: database), pid: shell, from: started, until: launch.time, parent: build.shim, source: build.address)
    }

    private static let testcontainersActivity = "Testcontainers on a docker:dind service (nested containers, ephemeral mapped ports)"

    /// Testcontainers on a `docker:dind` service: the tests ask dind's API for
    /// a postgres and Ryuk, which run in containers nested in dind (unknown to
    /// the host's runtime) behind ports dind maps anew every job; returns the
    /// tests' traffic to dind's API and to those ports.
    private func testcontainers(_ launch: inout Launch, from: Int64, until: Int64) -> Traffic {
        let activity = Self.testcontainersActivity
        let dind = RunningContainer(dockerImage: "docker.io/library/docker:27-dind", launch: &launch)
        let engine = launch.start(dind.run(ProcessSpec(
            image: ProcessImage("/usr/local/bin/dockerd", ["dockerd", "--host=tcp://0.0.0.0:2375", "--host=unix:///var/run/docker.sock"], account: .root),
            activity: activity, opening: [.listen(Endpoint("0.0.0.0", 2375))],
            traffic: [Traffic(Internet.dockerRegistry + Internet.dockerCDN, chance: 1, connects: 1...3)]
        )), from: from, until: until, parent: dind.shim, source: dind.address)
        var mapped: [Endpoint] = [Endpoint(dind.address, 2375)]
        for (executable, arguments, port) in [("/usr/lib/postgresql/16/bin/postgres", ["postgres", "-c", "fsync=off"], UInt16(5432)),
                                              ("/bin/ryuk", ["/bin/ryuk"], UInt16(8080))] {
            let hostPort = UInt16(launch.random.int(in: 32_768...60_999))
            mapped.append(Endpoint(dind.address, hostPort))
            launch.start(dind.run(ProcessSpec(
                image: ProcessImage("/usr/local/bin/docker-proxy", ["docker-proxy", "-proto", "tcp", "-host-ip", "0.0.0.0", "-host-port", "\(hostPort)",
                                                                    "-container-port", "\(port)"], account: .root),
                activity: activity, opening: [.listen(Endpoint("0.0.0.0", hostPort))]
            )), from: from + 20 * TimeUnit.second, until: until, parent: engine, source: dind.address)
            let nested = RunningContainer(image: nil, address: IPAddress(ipv4: 172, 18, 0, UInt8(launch.random.int(in: 2...30))), launch: &launch)
            launch.start(nested.run(ProcessSpec(image: ProcessImage(executable, arguments, account: Account(uid: 999, name: nil)), activity: activity,
                                                opening: [.listen(Endpoint("0.0.0.0", port))])),
                         from: from + 20 * TimeUnit.second, until: until, parent: nested.shim, source: nested.address)
        }
        return Traffic(mapped, chance: 1, connects: 2...6)
    }

    private func infraJob(_ launch: inout Launch, branch: Branch) {
        let time = launch.time + branch.lead
        let build = RunningContainer(dockerImage: "docker.io/hashicorp/terraform:\(versions.terraformImage.at(time))", launch: &launch)
        let activity = "Terraform and its providers (.terraform/providers/…/<version>/)"
        launch.run(build.run(Programs.command("/bin/terraform", ["terraform", "init", "-input=false"], account: .root,
                                              connects: [Internet.terraformRegistry, Internet.hashicorpReleases], activity: activity)),
                   lasting: .seconds(5...40), parent: build.shim, source: build.address)
        let plan = launch.reservePID()
        let planning = launch.time
        let providers = "\(Project.infra.directory)/.terraform/providers/registry.terraform.io"
        let aws = versions.awsProvider.at(time)
        let cloudflare = versions.cloudflareProvider.at(time)
        let end = launch.time + launch.duration(.seconds(30...150))
        for (path, destinations) in [("\(providers)/hashicorp/aws/\(aws)/linux_amd64/terraform-provider-aws_v\(aws)_x5", Internet.awsAPIs),
                                     ("\(providers)/cloudflare/cloudflare/\(cloudflare)/linux_amd64/terraform-provider-cloudflare_v\(cloudflare)",
                                      [Internet.cloudflareAPI])] {
            var provider = ProcessSpec(image: ProcessImage(path, [path], account: .root), activity: activity)
            provider.traffic = [Traffic(destinations, chance: 1, connects: 2...12)]
            launch.start(build.run(provider), from: planning + TimeUnit.second, until: end, parent: plan, source: build.address)
        }
        launch.start(build.run(Programs.command("/bin/terraform", ["terraform", "plan", "-input=false", "-out=plan.cache"], account: .root,
                                                connects: [], activity: activity)),
                     pid: plan, from: planning, until: end, parent: build.shim, source: build.address)
        launch.time = end
    }

    /// The ETL repository's test packages that connect, with their `b<NNN>` and destinations.
    private static func etlPackages(database: IPAddress) -> [(name: String, number: Int, destinations: [Endpoint])] {
        [("extract", 3, [Endpoint(database, 5432)]), ("load", 5, [Endpoint(database, 5432), Internet.awsS3[1]]), ("s3sink", 8, [Internet.awsS3[2]])]
    }

    private func etlJob(_ launch: inout Launch, database: IPAddress, branch: Branch) {
        let build = RunningContainer(dockerImage: "docker.io/library/golang:1.23", launch: &launch)
        let started = launch.time
        let shell = launch.reservePID()
        let modules = launch.random.chance(0.4) ? [launch.random.element(of: Internet.goProxy)] : []
        let goTest = launch.reservePID()
        let testing = launch.time
        launch.pause(.seconds(20...80))
        let directory = "/tmp/go-build" + launch.random.digits(10)
        let layout = branch.layout ?? 0
        for package in Self.etlPackages(database: database) {
            let number = package.number + layout
            let binary = "\(directory)/b\(String(repeating: "0", count: 3 - String(number).count))\(number)/\(package.name).test"
            let spec = Programs.command(binary, [binary, "-test.paniconexit0", "-test.timeout=10m0s"], account: .root,
                                        connects: package.destinations, activity: "go test binaries (/tmp/go-build<N>/b<NNN>/<pkg>.test)")
            launch.run(build.run(spec), lasting: .seconds(1...20), parent: goTest, source: build.address)
        }
        launch.start(build.run(Programs.command("/usr/local/go/bin/go", ["go", "test", "./..."], account: .root, connects: modules,
                                                activity: "Go toolchain in the golang image")),
                     pid: goTest, from: testing, until: launch.time, parent: shell, source: build.address)
        launch.start(self.shell(build, database: database), pid: shell, from: started, until: launch.time, parent: build.shim, source: build.address)
    }
}
