/// The snapshot byte format of a ``Baseline``, version 3. Little-endian:
///
///     header   magic "RNBASELN" (8) · version u16 · flags u16 (0) · payload length u64
///     payload  parameters: depth u32 · width u32 · seed u64 · half-life ns i64 · key mode u8
///                          · key derivation fingerprint u64
///                          · scale count u8 · span ns i64 per scale · detector count u8 · code u8 each
///                          · bucket key capacity u32 · first-seen capacity u32
///              clock:      started u8 · per scale: start bucket i64 · current bucket i64
///                          · decay reference bucket i64 · total f64
///              per detector, per scale: counters f32 × depth·width (in the reference bucket's units)
///                                       · present keys u32 + u64 each
///                                       · overflow u8 (+ bitmap u64 × depth·width/64)
///              per detector: first-seen entries u32 + (key u64 · time ns i64) each
///     trailer  CRC-32C u32 of header and payload
///
/// Counters and keys are placed by ``KeyHash`` values, so a change in how a
/// key is hashed is a new version: version 2 hashes ports with
/// ``KeyHash/init(port:seed:)``'s multiplication (version 1 mixed them like text);
/// version 3 keys processes by origin, rewritten path and script
/// (RarenetIdentity) and records the derivation's fingerprint. Older
/// versions are refused with a message that says why.
///
/// Pure: bytes in, bytes out. Writing the file atomically is the caller's job.
enum BaselineCodec {
    static let magic: [UInt8] = Array("RNBASELN".utf8)
    static let version: UInt16 = 3
    static let headerSize = 20

    static func encode(_ baseline: Baseline) -> [UInt8] {
        var payload = ByteWriter()
        let parameters = baseline.parameters
        payload.write(UInt32(parameters.sketch.depth))
        payload.write(UInt32(parameters.sketch.width))
        payload.write(parameters.sketch.seed)
        payload.write(parameters.halfLife.nanoseconds)
        payload.write(parameters.keyMode == .executable ? UInt8(1) : UInt8(2))
        payload.write(parameters.keyDerivation)
        payload.write(UInt8(parameters.scales.count))
        for span in parameters.scales { payload.write(span.nanoseconds) }
        payload.write(UInt8(parameters.detectors.count))
        for detector in parameters.detectors { payload.write(detector.snapshotCode) }
        payload.write(UInt32(baseline.bucketKeyCapacity))
        payload.write(UInt32(baseline.firstSeenCapacity))
        payload.write(baseline.isStarted ? UInt8(1) : UInt8(0))
        if baseline.isStarted {
            for clock in baseline.clocks {
                payload.write(clock.startBucket)
                payload.write(clock.currentBucket)
                payload.write(clock.referenceBucket)
                payload.write(clock.total.bitPattern)
            }
        }
        for detector in baseline.parameters.detectors.indices {
            for scale in baseline.clocks.indices {
                let counts = baseline.counts[baseline.countsIndex(detector: detector, scale: scale)]
                for counter in counts.sketch.counters { payload.write(counter.bitPattern) }
                payload.write(UInt32(counts.present.count))
                counts.present.forEach { key, _ in payload.write(key.rawValue) }
                payload.write(counts.overflow == nil ? UInt8(0) : UInt8(1))
                for word in counts.overflow?.words ?? [] { payload.write(word) }
            }
            payload.write(UInt32(baseline.firstSeen[detector].count))
            baseline.firstSeen[detector].forEach { key, time in
                payload.write(key.rawValue)
                payload.write(time)
            }
        }
        var output = ByteWriter()
        output.bytes = magic
        output.write(version)
        output.write(UInt16(0))
        output.write(UInt64(payload.bytes.count))
        output.bytes += payload.bytes
        output.write(CRC32C.checksum(output.bytes))
        return output.bytes
    }

