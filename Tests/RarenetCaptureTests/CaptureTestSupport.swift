import Foundation
import Testing

/// The real path of `path`, symbolic links resolved.
func realPath(_ path: String) -> String {
    URL(fileURLWithPath: path).resolvingSymlinksInPath().path
}

/// A directory under the system's temporary directory, removed with its contents on deinit.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("rarenet-capture-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Copies `source` into the directory as an executable named `name`.
    func copy(_ source: String, as name: String) throws -> String {
        let destination = path + "/" + name
        try FileManager.default.copyItem(atPath: source, toPath: destination)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: destination)
        return destination
    }
}

extension Array {
    /// The one element matching `predicate`; `nil` (and a recorded issue) if there are none or several.
    func only(_ predicate: (Element) -> Bool) -> Element? {
        let matches = filter(predicate)
        #expect(matches.count == 1, "expected exactly one matching element, found \(matches.count)")
        return matches.count == 1 ? matches[0] : nil
    }
}
