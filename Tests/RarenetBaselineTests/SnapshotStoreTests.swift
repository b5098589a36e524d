import Foundation
import RarenetBaseline
import RarenetTestSupport
import Testing

/// A fresh private directory, removed when the test is done.
final class ScratchDirectory {
    let path: String

    init() throws {
        var template = Array("\(NSTemporaryDirectory())rarenet-store-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: try #require(created))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func child(_ name: String) -> String { path + "/" + name }

    func mode(of path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    func entries(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }
}

/// A decoder standing in for the scorer's: accepts snapshots that start with "RNB1".
struct TestDecodeError: Error, CustomStringConvertible {
    var description: String { "bad magic" }
}

func decodeTestSnapshot(_ bytes: [UInt8]) throws -> [UInt8] {
    guard bytes.starts(with: Array("RNB1".utf8)) else { throw TestDecodeError() }
    return bytes
}

@Suite struct SnapshotStoreTests {
    static let snapshot = Array("RNB1".utf8) + (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }

    @Test func roundTripsAndCreatesPrivateFiles() throws {
        let scratch = try ScratchDirectory()
        let state = scratch.child("state")
        let store = try SnapshotStore(directory: state)
        #expect(try scratch.mode(of: state) == 0o700)
        #expect(try store.load() == nil)
        try store.save(Self.snapshot)
        #expect(try store.load() == Self.snapshot)
        #expect(store.snapshotPath == state + "/baseline.snapshot")
        #expect(try scratch.mode(of: store.snapshotPath) == 0o600)
        try store.save([1, 2, 3])
        #expect(try store.load() == [1, 2, 3])
        #expect(try scratch.entries(state) == ["baseline.snapshot"])
        // A second store on the same directory sees the same snapshot.
        #expect(try SnapshotStore(directory: state, createIfMissing: false).load() == [1, 2, 3])
    }

    @Test(arguments: [0o770, 0o707, 0o777, 0o1777])
    func refusesADirectoryOthersCanWrite(_ mode: Int) throws {
        let scratch = try ScratchDirectory()
        #expect(chmod(scratch.path, mode_t(mode)) == 0)
        #expect {
            _ = try SnapshotStore(directory: scratch.path)
        } throws: { error in
            guard case .writableByOthers(let path, _) = error as? SnapshotStoreError else { return false }
            return path == scratch.path
                && "\(error)".contains("is writable by group or others (mode \(String(mode, radix: 8)))")
        }
    }

    @Test func refusesASymbolicLinkedDirectory() throws {
        let scratch = try ScratchDirectory()
        let real = scratch.child("real")
        let link = scratch.child("link")
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: false)
        #expect(chmod(real, 0o700) == 0)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        #expect(throws: SnapshotStoreError.self) { _ = try SnapshotStore(directory: link) }
        #expect(Self.describe { _ = try SnapshotStore(directory: link) } == "\(link): is a symbolic link; refusing to follow it for baseline state")
    }

    @Test func refusesAPathThatIsNotADirectory() throws {
        let scratch = try ScratchDirectory()
        let file = scratch.child("file")
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        #expect(Self.describe { _ = try SnapshotStore(directory: file) } == "\(file): is not a directory")
    }

    @Test func refusesASymbolicLinkedSnapshot() throws {
        let scratch = try ScratchDirectory()
        let store = try SnapshotStore(directory: scratch.path)
        let target = scratch.child("elsewhere")
        #expect(FileManager.default.createFile(atPath: target, contents: Data(Self.snapshot)))
        try FileManager.default.createSymbolicLink(atPath: store.snapshotPath, withDestinationPath: target)
        #expect(Self.describe { _ = try store.load() } == "\(store.snapshotPath): is a symbolic link; refusing to follow it for baseline state")
        // Saving replaces the link itself, never writes through it.
        try store.save([9])
        #expect(try store.load() == [9])
        #expect(FileManager.default.contents(atPath: target) == Data(Self.snapshot))
    }

    @Test func refusesASnapshotOthersCanWrite() throws {
        let scratch = try ScratchDirectory()
        let store = try SnapshotStore(directory: scratch.path)
        try store.save(Self.snapshot)
        #expect(chmod(store.snapshotPath, 0o620) == 0)
        #expect(Self.describe { _ = try store.load() }
            == "\(store.snapshotPath): is writable by group or others (mode 620); run `chmod go-w \(store.snapshotPath)`")
    }

    @Test func refusesASnapshotThatIsNotARegularFile() throws {
        let scratch = try ScratchDirectory()
        let store = try SnapshotStore(directory: scratch.path)
        #expect(mkfifo(store.snapshotPath, 0o600) == 0)
        #expect(Self.describe { _ = try store.load() } == "\(store.snapshotPath): is not a regular file")
    }

