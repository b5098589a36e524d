import Foundation
import RarenetEvents
import RarenetTestSupport
import Testing

@Suite("LineSink")
struct LineSinkTests {
    static func contents(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test("a new alert file is created 0600 and every line is on disk as soon as write returns")
    func createsPrivateFileAndWritesThrough() throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/alerts.jsonl"
        let sink = try LineSink(path: path)
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o7777 == 0o600)

        try sink.write(line: #"{"event":{"kind":"alert"},"n":1}"#)
        #expect(try Self.contents(path) == "{\"event\":{\"kind\":\"alert\"},\"n\":1}\n")
        try sink.write(line: Array(#"{"n":2}"#.utf8))
        try sink.write(line: #"{"n":3}"#.utf8)
        #expect(try Self.contents(path) == "{\"event\":{\"kind\":\"alert\"},\"n\":1}\n{\"n\":2}\n{\"n\":3}\n")
    }

    @Test("an existing file is appended to, never truncated")
    func appends() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("{\"old\":true}\n", to: "alerts.jsonl")
        try LineSink(path: path).write(line: "{\"new\":true}")
        #expect(try Self.contents(path) == "{\"old\":true}\n{\"new\":true}\n")
    }

    @Test("reopen after rotation: lines go to a fresh file at the path, the rotated one keeps the old lines")
    func reopenAfterRotation() throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/alerts.jsonl"
        let sink = try LineSink(path: path)
        try sink.write(line: "{\"n\":1}")
        #expect(rename(path, path + ".1") == 0)
        try sink.write(line: "{\"n\":2}")  // before SIGHUP: still the rotated file
        try sink.reopen()
        try sink.write(line: "{\"n\":3}")
        #expect(try Self.contents(path + ".1") == "{\"n\":1}\n{\"n\":2}\n")
        #expect(try Self.contents(path) == "{\"n\":3}\n")
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o7777 == 0o600)
    }

    @Test("a reopen that fails keeps writing to the old file")
    func failedReopenKeepsOldFile() throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/alerts.jsonl"
        let sink = try LineSink(path: path)
        #expect(rename(path, "\(directory.path)/kept.jsonl") == 0)
        #expect(symlink("/nonexistent", path) == 0)  // O_NOFOLLOW refuses it
        #expect(throws: LineSinkError.self) { try sink.reopen() }
        try sink.write(line: "{\"n\":1}")
        #expect(try Self.contents("\(directory.path)/kept.jsonl") == "{\"n\":1}\n")
    }

    @Test("a symlink at the path is refused, with the path and reason")
    func symlinkIsRefused() throws {
        let directory = try TemporaryDirectory()
        let target = try directory.write("", to: "target")
        let path = "\(directory.path)/alerts.jsonl"
        #expect(symlink(target, path) == 0)
        let error = #expect(throws: LineSinkError.self) { try LineSink(path: path) }
        #expect(error?.description == "cannot open \(path): Too many levels of symbolic links")
    }

    @Test("a line with a newline is refused and nothing is written")
    func newlineIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/alerts.jsonl"
        let sink = try LineSink(path: path)
        #expect(throws: LineSinkError.lineContainsNewline) { try sink.write(line: "{\"a\":1}\n{\"b\":2}") }
        #expect(try Self.contents(path) == "")
    }

    @Test("a batch of whole lines goes out in one write; a batch that would cut a line is refused")
    func batchOfLines() throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/events.jsonl"
        let sink = try LineSink(path: path)
        try sink.write(lines: Array("{\"n\":1}\n{\"n\":2}\n".utf8))
        try sink.write(lines: [])
        #expect(throws: LineSinkError.unterminatedLine) { try sink.write(lines: Array("{\"n\":3}\n{\"n\"".utf8)) }
        #expect(try Self.contents(path) == "{\"n\":1}\n{\"n\":2}\n")
    }

    @Test("lines written from many threads at once never interleave")
    func concurrentLinesStayWhole() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/alerts.jsonl"
        let sink = try LineSink(path: path)
        let payload = String(repeating: "x", count: 3000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for index in 0..<50 { try sink.write(line: "{\"w\":\(writer),\"i\":\(index),\"p\":\"\(payload)\"}") }
                }
            }
            try await group.waitForAll()
        }
        let lines = try Self.contents(path).split(separator: "\n")
        #expect(lines.count == 400)
        #expect(lines.allSatisfy { $0.hasPrefix("{\"w\":") && $0.hasSuffix("\(payload)\"}") })
    }
}
