import Foundation
import Testing
import RarenetEvents

@Suite struct EventLineReaderTests {
    static let good = #"{"ts":1,"action":"connect","pid":1,"uid":0,"comm":"a"}"#

    /// Writes `contents` to a fresh temporary file and reads it back with a reader.
    static func read(_ contents: [UInt8], maximumLineLength: Int) throws -> [Result<NetworkEvent, BadEventLine>] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rarenet-reader-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("events.jsonl").path
        try Data(contents).write(to: URL(fileURLWithPath: path))
        var reader = try EventLineReader(path: path, maximumLineLength: maximumLineLength)
        var results: [Result<NetworkEvent, BadEventLine>] = []
        while let line = try reader.next() {
            results.append(line.mapError { BadEventLine(source: "events.jsonl", lineNumber: $0.lineNumber, error: $0.error) })
        }
        return results
    }

    @Test func reportsBadLinesWithTheirNumbersAndKeepsTheRest() throws {
        let text = [
            Self.good,
            "",
            #"{"ts":1,"action":"connect","pid":1,"uid":0,"comm":"a","dport":70000}"#,
            "   \r",
            "not json",
            Self.good.replacingOccurrences(of: "\"a\"", with: "\"b\"") + "\r",
        ].joined(separator: "\n")
        let results = try Self.read(Array(text.utf8), maximumLineLength: 1024)
        #expect(results.count == 4)
        #expect(try results[0].get().comm == "a")
        #expect(results[1].failure?.description == #"events.jsonl:3: field "dport": 70000 is not a port (0–65535)"#)
        #expect(results[2].failure?.description == "events.jsonl:5: column 1: expected '{' at the start of the line")
        #expect(try results[3].get().comm == "b")
    }

    @Test func treatsAnOverlongLineAsOneBadLineWithoutKeepingIt() throws {
        let long = #"{"ts":1,"comm":""# + String(repeating: "x", count: 1_000_000) + #""}"#
        let text = [Self.good, long, Self.good, String(repeating: "y", count: 300)].joined(separator: "\n")
        let results = try Self.read(Array(text.utf8), maximumLineLength: 256)
        #expect(results.count == 4)
        #expect((try? results[0].get()) != nil)
        #expect(results[1].failure?.description == "events.jsonl:2: line is longer than 256 bytes")
        #expect((try? results[2].get()) != nil)
        #expect(results[3].failure?.description == "events.jsonl:4: line is longer than 256 bytes")
    }

    @Test func acceptsALineOfExactlyTheLimit() throws {
        let padded = Self.good.dropLast() + String(repeating: " ", count: 256 - Self.good.utf8.count) + "}"
        #expect(padded.utf8.count == 256)
        let results = try Self.read(Array((padded + "\n" + padded).utf8), maximumLineLength: 256)
        #expect(results.count == 2)
        #expect(results.allSatisfy { (try? $0.get()) != nil })
    }

    @Test func readsManyLinesAcrossBufferBoundaries() throws {
        var text = ""
        for pid in 0..<20_000 {
            text += #"{"ts":\#(pid),"action":"bind","pid":\#(pid),"uid":0,"comm":"p"}"# + "\n"
        }
        let results = try Self.read(Array(text.utf8), maximumLineLength: 100)
        #expect(results.count == 20_000)
        #expect(results.enumerated().allSatisfy { index, result in (try? result.get())?.pid == UInt32(index) })
    }

    @Test func namesAFileThatCannotBeOpened() {
        #expect(throws: EventFileError(source: "/nonexistent/events.jsonl", operation: "open", code: ENOENT)) {
            _ = try EventLineReader(path: "/nonexistent/events.jsonl")
        }
        let error = EventFileError(source: "/nonexistent/events.jsonl", operation: "open", code: ENOENT)
        #expect(error.description == "/nonexistent/events.jsonl: cannot open: No such file or directory")
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
