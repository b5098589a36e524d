import RarenetEvents

/// The sensor's own alert that its detection is degraded, so that an attacker
/// who floods it cannot silently hide what follows the flood.
///
/// It is written by ``ECSAlertEncoder`` as an ECS alert of its own rule, next
/// to the rarity alerts and in the same stream:
///
/// | field              | baseline saturated                   | alert cap suppressing                   |
/// |--------------------|--------------------------------------|-----------------------------------------|
/// | `event.kind`       | `alert`                              | `alert`                                 |
/// | `event.category`   | `["intrusion_detection"]`            | `["intrusion_detection"]`               |
/// | `event.type`       | `["info"]`                           | `["info"]`                              |
/// | `event.action`     | `baseline_saturated`                 | `alert_cap_suppressing`                 |
/// | `rule.name`        | `rarenet: baseline saturated`        | `rarenet: alert cap suppressing`        |
/// | `rule.id`          | `rarenet-baseline-saturated`         | `rarenet-alert-cap-suppressing`         |
/// | `rule.risk_score`  | `47`                                 | `47`                                    |
/// | `rule.severity`    | `medium`                             | `medium`                                |
/// | `message`          | what happened and what to do         | what happened                           |
/// | `rarenet.notice`   | `baseline_saturated`                 | `alert_cap_suppressing`                 |
/// | `rarenet.*`        | `detector`, `fill_ratio`             | `detector`, `cap`, `window_seconds`     |
///
/// plus `@timestamp` and `host.name` when known. The severity is one step
/// above the rarity rule's `low`: a saturated sketch or a suppressing cap
/// means later rare activity may go unreported.
public struct SensorNotice: Sendable, Hashable {
    /// What degraded.
    public enum Kind: Sendable, Hashable {
        /// The detector's count-min sketch is so full that a never-seen key
        /// may look seen. `fillRatio` is the fraction of non-zero counters (0–1).
        case baselineSaturated(fillRatio: Double)
        /// The cap of `cap` alerts per `windowSeconds` is reached: further
        /// alerts in the window are counted as suppressed, not written.
        case alertCapSuppressing(cap: Int, windowSeconds: Int64)
    }

    /// When the sensor noticed (`@timestamp`).
    public var timestamp: EventTimestamp
    public var kind: Kind
    /// The detector concerned (`rarenet.detector`), when it is one detector.
    public var detector: String?
    /// `host.name`.
    public var hostName: String?

    public init(timestamp: EventTimestamp, kind: Kind, detector: String? = nil, hostName: String? = nil) {
        self.timestamp = timestamp
        self.kind = kind
        self.detector = detector
        self.hostName = hostName
    }
}
