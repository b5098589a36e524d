/// The jobs of the GitHub Actions runner, one at a time on the host, as
/// user `runner` in `/home/runner/work/<repo>/<repo>`: checkout, cache,
/// toolchain setup, then the repository's build and tests, with service
/// containers for those that need a database.
struct GitHubJobs {
    let seed: UInt64
    let calendar: ScenarioCalendar
    let versions: CIVersions

    private static let runner = CIRunner.runner

    /// The runner's queue: jobs back to back in working hours, a nightly
    /// build of every repository at 02:00, a trickle at night and on weekends.
    var queue: JobQueue {
        JobQueue(seed: seed, label: "github jobs", calendar: calendar, meanIdle: idle) { launch in job(&launch) }
    }

    private func idle(at time: Int64) -> Int64 {
        let hour = calendar.hourOfDay(time)
        if (2..<2.75).contains(hour) { return TimeUnit.minute }
        guard calendar.isWeekday(calendar.day(of: time)) else { return 45 * TimeUnit.minute }
        switch hour {
        case 8..<19: return 3 * TimeUnit.minute
        case 6..<8, 19..<23: return 20 * TimeUnit.minute
        default: return 60 * TimeUnit.minute
        }
    }

    private enum Repository: String, CaseIterable {
        case api, web, engine, ml

        static let weights: [Double] = [35, 30, 20, 15]
        var workspace: String { "/home/runner/work/\(rawValue)/\(rawValue)" }
    }

    private func job(_ launch: inout Launch) {
        let start = launch.time
        let repository = Repository.allCases[launch.random.index(weightedBy: Repository.weights)]
        let branch = Branch.draw(at: start, calendar: calendar, random: &launch.random)
        let worker = launch.reservePID()
        launch.run(action("actions/checkout/v4/dist/index.js", at: start, connects: [Internet.githubAPI]), lasting: .seconds(2...6), parent: worker)
        launch.run(Programs.gitRemoteHTTPS(url: "https://github.com/acme/\(repository.rawValue)", to: launch.random.element(of: Internet.github),
                                           account: Self.runner, activity: "git over https (checkout)"), lasting: .seconds(2...20), parent: worker)
        launch.run(action("actions/cache/v4/dist/restore/index.js", at: start, connects: Internet.actionsResults), lasting: .seconds(2...15), parent: worker)
        let steps = launch.time
        switch repository {
        case .api: goJob(&launch, branch: branch, parent: worker)
        case .web: nodeJob(&launch, branch: branch, parent: worker)
        case .engine: rustJob(&launch, branch: branch, parent: worker)
        case .ml: pythonJob(&launch, parent: worker)
        }
        if launch.random.chance(0.5) {
            launch.run(Programs.command("/home/runner/work/_temp/codecov", ["/home/runner/work/_temp/codecov", "upload-process", "--git-service", "github"],
                                        account: Self.runner, connects: [Internet.codecov, Internet.codecov], activity: "codecov uploader"),
                       lasting: .seconds(3...15), parent: worker)
        }
        if branch.isMain {
            launch.run(action("actions/cache/v4/dist/save/index.js", at: start, connects: Internet.actionsResults), lasting: .seconds(3...30), parent: worker)
        }
        let services: [ServiceContainer] = switch repository {
        case .api: [.postgres, .redis]
        case .web, .engine, .ml: [.postgres]
        }
        for service in services {
            service.start(&launch, from: steps - 20 * TimeUnit.second, until: launch.time, published: true)
        }
        let path = "/home/runner/actions-runner/bin.\(versions.runner.at(start))/Runner.Worker"
        launch.start(ProcessSpec(
            image: ProcessImage(path, [path, "spawnclient", "108", "111"], account: Self.runner),
            activity: "GitHub runner (bin.<version>/ after its self-update)",
            opening: [.connect(launch.random.element(of: Internet.actionsBroker))],
            traffic: [Traffic(Internet.actionsResults, chance: 1, connects: 1...3)]
        ), pid: worker, from: start, until: launch.time + TimeUnit.second, parent: 1)
        launch.time += TimeUnit.second
    }

    /// An action's step: the runner's bundled node running `script`, a path under `_actions`.
    private func action(_ script: String, at time: Int64, connects destinations: [Endpoint]) -> ProcessSpec {
        let node = "/home/runner/actions-runner/externals.\(versions.runner.at(time))/node20/bin/node"
        return Programs.command(node, [node, "/home/runner/work/_actions/\(script)"], account: Self.runner,
                                connects: destinations, activity: "GitHub actions (node20 under externals.<runner version>)")
    }

    // MARK: Go

    private static let goPackages: [(name: String, number: Int, destinations: [Endpoint])] = [
        ("api", 1, []), ("store", 12, [Endpoint("127.0.0.1", 5432)]), ("cache", 15, [Endpoint("127.0.0.1", 6379)]),
        ("queue", 17, [Endpoint("127.0.0.1", 6379)]), ("auth", 21, [Internet.googleAPIs]), ("billing", 24, [Internet.stripe[0]]),
        ("notify", 28, [Internet.sendgrid]), ("httpapi", 31, [Endpoint("127.0.0.1", 38_467)]),
    ]

