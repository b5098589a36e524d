import RarenetScoring
import FuzzSupport

/// Decodes the input as a baseline snapshot twice: as given (the magic,
/// version, length and checksum checks) and sealed, with the header's length
/// and the trailing CRC-32C recomputed, so that mutations reach the payload
/// decoder behind the checksum. A refused snapshot must say why; an accepted
/// one must encode to bytes that decode again, to an encoding of the same size.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSnapshot(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    checkDecoding(bytes)
    if let sealed = SnapshotSeal.sealed(bytes) { checkDecoding(sealed) }
    return 0
}

/// The scorer's default parameters, to exercise the parameter comparison.
private let defaultParameters = BaselineParameters(ScoringConfiguration())

private func checkDecoding(_ bytes: [UInt8]) {
    let decoded: Baseline
    do {
        decoded = try Baseline(decoding: bytes, expecting: nil)
    } catch {
        require(!error.description.isEmpty, "empty snapshot error")
        return
    }
    let encoded = decoded.encoded()
    do {
        let again = try Baseline(decoding: encoded, expecting: decoded.parameters)
        // Table entries are written in slot order, which depends on insertion
        // order, so only the size (the same entries) must be stable.
        let reencoded = again.encoded()
        require(reencoded.count == encoded.count, "re-encoding a decoded snapshot changes its size: \(encoded.count) then \(reencoded.count) bytes")
    } catch {
        fatalError("a re-encoded snapshot is refused: \(error)")
    }
    if decoded.parameters != defaultParameters {
        do {
            _ = try Baseline(decoding: bytes, expecting: defaultParameters)
            fatalError("a snapshot with other parameters was accepted")
        } catch {
            guard case .parameterMismatch = error else { fatalError("expected a parameter mismatch, got \(error)") }
        }
    }
}

/// Rewrites a snapshot-shaped input so that its framing is valid: the payload
/// length in the header and the CRC-32C trailer (format in BaselineCodec.swift).
private enum SnapshotSeal {
    static let magic = Array("RNBASELN".utf8)
    static let headerSize = 20
    static let trailerSize = 4

    /// The input with its length and checksum repaired, or nil when it does not start with the magic.
    static func sealed(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= headerSize + trailerSize, bytes.starts(with: magic) else { return nil }
        var sealed = Array(bytes.dropLast(trailerSize))
        let payloadLength = UInt64(sealed.count - headerSize)
        for index in 0..<8 { sealed[12 + index] = UInt8(truncatingIfNeeded: payloadLength >> (8 * index)) }
        let checksum = crc32c(sealed)
        for index in 0..<4 { sealed.append(UInt8(truncatingIfNeeded: checksum >> (8 * index))) }
        return sealed
    }

    /// CRC-32C (Castagnoli), bit by bit: an independent implementation of the snapshot checksum.
    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0x82F6_3B78 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}