    static func decode(_ bytes: [UInt8], expecting expected: BaselineParameters?) throws(SnapshotError) -> Baseline {
        guard bytes.count >= magic.count else {
            throw bytes.elementsEqual(magic.prefix(bytes.count)) && !bytes.isEmpty
                ? .truncated(expectedBytes: headerSize, foundBytes: bytes.count) : .notASnapshot
        }
        guard bytes.prefix(magic.count).elementsEqual(magic) else { throw .notASnapshot }
        guard bytes.count >= headerSize else { throw .truncated(expectedBytes: headerSize, foundBytes: bytes.count) }
        var header = ByteReader(bytes: bytes, offset: magic.count)
        let version: UInt16 = try header.read()
        guard version == self.version else {
            if version == 2 { throw .keyDerivationChanged }
            throw .unsupportedVersion(found: version, supported: self.version)
        }
        let _: UInt16 = try header.read()
        let payloadLength: UInt64 = try header.read()
        guard payloadLength <= UInt64(Int.max - headerSize - 4) else {
            throw .truncated(expectedBytes: Int.max, foundBytes: bytes.count)
        }
        let total = headerSize + Int(payloadLength) + 4
        guard bytes.count >= total else { throw .truncated(expectedBytes: total, foundBytes: bytes.count) }
        guard bytes.count == total else { throw .malformed("\(bytes.count - total) unexpected bytes after the checksum") }
        var trailer = ByteReader(bytes: bytes, offset: total - 4)
        let stored: UInt32 = try trailer.read()
        let computed = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<(total - 4)])) }
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }

        var reader = ByteReader(bytes: bytes, offset: headerSize, end: total - 4)
        let parameters = try readParameters(&reader)
        if let expected, let difference = parameters.firstDifference(from: expected) {
            throw .parameterMismatch(parameter: difference.parameter, snapshot: difference.this, expected: difference.other)
        }
        let bucketKeyCapacity = Int(try reader.read() as UInt32)
        let firstSeenCapacity = Int(try reader.read() as UInt32)
        // The capacities size allocations: bound them before anything is allocated.
        let capacities = 1...ScoringConfiguration.maximumTableCapacity
        guard capacities.contains(bucketKeyCapacity), capacities.contains(firstSeenCapacity) else {
            throw .malformed("a key table capacity (\(bucketKeyCapacity), \(firstSeenCapacity)) is outside \(capacities)")
        }
        var clocks: [ScaleClock]?
        if try reader.read() as UInt8 == 1 {
            clocks = try parameters.scales.map { _ throws(SnapshotError) in
                ScaleClock(startBucket: try reader.read(), currentBucket: try reader.read(),
                           referenceBucket: try reader.read(), total: Double(bitPattern: try reader.read()))
            }
        }
        let counterCount = parameters.sketch.depth * parameters.sketch.width
        var counts: [ScaleCounts] = []
        var firstSeenTables: [BoundedKeyTable<Int64>] = []
        for _ in parameters.detectors {
            for _ in parameters.scales {
                let counters = try reader.readArray(count: counterCount) { (bits: UInt32) in Float(bitPattern: bits) }
                var present = BoundedKeyTable<Float>(capacity: bucketKeyCapacity, emptyValue: .nan)
                for key in try reader.readArray(count: Int(try reader.read() as UInt32), { (raw: UInt64) in raw }) {
                    guard present.insert(KeyHash(rawValue: key), value: .nan) != .full else {
                        throw .malformed("more bucket keys than the declared capacity \(bucketKeyCapacity)")
                    }
                }
                let overflow: PresenceBitmap? = try reader.read() as UInt8 == 1
                    ? PresenceBitmap(words: try reader.readArray(count: (counterCount + 63) / 64) { (word: UInt64) in word })
                    : nil
                counts.append(ScaleCounts(
                    sketch: CountMinSketch(parameters: parameters.sketch, counters: counters),
                    present: present, overflow: overflow
                ))
            }
            var firstSeen = BoundedKeyTable<Int64>(capacity: firstSeenCapacity, emptyValue: 0)
            for _ in 0..<Int(try reader.read() as UInt32) {
                let key: UInt64 = try reader.read()
                let time: Int64 = try reader.read()
                guard firstSeen.insert(KeyHash(rawValue: key), value: time) != .full else {
                    throw .malformed("more first-seen entries than the declared capacity \(firstSeenCapacity)")
                }
            }
            firstSeenTables.append(firstSeen)
        }
        guard reader.isAtEnd else { throw .malformed("\(reader.remaining) bytes left over in the payload") }
        return Baseline(parameters: parameters, bucketKeyCapacity: bucketKeyCapacity,
                        firstSeenCapacity: firstSeenCapacity, clocks: clocks, counts: counts, firstSeen: firstSeenTables)
    }

    private static func readParameters(_ reader: inout ByteReader) throws(SnapshotError) -> BaselineParameters {
        let depth = Int(try reader.read() as UInt32)
        let width = Int(try reader.read() as UInt32)
        let seed: UInt64 = try reader.read()
        let halfLife: Int64 = try reader.read()
        let keyMode: ProcessKeyMode
        switch try reader.read() as UInt8 {
        case 1: keyMode = .executable
        case 2: keyMode = .name
        case let other: throw .malformed("unknown key mode \(other)")
        }
        let keyDerivation: UInt64 = try reader.read()
        let scales = try reader.readArray(count: Int(try reader.read() as UInt8)) { (span: Int64) in Duration.nanoseconds(span) }
        let detectors = try reader.readArray(count: Int(try reader.read() as UInt8)) { (code: UInt8) in
            Detector.allCases.first { $0.snapshotCode == code }
        }
        guard (1...16).contains(depth), width >= 1, width & (width - 1) == 0, width <= 1 << 28 else {
            throw .malformed("impossible sketch shape \(depth) × \(width)")
        }
        guard !scales.isEmpty, scales.allSatisfy({ $0 > .zero }), halfLife > 0 else {
            throw .malformed("impossible time scales \(scales) or half-life \(halfLife) ns")
        }
        let known = detectors.compactMap { $0 }
        guard known.count == detectors.count, !known.isEmpty else { throw .malformed("unknown detector code") }
        return BaselineParameters(
            sketch: SketchParameters(depth: depth, width: width, seed: seed),
            scales: scales, halfLife: .nanoseconds(halfLife), keyMode: keyMode, keyDerivation: keyDerivation, detectors: known
        )
    }
}