    private func goJob(_ launch: inout Launch, branch: Branch, parent: UInt32) {
        let go = "/home/runner/work/_tool/go/\(versions.go.at(launch.time + branch.lead))/x64/bin/go"
        let toolchain = "Go toolchain (_tool/go/<version>/)"
        launch.run(action("actions/setup-go/v5/dist/setup/index.js", at: launch.time, connects: [Internet.githubAPI]), lasting: .seconds(1...5), parent: parent)
        let modules = launch.random.chance(0.5) ? [launch.random.element(of: Internet.goProxy), Internet.goSum] : []
        launch.run(Programs.command(go, [go, "mod", "download"], account: Self.runner, connects: modules, activity: toolchain),
                   lasting: .seconds(2...40), parent: parent)
        if launch.random.chance(0.3) {
            launch.run(Programs.curl(["-sSfL", "https://raw.githubusercontent.com/golangci/golangci-lint/master/install.sh"], account: Self.runner,
                                     to: Internet.githubObjects[1], activity: "curl in job steps"), lasting: .seconds(1...4), parent: parent)
        }
        launch.pause(.seconds(20...90))
        let goTest = launch.reservePID()
        let build = "/tmp/go-build" + launch.random.digits(10)
        let layout = branch.layout ?? versions.goLayout.at(launch.time)
        for (index, package) in Self.goPackages.enumerated() where !package.destinations.isEmpty {
            let number = package.number + (index >= 2 ? layout : 0)
            let binary = "\(build)/b\(String(repeating: "0", count: 3 - String(number).count))\(number)/\(package.name).test"
            var spec = Programs.command(binary, [binary, "-test.paniconexit0", "-test.timeout=10m0s", "-test.count=1"], account: Self.runner,
                                        connects: package.destinations, activity: "go test binaries (/tmp/go-build<N>/b<NNN>/<pkg>.test)")
            spec.traffic = [Traffic(package.destinations, chance: 0.7, connects: 1...4)]
            launch.run(spec, lasting: .seconds(1...25), parent: goTest)
        }
        if branch.isMain, launch.random.chance(0.3) {
            buildKitSteps(&launch)
        }
    }

    /// `docker buildx build --push`: BuildKit runs each `RUN` in a container of its own, which the runtime's state does not name.
    private func buildKitSteps(_ launch: inout Launch) {
        let activity = "BuildKit steps of docker build (go mod download, apt)"
        for step in [
            Programs.command("/usr/local/go/bin/go", ["go", "mod", "download"], account: .root, connects: [Internet.goProxy[0], Internet.goSum], activity: activity),
            Programs.aptMethod("http", to: Internet.debianMirror, activity: activity),
        ] {
            let container = RunningContainer(dockerImage: nil, launch: &launch)
            launch.run(container.run(step), lasting: .seconds(5...60), parent: container.shim, source: container.address)
        }
    }

    // MARK: Node

    private func nodeJob(_ launch: inout Launch, branch: Branch, parent: UInt32) {
        let tool = "/home/runner/work/_tool/node/\(versions.node.at(launch.time + branch.lead))/x64/bin"
        let workspace = Repository.web.workspace
        let activity = "npm, next, jest (node from _tool/node/<version>/)"
        let node = { (arguments: [String], destinations: [Endpoint]) in
            Programs.command("\(tool)/node", ["node"] + arguments, account: Self.runner, connects: destinations, activity: activity)
        }
        launch.run(action("actions/setup-node/v4/dist/setup/index.js", at: launch.time, connects: [Internet.githubAPI]), lasting: .seconds(1...5), parent: parent)
        var install = node(["\(tool)/npm", "ci"], [])
        install.traffic = [Traffic(Internet.npmRegistry, chance: 1, connects: 3...8)]
        launch.run(install, lasting: .seconds(30...120), parent: parent)
        let turbo = "\(workspace)/node_modules/turbo-linux-64/bin/turbo"
        let build = launch.reservePID()
        let building = launch.time
        launch.run(node(["\(workspace)/node_modules/.bin/next", "build"], Internet.googleFonts), lasting: .seconds(40...150), parent: build)
        launch.start(Programs.command(turbo, ["\(workspace)/node_modules/.bin/turbo", "run", "build", "--cache-dir=.turbo"], account: Self.runner,
                                      connects: [Internet.vercelRemoteCache, Internet.vercelRemoteCache], activity: "turbo (native, in node_modules)"),
                     pid: build, from: building, until: launch.time, parent: parent)
        let jest = launch.reservePID()
        let testing = launch.duration(.seconds(30...120))
        for _ in 0..<2 {
            launch.start(node(["\(workspace)/node_modules/jest-worker/build/workers/processChild.js"], [Endpoint("127.0.0.1", 5432)]),
                         from: launch.time + TimeUnit.second, until: launch.time + testing, parent: jest)
        }
        launch.time += testing
        if launch.random.chance(0.4) {
            launch.run(ProcessSpec(
                image: ProcessImage("\(tool)/node", ["node", "\(workspace)/node_modules/.bin/next", "start", "-p", "3000"], account: Self.runner),
                activity: activity, opening: [.listen(Endpoint("0.0.0.0", 3000)), .listen(Endpoint("::", 3000))]
            ), lasting: .seconds(2...4), parent: parent)
            let revision = versions.chromium.at(launch.time + branch.lead)
            let chrome = "/home/runner/.cache/ms-playwright/chromium-\(revision)/chrome-linux/chrome"
            var browser = Programs.command(chrome, [chrome, "--type=utility", "--utility-sub-type=network.mojom.NetworkService", "--lang=en-US",
                                                    "--headless", "--no-sandbox"], account: Self.runner, connects: [Endpoint("127.0.0.1", 3000)],
                                           activity: "Playwright's Chromium (~/.cache/ms-playwright/chromium-<rev>/)")
            browser.traffic = [Traffic(Internet.googleFonts, chance: 1, connects: 2...5)]
            launch.run(browser, lasting: .seconds(60...240), parent: parent)
        }
    }

