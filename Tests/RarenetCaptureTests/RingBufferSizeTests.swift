import RarenetCapture
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Ring buffer size")
struct RingBufferSizeTests {
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    @Test("accepts powers of two that are multiples of the page size")
    func acceptsPageMultiplePowersOfTwo() throws {
        #expect(try RingBufferSize(bytes: pageSize).bytes == pageSize)
        #expect(try RingBufferSize(bytes: 1 << 30).bytes == 1 << 30)
        #expect(RingBufferSize.default.bytes == 8 << 20)
    }

    @Test("rejects sizes that are not a power of two, not page-aligned or too large, saying why")
    func rejectsInvalidSizes() {
        let cases: [(bytes: Int, reason: String)] = [
            (0, "not a power of two"),
            (-4096, "not a power of two"),
            (3 * pageSize, "not a power of two"),
            (pageSize / 2, "not a multiple of the page size"),
            (1 << 31, "more than the maximum"),
        ]
        for (bytes, reason) in cases {
            let error = #expect(throws: CaptureError.self) { try RingBufferSize(bytes: bytes) }
            #expect(error?.description.contains(reason) == true, "\(bytes): \(String(describing: error))")
            #expect(error?.description.contains("\(bytes)") == true)
        }
    }

    @Test("parses bytes and binary units", arguments: [
        ("4194304", 4 << 20), ("4096K", 4 << 20), ("16M", 16 << 20), ("16MiB", 16 << 20), ("1G", 1 << 30), ("64KiB", 64 << 10),
    ])
    func parsesUnits(text: String, bytes: Int) throws {
        #expect(try RingBufferSize(parsing: text).bytes == bytes)
    }

    @Test("rejects text that is not a size", arguments: ["", "16X", "M", "-4K", "1.5M", "16 M", "99999999999G"])
    func rejectsNonSizes(text: String) {
        let error = #expect(throws: CaptureError.self) { try RingBufferSize(parsing: text) }
        #expect(error?.description.contains("\"\(text)\"") == true)
    }

    @Test("describes itself in binary units")
    func description() throws {
        #expect(try RingBufferSize(bytes: 16 << 20).description == "16 MiB")
        #expect(try RingBufferSize(bytes: 1 << 30).description == "1 GiB")
        #expect(try RingBufferSize(bytes: 64 << 10).description == "64 KiB")
    }
}