    @Test func refusesASnapshotLargerThanTheLimit() throws {
        let scratch = try ScratchDirectory()
        let store = try SnapshotStore(directory: scratch.path, maximumSnapshotSize: 1000)
        try store.save(Self.snapshot)
        #expect(Self.describe { _ = try store.load() }
            == "\(store.snapshotPath): is 10004 bytes, more than the 1000 a snapshot may have")
    }

    @Test func leavesAnInvalidSnapshotUntouchedWithoutReset() throws {
        let scratch = try ScratchDirectory()
        let store = try SnapshotStore(directory: scratch.path)
        try store.save(Array("garbage".utf8))
        let before = try FileManager.default.attributesOfItem(atPath: store.snapshotPath)
        #expect {
            _ = try store.load(resettingInvalid: false, decode: decodeTestSnapshot)
        } throws: { error in
            guard case .invalidSnapshot(let path, let underlying) = error as? SnapshotStoreError else { return false }
            return path == store.snapshotPath && underlying is TestDecodeError
                && "\(error)" == "\(store.snapshotPath): not a usable baseline snapshot: bad magic; the file was left "
                + "untouched (--reset-baseline moves it aside and starts a fresh baseline)"
        }
        #expect(try store.load() == Array("garbage".utf8))
        let after = try FileManager.default.attributesOfItem(atPath: store.snapshotPath)
        #expect(before[.modificationDate] as? Date == after[.modificationDate] as? Date)
        #expect(try scratch.entries(scratch.path) == ["baseline.snapshot"])
    }

    @Test func movesAnInvalidSnapshotAsideOnReset() throws {
        let scratch = try ScratchDirectory()
        let store = try SnapshotStore(directory: scratch.path)
        try store.save(Array("garbage".utf8))
        let outcome = try store.load(resettingInvalid: true, decode: decodeTestSnapshot)
        guard case .reset(let movedTo, let reason) = outcome else {
            Issue.record("expected a reset, got \(outcome)")
            return
        }
        #expect(reason is TestDecodeError)
        let name = String(try #require(movedTo.split(separator: "/").last))
        #expect(name.wholeMatch(of: /baseline\.snapshot\.corrupt-\d{8}T\d{6}Z/) != nil)
        #expect(FileManager.default.contents(atPath: movedTo) == Data("garbage".utf8))
        #expect(try store.load() == nil)
        // A second reset within the same second does not overwrite the first.
        try store.save(Array("worse".utf8))
        guard case .reset(let secondPath, _) = try store.load(resettingInvalid: true, decode: decodeTestSnapshot) else {
            Issue.record("expected a second reset")
            return
        }
        #expect(secondPath != movedTo)
        #expect(FileManager.default.contents(atPath: movedTo) == Data("garbage".utf8))
        #expect(FileManager.default.contents(atPath: secondPath) == Data("worse".utf8))
    }

    @Test func decodesAValidSnapshotAndReportsAbsence() throws {
        let scratch = try ScratchDirectory()
        let store = try SnapshotStore(directory: scratch.path)
        guard case .absent = try store.load(resettingInvalid: true, decode: decodeTestSnapshot) else {
            Issue.record("expected no snapshot")
            return
        }
        try store.save(Self.snapshot)
        guard case .loaded(let decoded) = try store.load(resettingInvalid: true, decode: decodeTestSnapshot) else {
            Issue.record("expected a loaded snapshot")
            return
        }
        #expect(decoded == Self.snapshot)
    }

    @Test func keepsThePreviousSnapshotWhenTheWriteCannotStart() throws {
        let scratch = try ScratchDirectory()
        let store = try SnapshotStore(directory: scratch.path)
        try store.save(Self.snapshot)
        // A non-empty directory where the temporary file goes makes the save fail.
        let blocker = scratch.child(SnapshotStore.temporaryFileName)
        try FileManager.default.createDirectory(atPath: blocker + "/x", withIntermediateDirectories: true)
        #expect(throws: SnapshotStoreError.self) { try store.save([1, 2, 3]) }
        #expect(try store.load() == Self.snapshot)
    }

    /// A full file system fails the save with `.noSpace`, removes the partial
    /// file and leaves the previous snapshot loadable; after that, a save that
    /// fits succeeds again.
    @Test(.enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func keepsThePreviousSnapshotOnAFullDisk() throws {
        try Privileges.requireRoot()
        let scratch = try ScratchDirectory()
        // Keep the directory until the tmpfs is unmounted (defers run last-declared first).
        defer { withExtendedLifetime(scratch) {} }
        let mountPoint = scratch.child("tmpfs")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=64k,mode=0700") == 0 else {
            Issue.record("mounting a tmpfs failed: \(String(cString: strerror(errno)))")
            return
        }
        defer { umount2(mountPoint, Int32(MNT_DETACH)) }
        let store = try SnapshotStore(directory: mountPoint + "/state")
        let small = Array(Self.snapshot.prefix(8192))
        try store.save(small)
        let large = [UInt8](repeating: 0x5A, count: 200_000)
        #expect {
            try store.save(large)
        } throws: { error in
            guard case .noSpace(let path) = error as? SnapshotStoreError else { return false }
            return path == mountPoint + "/state/baseline.snapshot.tmp"
        }
        #expect(try store.load() == small)
        #expect(try scratch.entries(mountPoint + "/state") == ["baseline.snapshot"])
        try store.save(Array(small.reversed()))
        #expect(try store.load() == Array(small.reversed()))
    }

    @Test(.enabled(if: Privileges.testsShouldRun, Privileges.skipMessage))
    func refusesADirectoryOfAnotherUser() throws {
        try Privileges.requireRoot()
        let scratch = try ScratchDirectory()
        let state = scratch.child("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false)
        #expect(chmod(state, 0o700) == 0)
        #expect(chown(state, 4242, 4242) == 0)
        #expect(Self.describe { _ = try SnapshotStore(directory: state) }
            == "\(state): is owned by uid 4242, not by this user (uid 0) or root")
    }

    @Test func namesThePathInSystemErrors() throws {
        let scratch = try ScratchDirectory()
        let missing = scratch.child("missing/state")
        #expect(Self.describe { _ = try SnapshotStore(directory: missing) } == "\(missing): mkdir failed: No such file or directory")
        #expect(Self.describe { _ = try SnapshotStore(directory: missing, createIfMissing: false) }
            == "\(missing): open failed: No such file or directory")
    }

    /// The description of the error `body` throws, or a failure.
    static func describe(_ body: () throws -> Void) -> String? {
        do {
            try body()
            Issue.record("expected an error")
            return nil
        } catch {
            return "\(error)"
        }
    }
}
