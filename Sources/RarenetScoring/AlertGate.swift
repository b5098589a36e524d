/// Holds back alerts per detector: one alert per novelty, and at most `cap`
/// alerts per window.
///
/// **Episodes.** A key that alerted opens an episode: while it stays in use it
/// is not alerted again. It alerts again only when it has become rarer than
/// when it last alerted (its score is at or above its last alerted score,
/// for example after an absence that let its counts decay), or when it is
/// still over the threshold ``ScoringConfiguration/maximumQuietTime`` after
/// its last alert; never sooner than ``ScoringConfiguration/realertInterval``.
///
/// Memory is bounded: episodes end (are forgotten) once the maximum quiet
/// time has passed since their alert, and at most ``capacity`` are open; past
/// that the oldest is forgotten first, so a flood of novelties can only make
/// an old key alert again, never silence a new one.
struct AlertGate: Sendable {
    /// The most episodes remembered per detector (about 40 bytes each).
    static let capacity = 65_536

    private struct Episode: Sendable {
        var lastAlert: Int64
        var lastScore: Float
    }

    private let realertInterval: Int64
    private let maximumQuietTime: Int64
    private let cap: Int
    private let window: Int64
    private var episodes: [KeyHash: Episode] = [:]
    private var currentWindow: Int64 = .min
    private var admittedInWindow = 0
    private var heldInWindow = 0

    init(configuration: ScoringConfiguration) {
        realertInterval = configuration.realertInterval.nanoseconds
        maximumQuietTime = max(configuration.maximumQuietTime.nanoseconds, realertInterval)
        cap = configuration.alertCap
        window = configuration.alertCapWindow.nanoseconds
    }

    /// The earliest time `key` may be alerted again at `score`, if its
    /// episode is open.
    func realertTime(of key: KeyHash, score: Float) -> Int64? {
        episodes[key].map { episode in
            let wait = score >= episode.lastScore ? realertInterval : maximumQuietTime
            let (time, overflow) = episode.lastAlert.addingReportingOverflow(wait)
            return overflow ? .max : time
        }
    }

    /// Lets the alert of `key` at `score` and `time` pass (`nil`) or says why not.
    mutating func admit(_ key: KeyHash, score: Float, at time: Int64) -> Suppression? {
        let windowIndex = floorDivide(time, window)
        if windowIndex > currentWindow {
            currentWindow = windowIndex
            admittedInWindow = 0
            heldInWindow = 0
            forgetEndedEpisodes(at: time)
        }
        if let realertTime = realertTime(of: key, score: score), time < realertTime {
            return .recentlyAlerted
        }
        guard admittedInWindow < cap else {
            heldInWindow += 1
            return .alertCap(startsWindow: heldInWindow == 1)
        }
        admittedInWindow += 1
        if episodes[key] == nil && episodes.count >= Self.capacity { forgetOldestEpisode() }
        episodes[key] = Episode(lastAlert: time, lastScore: score)
        return nil
    }

    private mutating func forgetEndedEpisodes(at time: Int64) {
        episodes = episodes.filter { time - $0.value.lastAlert < maximumQuietTime }
    }

    private mutating func forgetOldestEpisode() {
        if let oldest = episodes.min(by: { $0.value.lastAlert < $1.value.lastAlert }) {
            episodes[oldest.key] = nil
        }
    }
}
