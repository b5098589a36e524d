import RarenetAttribution
import RarenetCapture
import RarenetEvents
import RarenetIdentity

// How the kernel's records map onto the process table's inputs, for every
// stage that attributes events (scoring, recording), and how an attributed
// process becomes the facts its key is derived from.

extension ProcessIdentity {
    /// The identity of the process a ring-buffer record came from.
    init(_ header: CapturedRecordHeader) {
        self.init(pid: header.pid, startBootNanoseconds: header.processStartBootTimeNanoseconds)
    }
}

extension FileIdentity {
    /// The executable file a record names; `nil` for a kernel thread.
    init?(_ file: CapturedExecutableFile) {
        guard file.isKnown else { return nil }
        self.init(device: file.device, inode: file.inode)
    }
}

extension ExecutableHint {
    /// What a connect or bind record says its process runs.
    init(_ network: CapturedNetworkRecord) {
        let file = network.executableFile
        self.init(
            file: FileIdentity(file), mountNamespace: file.mountNamespace == 0 ? nil : file.mountNamespace,
            cgroupID: network.cgroupID, parentPID: network.ppid)
    }
}

extension ProcessExec {
    /// The process-table input for an exec record.
    init(_ record: CapturedExecRecord) {
        let file = record.executableFile
        self.init(
            identity: ProcessIdentity(record.header),
            timestampNanoseconds: record.header.bootTimeNanoseconds,
            parentPID: record.ppid,
            uid: record.uid,
            comm: record.comm,
            executable: ExecutablePath(path: record.executablePath, isDeleted: record.isExecutableDeleted),
            executableTruncated: record.isPathTruncated,
            argumentBytes: Array(record.arguments.joined(separator: "\0").utf8),
            argumentsTruncated: record.areArgumentsTruncated,
            executableFile: FileIdentity(file),
            mountNamespace: file.mountNamespace == 0 ? nil : file.mountNamespace,
            cgroupID: record.cgroupID)
    }
}

extension ProcessExit {
    /// The process-table input for an exit record.
    init(_ record: CapturedExitRecord) {
        self.init(identity: ProcessIdentity(record.header), timestampNanoseconds: record.header.bootTimeNanoseconds)
    }
}

/// The facts a process's key is derived from, for one of its connects or binds.
struct AttributedFacts {
    /// What is known of the process.
    let facts: ProcessFacts
    /// False when the facts must not be kept with the process: the table's
    /// record is not the image the task runs (its exec record was lost, so
    /// the facts come from the event's own record), or its container's image
    /// is still being read.
    let describesRecord: Bool

    /// The facts of `process` for `network`, its origin decided by `resolver`
    /// and its container's image by `images`.
    init<Derived>(
        of process: ProcessRecord<Derived>, for network: CapturedNetworkRecord, resolver: ProcessOriginResolver,
        images: ContainerImageResolver?
    ) {
        let runs = FileIdentity(network.executableFile)
        if let runs, let known = process.executableFile, known != runs {
            let namespace = network.executableFile.mountNamespace
            facts = ProcessFacts(
                executable: nil, executableFile: runs, name: network.comm,
                origin: resolver.origin(executable: nil, file: runs, mountNamespace: namespace == 0 ? nil : namespace, container: process.container))
            describesRecord = false
            return
        }
        let executable = process.executable
        var container = process.container
        var imagePending = false
        if let known = container, known.image == nil, let images {
            switch images.image(of: known) {
            case .resolved(let image): container?.image = image
            case .pending: imagePending = true
            }
        }
        facts = ProcessFacts(
            executable: executable?.path,
            executableIsDeleted: executable?.isDeleted ?? false,
            executableFile: process.executableFile ?? runs,
            arguments: process.arguments,
            name: process.name ?? network.comm,
            origin: resolver.origin(
                executable: executable, file: process.executableFile ?? runs,
                mountNamespace: process.mountNamespace, container: container))
        describesRecord = !imagePending
    }
}

extension EventContainer {
    /// The container of a process's origin; `nil` for a host or namespace process.
    init?(_ origin: ProcessOrigin) {
        guard case .container(let container) = origin else { return nil }
        self.init(id: container.id, image: container.image, runtime: container.runtime?.rawValue)
    }
}