/// Appends little-endian integers to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func write<Integer: FixedWidthInteger>(_ value: Integer) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads little-endian integers from a byte array; running past the end is a
/// ``SnapshotError/malformed(_:)`` (the checksum already vouched for the length).
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int
    let end: Int

    init(bytes: [UInt8], offset: Int, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    var isAtEnd: Bool { offset == end }
    var remaining: Int { end - offset }

    mutating func read<Integer: FixedWidthInteger>() throws(SnapshotError) -> Integer {
        let size = MemoryLayout<Integer>.size
        guard remaining >= size else { throw .malformed("payload ends \(size - remaining) bytes early at offset \(offset)") }
        var value = Integer.zero
        for index in 0..<size { value |= Integer(bytes[offset + index]) << (8 * index) }
        offset += size
        return value
    }

    mutating func readArray<Integer: FixedWidthInteger, Element>(
        count: Int, _ transform: (Integer) -> Element
    ) throws(SnapshotError) -> [Element] {
        guard count >= 0, count <= remaining / MemoryLayout<Integer>.size else {
            throw .malformed("a list of \(count) entries runs past the payload at offset \(offset)")
        }
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(transform(try read())) }
        return elements
    }
}

extension Baseline {
    /// The snapshot bytes of this baseline (see the format in `BaselineCodec.swift`).
    public func encoded() -> [UInt8] {
        BaselineCodec.encode(self)
    }

    /// Decodes snapshot bytes, refusing a foreign file, another version, a
    /// truncation, a checksum mismatch, or (when `expected` is given) other
    /// parameters — each with its own ``SnapshotError``. Never half-loads.
    public init(decoding bytes: [UInt8], expecting expected: BaselineParameters?) throws(SnapshotError) {
        self = try BaselineCodec.decode(bytes, expecting: expected)
    }
}
