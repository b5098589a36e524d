/// A way in or out that the benchmark plants, and whether the gate requires it caught.
public enum AttackTechnique: String, Sendable, Hashable, CaseIterable {
    case pythonInlineReverseShell = "reverse shell: python3 -c"
    case bashInteractiveReverseShell = "reverse shell: bash -i >& /dev/tcp"
    case perlInlineReverseShell = "reverse shell: perl -e"
    case miner = "miner from /tmp or /dev/shm"
    case masquerade = "masquerade (a daemon's comm, a dropped binary)"
    case bindShell = "bind shell: nc -lvp"
    case deletedImplant = "implant from a deleted file in /var/tmp"
    case toolInContainer = "tool downloaded into a container"
    case exfiltrationByNewCurlUser = "curl -T by a user who never runs curl"
    case sshByServiceAccount = "ssh run by www-data"
    case pythonBindShell = "bind shell: python3 on 0.0.0.0:8001"
    case scriptReverseShell = "reverse shell from an established python3 script to 443"
    case scriptDynamicPortCallback = "callback from an established python3 script to a public high port"

    /// True for the attacks per-process rarity is expected to catch (the gate
    /// requires every one); false for the blind spots the next detectors
    /// (per user, per listener) are for, measured and reported only.
    public var isGated: Bool {
        switch self {
        case .pythonInlineReverseShell, .bashInteractiveReverseShell, .perlInlineReverseShell, .miner, .masquerade,
             .bindShell, .deletedImplant, .toolInContainer, .scriptDynamicPortCallback:
            true
        case .exfiltrationByNewCurlUser, .sshByServiceAccount, .pythonBindShell, .scriptReverseShell:
            false
        }
    }
}

/// An attack as planted: the processes it ran, and when.
///
/// Its processes have pids no other process has while they run, so an alert
/// belongs to it when its `process.pid` is one of ``pids`` and its time lies
/// within ``start``...``end``.
public struct PlantedAttack: Sendable, Hashable {
    public var technique: AttackTechnique
    /// What exactly ran, for the report.
    public var summary: String
    public internal(set) var pids: [UInt32] = []
    /// The first and last instants of its processes, nanoseconds since the epoch.
    public internal(set) var start: Int64 = .max
    public internal(set) var end: Int64 = .min

    /// True when an alert of process `pid` at `time` is one of this attack's.
    public func owns(pid: UInt32, at time: Int64) -> Bool {
        pids.contains(pid) && (start...end).contains(time)
    }
}
