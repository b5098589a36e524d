#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RarenetScoring

/// Merges the baseline snapshots of several hosts into a fleet baseline:
/// the engine of `rarenet merge`.
public enum BaselineMerging {
    /// Reads every snapshot (a snapshot file, or a state directory holding
    /// `baseline.snapshot`), decodes it and sums them with ``Baseline/merged(_:)``.
    ///
    /// The snapshots must share parameters, seed and decay clock; the error
    /// names the snapshot that differs and how.
    public static func merge(
        snapshotPaths paths: [String],
        maximumSnapshotSize: Int = SnapshotStore.defaultMaximumSnapshotSize
    ) throws(BaselineMergingError) -> Baseline {
        guard !paths.isEmpty else { throw .noSnapshots }
        var baselines: [Baseline] = []
        var files: [String] = []
        for path in paths {
            let file = snapshotFile(for: path)
            files.append(file)
            let bytes: [UInt8]
            do {
                bytes = try SnapshotStore.readSnapshot(atPath: file, maximumSize: maximumSnapshotSize)
            } catch {
                throw .unreadable(error)
            }
            do {
                baselines.append(try Baseline(decoding: bytes, expecting: nil))
            } catch {
                throw .invalid(path: file, error)
            }
        }
        do {
            return try Baseline.merged(baselines)
        } catch {
            let index: Int? = switch error {
            case .parameterMismatch(let index, _, _, _), .clockMismatch(let index, _, _, _): index
            case .noBaselines: nil
            }
            throw .incompatible(path: index.map { files[$0] } ?? "", first: files[0], error)
        }
    }

    /// `path` itself, or `path/baseline.snapshot` when `path` is a directory.
    static func snapshotFile(for path: String) -> String {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { return path }
        return path.hasSuffix("/") ? path + SnapshotStore.snapshotFileName : path + "/" + SnapshotStore.snapshotFileName
    }
}

/// Why snapshots could not be merged; each case names the snapshot at fault.
public enum BaselineMergingError: Error, CustomStringConvertible {
    /// No snapshot was given.
    case noSnapshots
    /// A snapshot could not be read.
    case unreadable(SnapshotStoreError)
    /// A snapshot's bytes were refused (corrupt, truncated, another version).
    case invalid(path: String, SnapshotError)
    /// A snapshot does not match the first one (parameters, seed or clock).
    case incompatible(path: String, first: String, BaselineMergeError)

    public var description: String {
        switch self {
        case .noSnapshots: "no snapshots to merge"
        case .unreadable(let error): "\(error)"
        case .invalid(let path, let error): "\(path): \(error)"
        case .incompatible(let path, let first, let error): "\(path): \(error) (the first baseline is \(first))"
        }
    }
}
