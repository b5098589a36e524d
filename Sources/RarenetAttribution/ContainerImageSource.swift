import RarenetIdentity
#if canImport(Glibc)
import Glibc
#endif

/// Reads the image a container runs from its runtime's own state on the host:
///
/// | runtime | file | field |
/// |---|---|---|
/// | Docker | `/var/lib/docker/containers/<id>/config.v2.json` | `Config.Image` |
/// | containerd (Kubernetes CRI) | `/run/containerd/io.containerd.runtime.v2.task/k8s.io/<id>/config.json` | annotation `io.kubernetes.cri.image-name` |
/// | CRI-O | `/run/containers/storage/overlay-containers/<id>/userdata/config.json` | annotation `io.kubernetes.cri-o.ImageName` |
///
/// Podman's state does not name the image in a form read here, so its
/// containers have none. A file that is missing, unreadable, larger than
/// ``maximumFileSize`` or without the field gives no image: never an error.
/// Blocking file I/O: call it off the scoring thread.
public struct ContainerImageSource: Sendable {
    /// Prepended to every path: empty on a host, a fixture directory in tests.
    public let root: String

    /// The largest state file read, in bytes.
    public static let maximumFileSize = 1 << 20

    public init(root: String = "") {
        self.root = root
    }

    /// The image reference of `container`, when its runtime's state names it.
    public func image(of container: ContainerIdentity) -> String? {
        guard ContainerCgroup.isContainerID(Substring(container.id)), let runtime = container.runtime else { return nil }
        let id = container.id
        switch runtime {
        case .docker:
            guard let text = read("/var/lib/docker/containers/\(id)/config.v2.json"),
                  let config = text.firstRange(of: "\"Config\":") else { return nil }
            return JSONStringField.value(of: "Image", in: text[config.upperBound...])
        case .containerd:
            return read("/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(id)/config.json")
                .flatMap { JSONStringField.value(of: "io.kubernetes.cri.image-name", in: Substring($0)) }
        case .crio:
            return read("/run/containers/storage/overlay-containers/\(id)/userdata/config.json")
                .flatMap { JSONStringField.value(of: "io.kubernetes.cri-o.ImageName", in: Substring($0)) }
        case .podman:
            return nil
        }
    }

    /// The text of a regular file of at most ``maximumFileSize`` bytes.
    private func read(_ path: String) -> String? {
        let descriptor = open(root + path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG, Int(status.st_size) <= Self.maximumFileSize else {
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var count = 0
        while count < bytes.count {
            let result = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if result > 0 { count += result } else if result == 0 || errno != EINTR { break }
        }
        return String(decoding: bytes.prefix(count), as: UTF8.self)
    }
}

/// Finds the string value of a member in JSON text without parsing the whole
/// document: the first `"name"` followed by `:` and a string. Enough for
/// the runtimes' state files, whose image members are plain strings.
enum JSONStringField {
    /// The value of the first member `name` in `text` whose value is a string, unescaped.
    static func value(of name: String, in text: Substring) -> String? {
        let key = "\"\(name)\""
        var rest = text
        while let found = rest.firstRange(of: key) {
            rest = rest[found.upperBound...]
            let afterColon = rest.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
            guard afterColon.first == ":" else { continue }
            let value = afterColon.dropFirst().drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
            guard value.first == "\"" else { continue }
            var result = ""
            var escaped = false
            for character in value.dropFirst() {
                if escaped {
                    result.append(character == "n" ? "\n" : character == "t" ? "\t" : character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    return result.isEmpty ? nil : result
                } else {
                    result.append(character)
                }
            }
            return nil
        }
        return nil
    }
}
