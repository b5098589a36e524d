/// Holds back alerts per detector: a key is not re-alerted within the
/// re-alert interval, and at most `cap` alerts pass per window.
///
/// Memory is bounded: the alerted keys are pruned at every window change to
/// those still inside the re-alert interval, at most `cap` per window.
struct AlertGate: Sendable {
    private let realertInterval: Int64
    private let cap: Int
    private let window: Int64
    private var lastAlerted: [KeyHash: Int64] = [:]
    private var currentWindow: Int64 = .min
    private var admittedInWindow = 0
    private var heldInWindow = 0

    init(configuration: ScoringConfiguration) {
        realertInterval = configuration.realertInterval.nanoseconds
        cap = configuration.alertCap
        window = configuration.alertCapWindow.nanoseconds
    }

    /// The earliest time `key` may be alerted again, if it was alerted within
    /// the re-alert interval of the last ``admit(_:at:)``.
    func realertTime(of key: KeyHash) -> Int64? {
        lastAlerted[key].map { last in
            let (time, overflow) = last.addingReportingOverflow(realertInterval)
            return overflow ? .max : time
        }
    }

    /// Lets the alert of `key` at `time` pass (`nil`) or says why not.
    mutating func admit(_ key: KeyHash, at time: Int64) -> Suppression? {
        let windowIndex = floorDivide(time, window)
        if windowIndex > currentWindow {
            currentWindow = windowIndex
            admittedInWindow = 0
            heldInWindow = 0
            lastAlerted = lastAlerted.filter { time - $0.value < realertInterval }
        }
        if let last = lastAlerted[key], time - last < realertInterval {
            return .recentlyAlerted
        }
        guard admittedInWindow < cap else {
            heldInWindow += 1
            return .alertCap(startsWindow: heldInWindow == 1)
        }
        admittedInWindow += 1
        lastAlerted[key] = time
        return nil
    }
}
