/// Why a snapshot was refused. Each kind of damage has its own case and message.
public enum SnapshotError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes do not start with the snapshot magic: not a rarenet baseline.
    case notASnapshot
    /// A format version this build does not read.
    case unsupportedVersion(found: UInt16, supported: UInt16)
    /// Fewer bytes than the header declares.
    case truncated(expectedBytes: Int, foundBytes: Int)
    /// The content does not match its checksum (a flipped or damaged byte).
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// A valid snapshot of a baseline built with other parameters.
    case parameterMismatch(parameter: String, snapshot: String, expected: String)
    /// Checksum-valid content that is inconsistent (written by a broken writer).
    case malformed(String)
    /// A snapshot of format version 2, whose process keys were the bare
    /// executable path: its counts cannot be told apart under today's keys.
    case keyDerivationChanged

    public var description: String {
        switch self {
        case .notASnapshot:
            "not a rarenet baseline snapshot (bad magic)"
        case .unsupportedVersion(let found, let supported):
            "baseline snapshot format version \(found) is not supported (this build reads version \(supported))"
        case .truncated(let expected, let found):
            "baseline snapshot is truncated: \(found) bytes, expected \(expected)"
        case .checksumMismatch(let stored, let computed):
            "baseline snapshot is corrupt: checksum \(hex(computed)) does not match the stored \(hex(stored))"
        case .parameterMismatch(let parameter, let snapshot, let expected):
            "baseline snapshot was built with \(parameter) \(snapshot), but this scorer uses \(expected)"
        case .malformed(let reason):
            "baseline snapshot is malformed: \(reason)"
        case .keyDerivationChanged:
            "baseline snapshot (format version 2) keys processes by bare executable path; this build keys them by origin, rewritten path and script (format version 3), so the old counts cannot be reused: move it aside (--reset-baseline) or rebuild it from recorded events with `rarenet learn`"
        }
    }
}

/// Why baselines could not be merged.
public enum BaselineMergeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing to merge.
    case noBaselines
    /// Baseline `index` (0-based) was built with other parameters than the first.
    case parameterMismatch(index: Int, parameter: String, first: String, other: String)
    /// Baseline `index` has another decay clock than the first (or has not started).
    case clockMismatch(index: Int, scale: Duration, first: String, other: String)

    public var description: String {
        switch self {
        case .noBaselines:
            "no baselines to merge"
        case .parameterMismatch(let index, let parameter, let first, let other):
            "cannot merge baseline #\(index + 1): \(parameter) is \(other), the first baseline's is \(first)"
        case .clockMismatch(let index, let scale, let first, let other):
            "cannot merge baseline #\(index + 1): its \(scale.compactDescription) clock is at \(other), the first baseline's at \(first); snapshot every host at the same bucket"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
