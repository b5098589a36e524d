import RarenetEvents

/// One process from its start to its end, and the events it makes.
struct ProcessRun {
    var pid: UInt32
    var ppid: UInt32
    var image: ProcessImage
    var start: Int64
    var end: Int64
    /// The address its connects leave from (the host's, a pod's, a container's).
    var source: IPAddress
    var opening: [Socket]
    var traffic: [Traffic]
    var truth: Truth
    /// The process's own draws: its events do not depend on other processes'.
    var random: ScenarioRandom

    /// Appends the events it makes in `window`: the sockets it opens when it
    /// starts there, then, for each of its traffic kinds, the connects of the
    /// bucket (a window is one 15-minute bucket).
    mutating func appendEvents(in window: Range<Int64>, host: HostSimulation, into events: inout [ScenarioEvent]) {
        if window.contains(start) {
            var time = start
            for socket in opening {
                time = min(time + random.int64(in: TimeUnit.millisecond..<400 * TimeUnit.millisecond), window.upperBound - 1)
                switch socket {
                case .listen(let endpoint): events.append(event(at: time, .bind, local: endpoint, remote: nil))
                case .connect(let endpoint): events.append(connect(at: time, to: endpoint))
                }
            }
        }
        let from = max(start, window.lowerBound)
        let to = min(end, window.upperBound)
        guard from < to else { return }
        for kind in traffic {
            let level = kind.followsLoad ? host.load.level(at: from, in: host.calendar) : 1
            guard random.chance(kind.chance * level) else { continue }
            for _ in 0..<random.int(in: kind.connects) {
                events.append(connect(at: random.int64(in: from..<to), to: random.element(of: kind.destinations)))
            }
        }
    }

    private mutating func connect(at time: Int64, to destination: Endpoint) -> ScenarioEvent {
        let port = UInt16(random.int(in: 32_768...60_999))
        return event(at: time, .connect, local: Endpoint(source, port, destination.transport), remote: destination)
    }

    private func event(at time: Int64, _ action: NetworkAction, local: Endpoint, remote: Endpoint?) -> ScenarioEvent {
        ScenarioEvent(time: time, action: action, pid: pid, ppid: ppid, image: image, local: local, remote: remote, truth: truth)
    }
}