    // MARK: Rust

    private func rustJob(_ launch: inout Launch, branch: Branch, parent: UInt32) {
        let home = "/home/runner"
        let workspace = Repository.engine.workspace
        let lock = branch.lock ?? versions.crateLock.at(launch.time)
        launch.run(Programs.command("\(home)/.cargo/bin/rustup", ["rustup", "toolchain", "install", "stable", "--profile", "minimal"],
                                    account: Self.runner, connects: [launch.random.element(of: Internet.rustStatic)], activity: "cargo and rustup"),
                   lasting: .seconds(2...20), parent: parent)
        let registry = launch.random.chance(0.4) ? [launch.random.element(of: Internet.cratesIndex), launch.random.element(of: Internet.cratesStatic)] : []
        let cargo = launch.reservePID()
        let building = launch.time
        launch.pause(.seconds(20...60))
        if launch.random.chance(0.3) {
            let script = "\(workspace)/target/debug/build/ort-sys-\(versions.crateHash("ort-sys-build", lock: lock))/build-script-build"
            launch.run(Programs.command(script, [script], account: Self.runner, connects: [Internet.pykeCDN],
                                        activity: "cargo build scripts and test binaries (target/debug/…-<hash>)"),
                       lasting: .seconds(3...30), parent: cargo)
        }
        launch.pause(.seconds(40...240))
        for (crate, destinations) in [("db_integration", [Endpoint("127.0.0.1", 5432)]), ("s3_roundtrip", Array(Internet.awsS3.prefix(2)))] {
            let binary = "\(workspace)/target/debug/deps/\(crate)-\(versions.crateHash(crate, lock: lock))"
            launch.run(Programs.command(binary, [binary], account: Self.runner, connects: destinations,
                                        activity: "cargo build scripts and test binaries (target/debug/…-<hash>)"),
                       lasting: .seconds(2...40), parent: cargo)
        }
        let toolchain = "\(home)/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin/cargo"
        launch.start(Programs.command(toolchain, ["\(home)/.cargo/bin/cargo", "test", "--locked", "--all-features"], account: Self.runner,
                                      connects: registry, activity: "cargo and rustup"),
                     pid: cargo, from: building, until: launch.time, parent: parent)
    }

    // MARK: Python

    private func pythonJob(_ launch: inout Launch, parent: UInt32) {
        let python = CIVersions.pythonTool
        let tool = "/home/runner/work/_tool/Python/3.12.8/x64/bin"
        let activity = "pip, pytest, pre-commit (python from _tool/Python/<version>/)"
        launch.run(action("actions/setup-python/v5/dist/setup/index.js", at: launch.time, connects: [Internet.githubAPI]), lasting: .seconds(1...5), parent: parent)
        var install = ProcessSpec(image: ProcessImage(python, ["python", "-m", "pip", "install", "-r", "requirements.txt"], account: Self.runner, comm: "python"),
                                  activity: activity)
        install.traffic = [Traffic(Internet.pypi + Internet.pythonHosted, chance: 1, connects: 3...8)]
        launch.run(install, lasting: .seconds(20...90), parent: parent)
        if launch.random.chance(0.3) {
            let hooks = launch.random.chance(0.2) ? [launch.random.element(of: Internet.github)] : []
            launch.run(Programs.command(python, ["\(tool)/python3.12", "\(tool)/pre-commit", "run", "--all-files"], account: Self.runner,
                                        connects: hooks, activity: activity, comm: "pre-commit"),
                       lasting: .seconds(10...60), parent: parent)
        }
        var tests = ProcessSpec(image: ProcessImage(python, ["\(Repository.ml.workspace)/.venv/bin/python", "-m", "pytest", "-q"], account: Self.runner,
                                                    comm: "python"),
                                activity: activity, opening: [.connect(Endpoint("127.0.0.1", 5432))])
        tests.traffic = [Traffic(Internet.huggingFace, chance: 0.4, connects: 1...3)]
        launch.run(tests, lasting: .seconds(30...200), parent: parent)
    }
}
