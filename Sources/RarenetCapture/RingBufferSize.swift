#if canImport(Glibc)
import Glibc
#endif

/// The size of the kernel ring buffer that carries records to user space (`--ring-buffer-size`).
///
/// The kernel requires a power of two that is a multiple of the page size.
/// The ring is kernel memory mapped into the sensor, so it is capped at
/// ``maximum`` to keep the sensor's footprint bounded.
public struct RingBufferSize: Sendable, Hashable, CustomStringConvertible {
    /// The size in bytes.
    public let bytes: Int

    /// 8 MiB: room for about 75 000 network records between two reads.
    public static let `default` = RingBufferSize(validated: 8 << 20)

    /// The largest accepted size: 1 GiB.
    public static let maximum = 1 << 30

    /// A validated size.
    ///
    /// - Throws: ``CaptureError/invalidRingBufferSize(_:)`` naming the rule `bytes` breaks.
    public init(bytes: Int) throws {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard bytes > 0, bytes & (bytes - 1) == 0 else {
            throw CaptureError.invalidRingBufferSize("\(bytes) bytes is not a power of two")
        }
        guard bytes % pageSize == 0 else {
            throw CaptureError.invalidRingBufferSize(
                "\(bytes) bytes is not a multiple of the page size (\(pageSize) bytes)")
        }
        guard bytes <= Self.maximum else {
            throw CaptureError.invalidRingBufferSize("\(bytes) bytes is more than the maximum of 1 GiB")
        }
        self.bytes = bytes
    }

    /// A size written as bytes or with a binary unit: `4194304`, `4096K`, `16M`, `1G` (also `KiB`, `MiB`, `GiB`).
    ///
    /// - Throws: ``CaptureError/invalidRingBufferSize(_:)`` when `text` is not a size or not a valid one.
    public init(parsing text: String) throws {
        let units: [(suffix: String, shift: Int)] = [
            ("KiB", 10), ("MiB", 20), ("GiB", 30), ("K", 10), ("M", 20), ("G", 30), ("", 0),
        ]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let count = Int(text.dropLast(unit.suffix.count)), count > 0,
                count <= Self.maximum >> unit.shift
            else { break }
            try self.init(bytes: count << unit.shift)
            return
        }
        throw CaptureError.invalidRingBufferSize(
            "\"\(text)\" is not a size (write bytes, or a number with K, M or G)")
    }

    private init(validated bytes: Int) {
        self.bytes = bytes
    }

    public var description: String {
        for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes % (1 << shift) == 0 {
            return "\(bytes >> shift) \(unit)"
        }
        return "\(bytes) bytes"
    }
}
