/// The hosts the detection benchmark replays, each a realistic server of its kind.
public enum ServerProfile: String, Sendable, Hashable, CaseIterable {
    /// nginx and a release-deployed app server, JVM services, package
    /// upgrades, snaps, cron and timer jobs, people on weekdays, an on-call weekend.
    case webServer = "web-server"
    /// A build host running GitHub Actions jobs on the host and GitLab jobs in
    /// Docker: compilers, package managers, test binaries, service containers.
    case ciRunner = "ci-runner"
    /// A Kubernetes (RKE2) worker: kubelet, containerd, daemonsets, cronjob
    /// pods every few minutes, rollouts, autoscaling, a node upgrade.
    case kubernetesNode = "kubernetes-node"

    /// The events of one host of this profile over `days` days; the same seed
    /// gives the same events.
    public func stream(seed: UInt64, days: Int) -> ScenarioStream {
        let calendar = ScenarioCalendar(days: days)
        let seed = seed ^ ScenarioRandom.stableHash(rawValue)
        switch self {
        case .webServer: return WebServer(seed: seed, calendar: calendar).stream()
        case .ciRunner: return CIRunner(seed: seed, calendar: calendar).stream()
        case .kubernetesNode: return KubernetesNode(seed: seed, calendar: calendar).stream()
        }
    }
}
