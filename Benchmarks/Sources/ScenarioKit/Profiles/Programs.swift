/// The accounts of an Ubuntu host's system services.
enum SystemAccounts {
    static let wwwData = Account(uid: 33, name: "www-data")
    static let apt = Account(uid: 42, name: "_apt")
    static let nobody = Account(uid: 65_534, name: "nobody")
    static let systemdResolve = Account(uid: 991, name: "systemd-resolve")
    static let chrony = Account(uid: 112, name: "_chrony")
    static let prometheus = Account(uid: 113, name: "prometheus")
    static let fwupdRefresh = Account(uid: 61_873, name: "fwupd-refresh")
}

/// The programs people and timers run, as the sensor sees them.
enum Programs {
    /// A program that connects to `destinations` once each, right after it starts.
    static func command(
        _ executable: String, _ arguments: [String], account: Account, connects destinations: [Endpoint], activity: String,
        comm: String? = nil, container: Container? = nil
    ) -> ProcessSpec {
        ProcessSpec(
            image: ProcessImage(executable, arguments, account: account, comm: comm, container: container),
            activity: activity, opening: destinations.map(Socket.connect)
        )
    }

    /// `python3 SCRIPT ARGS…` on the host: `/usr/bin/python3` is a link to
    /// `python3.12`, so the kernel's executable is `python3.12` and `comm` is
    /// `python3`; a script whose `#!` line names `python3` looks the same but
    /// for `comm`, the script's name.
    static func python(_ script: String, _ arguments: [String] = [], account: Account, activity: String, comm: String = "python3") -> ProcessSpec {
        ProcessSpec(
            image: ProcessImage("/usr/bin/python3.12", ["/usr/bin/python3", script] + arguments, account: account, comm: comm),
            activity: activity
        )
    }

    /// `curl ARGS…` connecting to `destination`.
    static func curl(_ arguments: [String], account: Account, to destination: Endpoint, activity: String) -> ProcessSpec {
        command("/usr/bin/curl", ["curl"] + arguments, account: account, connects: [destination], activity: activity)
    }

    /// `ssh` to `destination`, running `remoteCommand` there.
    static func ssh(account: Account, to destination: Endpoint, remoteCommand: [String] = [], activity: String) -> ProcessSpec {
        command("/usr/bin/ssh", ["ssh", destination.address.description] + remoteCommand, account: account,
                connects: [destination], activity: activity)
    }

    /// git's HTTPS transport, the process of a fetch, pull or clone that connects.
    static func gitRemoteHTTPS(
        url: String, to destination: Endpoint, account: Account, activity: String,
        executable: String = "/usr/lib/git-core/git-remote-https", container: Container? = nil
    ) -> ProcessSpec {
        command(executable, ["git-remote-https", "origin", url], account: account, connects: [destination],
                activity: activity, comm: "git-remote-https", container: container)
    }

    /// One of apt's download methods (`http`, or `https`, a link to it), run as `_apt`.
    static func aptMethod(_ scheme: String, to destinations: [Endpoint], activity: String, container: Container? = nil) -> ProcessSpec {
        command("/usr/lib/apt/methods/http", ["/usr/lib/apt/methods/\(scheme)"], account: SystemAccounts.apt,
                connects: destinations, activity: activity, comm: scheme, container: container)
    }

    /// `nc -zv HOST PORT` (OpenBSD netcat: `/usr/bin/nc` is a link to `nc.openbsd`).
    static func netcatProbe(account: Account, to destination: Endpoint, activity: String) -> ProcessSpec {
        command("/usr/bin/nc.openbsd", ["nc", "-zv", destination.address.description, String(destination.port)],
                account: account, connects: [destination], activity: activity, comm: "nc")
    }
}
