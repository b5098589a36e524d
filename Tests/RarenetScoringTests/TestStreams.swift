import Foundation
import RarenetEvents
import RarenetTestSupport
@testable import RarenetScoring

/// Times and events for the scorer tests.
enum TestTime {
    /// 2026-01-01T00:00:00Z, a midnight, so day buckets start with the stream.
    static let origin: Int64 = 1_767_225_600 * 1_000_000_000
    static let minute: Int64 = 60 * 1_000_000_000
    static let bucket: Int64 = 15 * minute
    static let day: Int64 = 24 * 60 * minute

    static func at(day: Int64 = 0, minutes: Int64 = 0, seconds: Int64 = 0) -> EventTimestamp {
        EventTimestamp(nanosecondsSinceEpoch: origin + day * Self.day + minutes * minute + seconds * 1_000_000_000)
    }
}

extension ScoringEvent {
    /// A connect from process `name` (executable `/usr/bin/name`) at `time`.
    static func connect(
        _ configuration: ScoringConfiguration, _ name: String, at time: EventTimestamp,
        to destination: String = "192.0.2.10", port: UInt16 = 443, uid: UInt32 = 1000, pid: UInt32 = 4242
    ) -> ScoringEvent {
        ScoringEvent(
            timestamp: time, action: .connect,
            process: configuration.processKey(executable: "/usr/bin/\(name)", comm: name, user: nil),
            pid: pid, uid: uid, destinationAddress: IPAddress(destination), destinationPort: port
        )
    }
}

extension RarityScorer {
    /// Scores `event` and returns its verdicts.
    mutating func verdicts(_ event: ScoringEvent) -> [Verdict] {
        var verdicts: [Verdict] = []
        score(event) { verdicts.append($0) }
        return verdicts
    }

    /// The verdict of `detector` for `event`, if it scored the event.
    mutating func verdict(_ event: ScoringEvent, detector: Detector = .rareProcess) -> Verdict? {
        verdicts(event).first { $0.detector == detector }
    }
}

extension Verdict {
    var alert: Alert? {
        if case .alert(let alert) = decision { alert } else { nil }
    }
}

/// A realistic multi-day process stream: daemons in every bucket, periodic
/// jobs, nightly jobs, a Zipf-distributed tail of interactive processes and a
/// trickle of never-seen ones. Events within a bucket are shuffled.
struct ProcessStream {
    struct Event {
        let time: Int64
        let name: String
    }

    static func generate(days: Int, seed: UInt64, eventsPerBucket: Int = 120) -> [Event] {
        var generator = SplitMix64(seed: seed)
        let periodic = (0..<400).map { (name: "periodic-\($0)", period: Int.random(in: 2...96, using: &generator)) }
        let nightly = (0..<40).map { (name: "nightly-\($0)", bucket: Int.random(in: 0..<96, using: &generator)) }
        let tail = ZipfDistribution(count: 4000, exponent: 1.1)
        var events: [Event] = []
        var fresh = 0
        for bucket in 0..<(days * 96) {
            var names = (0..<150).map { "daemon-\($0)" }
            names += periodic.filter { bucket % $0.period == 0 }.map(\.name)
            names += nightly.filter { bucket % 96 == $0.bucket }.map(\.name)
            names += (0..<eventsPerBucket).map { _ in "tool-\(tail.sample(using: &generator))" }
            for _ in 0..<Int.random(in: 0...2, using: &generator) {
                fresh += 1
                names.append("fresh-\(fresh)")
            }
            names.shuffle(using: &generator)
            let start = TestTime.origin + Int64(bucket) * TestTime.bucket
            let step = TestTime.bucket / Int64(names.count + 1)
            for (index, name) in names.enumerated() {
                events.append(Event(time: start + Int64(index + 1) * step, name: name))
            }
        }
        return events
    }
}

/// The exact scorer of DESIGN.md with dictionaries: the reference the sketch
/// scorer must agree with. Written independently of the module's code.
struct ExactRarityReference {
    private struct Scale {
        let span: Int64
        let decay: Double
        var current: Int64?
        var total = 0.0
        var counts: [String: Double] = [:]
        var present: Set<String> = []
    }

    private var scales: [Scale]

    init(spans: [Int64] = [TestTime.bucket, TestTime.day], halfLife: Int64 = 14 * TestTime.day) {
        scales = spans.map { Scale(span: $0, decay: pow(2, -Double($0) / Double(halfLife))) }
    }

    /// The key's score against the completed buckets, then marks it present.
    mutating func score(_ key: String, at time: Int64) -> Double {
        var lowest = Double.infinity
        for index in scales.indices {
            let bucket = Int64((Double(time) / Double(scales[index].span)).rounded(.down))
            var scale = scales[index]
            if scale.current == nil { scale.current = bucket }
            while scale.current! < bucket {
                for (name, count) in scale.counts { scale.counts[name] = count * scale.decay }
                for name in scale.present { scale.counts[name, default: 0] += 1 }
                scale.present.removeAll()
                scale.total = scale.total * scale.decay + 1
                scale.current! += 1
            }
            let seen = scale.counts[key] ?? 0
            let q = (seen + 0.5) / (scale.total + 1)
            let qNew = 0.5 / (scale.total + 1)
            lowest = min(lowest, 100 * min(max(log(q) / log(qNew), 0), 1))
            scale.present.insert(key)
            scales[index] = scale
        }
        return lowest
    }

    /// The exact decayed count of `key` at scale `index`.
    func count(_ key: String, scale index: Int) -> Double {
        scales[index].counts[key] ?? 0
    }
}
