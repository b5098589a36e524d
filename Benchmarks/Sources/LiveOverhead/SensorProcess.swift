#if canImport(Glibc)
import Glibc
#endif

/// A `rarenet run` child process, and what the kernel says it cost.
final class SensorProcess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let pid: pid_t

    /// Starts `executable run --attach tracepoint --alerts alertsPath --state stateDirectory
    /// --metrics-address 127.0.0.1:metricsPort`, then `options` (e.g. `--learning-period 0s`).
    init(executable: String, alertsPath: String, stateDirectory: String, metricsPort: UInt16, options: [String]) throws {
        let arguments = [
            executable, "run", "--attach", "tracepoint", "--alerts", alertsPath, "--state", stateDirectory,
            "--metrics-address", "127.0.0.1:\(metricsPort)",
        ] + options
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var child = pid_t()
        let status = posix_spawn(&child, executable, nil, nil, &cArguments, environ)
        guard status == 0 else { throw Failure(description: "cannot start \(executable): \(String(cString: strerror(status)))") }
        pid = child
    }

    /// User plus system CPU seconds the process has used (/proc/<pid>/stat fields 14 and 15).
    func cpuSeconds() throws -> Double {
        guard let file = fopen("/proc/\(pid)/stat", "r") else {
            throw Failure(description: "sensor process \(pid) is gone")
        }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 4096)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { throw Failure(description: "cannot read /proc/\(pid)/stat") }
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Fields after the parenthesised command name, which may itself contain spaces.
        guard let close = line.lastIndex(of: ")") else { throw Failure(description: "unexpected /proc/\(pid)/stat") }
        let fields = line[line.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw Failure(description: "unexpected /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Sends SIGTERM and waits for the process to exit.
    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
