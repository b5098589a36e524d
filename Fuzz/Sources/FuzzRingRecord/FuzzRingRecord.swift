import RarenetCapture
import FuzzSupport

/// Decodes the input as one ring buffer record (without the ring's 8-byte
/// header). A record is either decoded or rejected and counted exactly once,
/// never trusted past its bounds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRingRecord(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var decoder = RecordDecoder()
    let record = decoder.decode(UnsafeRawBufferPointer(start: data, count: size))
    if record == nil {
        require(decoder.rejections.total == 1, "a rejected record was counted \(decoder.rejections.total) times")
        require(decoder.lastRejection.map { !$0.description.isEmpty } == true, "rejection without a reason")
    } else {
        require(decoder.rejections.total == 0, "a decoded record was counted as rejected")
    }
    return 0
}
