import RarenetAttribution
import RarenetCapture

// How the kernel's records map onto the process table's inputs, for every
// stage that attributes events (scoring, recording).

extension ProcessIdentity {
    /// The identity of the process a ring-buffer record came from.
    init(_ header: CapturedRecordHeader) {
        self.init(pid: header.pid, startBootNanoseconds: header.processStartBootTimeNanoseconds)
    }
}

extension ProcessExec {
    /// The process-table input for an exec record.
    init(_ record: CapturedExecRecord) {
        self.init(
            identity: ProcessIdentity(record.header),
            timestampNanoseconds: record.header.bootTimeNanoseconds,
            parentPID: record.ppid,
            uid: record.uid,
            comm: record.comm,
            executable: ExecutablePath(path: record.executablePath, isDeleted: record.isExecutableDeleted),
            executableTruncated: record.isPathTruncated,
            argumentBytes: Array(record.arguments.joined(separator: "\0").utf8),
            argumentsTruncated: record.areArgumentsTruncated)
    }
}

extension ProcessExit {
    /// The process-table input for an exit record.
    init(_ record: CapturedExitRecord) {
        self.init(identity: ProcessIdentity(record.header), timestampNanoseconds: record.header.bootTimeNanoseconds)
    }
}
