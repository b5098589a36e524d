import Logging
import RarenetAlerts
import RarenetAttribution
import RarenetCapture
import RarenetConfig
import RarenetEvents
import RarenetIdentity
import RarenetScoring

/// Turns the scorer's alerts into ECS alert lines, enriched with what the
/// rule's triage guide asks for, and writes them to the alert sink.
///
/// Enrichment reads /proc (working directory, full arguments, user name) only
/// for an alert, once per process, and tolerates a process that is gone: what
/// cannot be known is left out of the line, never invented.
final class AlertOutput: Sendable {
    private let sink: LineSink
    private let hostName: String?
    /// The scorer's port classes, to say which class a rare_port alert's key was.
    private let destinationPorts: DestinationPortKeys
    private let logger: Logger

    init(sink: LineSink, hostName: String?, destinationPorts: DestinationPortKeys, logger: Logger) {
        self.sink = sink
        self.hostName = hostName
        self.destinationPorts = destinationPorts
        self.logger = logger
    }

    /// Writes the alert for `event`, raised by `alert`, with the details of its process.
    func write(_ alert: Alert, for event: AttributedEvent, at timestamp: EventTimestamp, table: ScoringProcessTable) {
        let network = event.record, process = event.process
        table.loadDetails(of: process)
        let record = AlertRecord(
            timestamp: timestamp,
            action: network.action,
            process: AlertProcess(
                pid: network.header.pid,
                name: event.scored.name,
                executable: process.executable?.displayName,
                arguments: process.arguments.isEmpty ? nil : process.arguments,
                workingDirectory: process.workingDirectory,
                parentPID: network.ppid),
            user: AlertUser(id: network.uid, name: process.userName),
            source: AlertEndpoint(ip: network.sourceAddress, port: network.sourcePort),
            destination: network.destinationAddress.map { AlertEndpoint(ip: $0, port: network.destinationPort) },
            transport: network.transport,
            networkType: network.family,
            hostName: hostName,
            container: EventContainer(event.scored.origin),
            rarity: RarityAssessment(
                alert, scale: DurationSyntax.format(alert.scale), processKey: event.scored.keyText,
                portClass: network.destinationPort.flatMap { destinationPorts.dynamicClass(of: $0, destination: network.destinationAddress) }))
        write(ECSAlertEncoder.line(for: record))
    }

    /// Writes a notice that the sensor's detection degraded (saturated sketch, alert cap).
    func writeNotice(_ kind: SensorNotice.Kind, detector: Detector, at timestamp: EventTimestamp) {
        let notice = SensorNotice(timestamp: timestamp, kind: kind, detector: detector.rawValue, hostName: hostName)
        write(ECSAlertEncoder.line(for: notice))
    }

    /// Reopens the alert file after log rotation (SIGHUP).
    func reopen() {
        do {
            try sink.reopen()
            logger.info("reopened the alert file")
        } catch {
            logger.error("cannot reopen the alert file; still writing to the old one", metadata: ["error": "\(error)"])
        }
    }

    private func write(_ line: String) {
        // The encoder's line ends with its newline; the sink adds its own and
        // refuses a line that holds one.
        let content = line.utf8.last == UInt8(ascii: "\n") ? line.utf8.dropLast() : line.utf8[...]
        do {
            try sink.write(line: content)
        } catch {
            logger.error("cannot write an alert", metadata: ["error": "\(error)", "alert": "\(line)"])
        }
    }
}
