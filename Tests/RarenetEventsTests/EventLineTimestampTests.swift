import RarenetTestSupport
import Testing
import RarenetEvents

@Suite struct EventLineTimestampTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("1970-01-01T00:00:00.000000001Z", 1),
        ("2024-06-18T12:34:56.789Z", 1_718_714_096_789_000_000),
        ("2024-06-18t12:34:56.789z", 1_718_714_096_789_000_000),
        ("2024-06-18 12:34:56.789Z", 1_718_714_096_789_000_000),
        ("2024-06-18T14:34:56.789+02:00", 1_718_714_096_789_000_000),
        ("2024-06-18T07:04:56.789-05:30", 1_718_714_096_789_000_000),
        ("2024-06-18T12:34:56.7Z", 1_718_714_096_700_000_000),
        ("2024-06-18T12:34:56.000001Z", 1_718_714_096_000_001_000),
        ("2024-02-29T23:59:59.999999999Z", 1_709_251_199_999_999_999),
        ("2016-12-31T23:59:60Z", 1_483_228_800_000_000_000),
        ("1969-12-31T23:59:59.5Z", -500_000_000),
        ("2262-04-11T23:47:16.854775807Z", Int64.max),
        ("1677-09-21T00:12:43.145224192Z", Int64.min),
    ])
    func parsesRFC3339Variants(_ text: String, _ nanoseconds: Int64) throws {
        #expect(try EventTimestamp(rfc3339: text).nanosecondsSinceEpoch == nanoseconds)
    }

    @Test(arguments: [
        ("2024-06-18T12:34:56Z", "2024-06-18T12:34:56.000000000Z"),
        ("2024-06-18T14:34:56.123456789+02:00", "2024-06-18T12:34:56.123456789Z"),
        ("1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.500000000Z"),
        ("2262-04-11T23:47:16.854775807Z", "2262-04-11T23:47:16.854775807Z"),
        ("1677-09-21T00:12:43.145224192Z", "1677-09-21T00:12:43.145224192Z"),
    ])
    func formatsUTCWithNanoseconds(_ text: String, _ formatted: String) throws {
        #expect(try EventTimestamp(rfc3339: text).rfc3339 == formatted)
    }

    @Test func formattingRoundTripsAcrossTheRange() throws {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let timestamp = EventTimestamp(nanosecondsSinceEpoch: Int64(bitPattern: generator.next()))
            #expect(try EventTimestamp(rfc3339: timestamp.rfc3339) == timestamp)
        }
    }

    @Test(arguments: [
        ("2024-13-01T00:00:00Z", "month 13 is out of range (1–12)"),
        ("2023-02-29T00:00:00Z", "day 29 is out of range (1–28)"),
        ("2024-04-31T00:00:00Z", "day 31 is out of range (1–30)"),
        ("2024-06-18T24:00:00Z", "hour 24 is out of range (0–23)"),
        ("2024-06-18T12:60:00Z", "minute 60 is out of range (0–59)"),
        ("2024-06-18T12:00:61Z", "second 61 is out of range (0–60)"),
        ("2024-06-18T12:00:00", "expected an offset ('Z' or ±HH:MM)"),
        ("2024-06-18T12:00:00.Z", "expected digits after '.'"),
        ("2024-06-18T12:00:00.1234567891Z", "fraction has more than 9 digits"),
        ("2024-06-18T12:00:00+2:00", "expected 2 digits for the offset hours"),
        ("2024-06-18T12:00:00+24:00", "offset hour 24 is out of range (0–23)"),
        ("2024-06-18T12:00:00-01:60", "offset minute 60 is out of range (0–59)"),
        ("2024-06-18T12:00:00Zjunk", "unexpected characters after the offset"),
        ("24-06-18T12:00:00Z", "expected 4 digits for the year"),
        ("2024/06/18T12:00:00Z", "expected '-' after the year"),
        ("2024-06-18X12:00:00Z", "expected 'T' between date and time"),
        ("2300-01-01T00:00:00Z", "is outside the range of 64-bit nanoseconds since the epoch (1677–2262)"),
        ("", "expected 4 digits for the year"),
    ])
    func rejectsInvalidText(_ text: String, _ reason: String) {
        #expect(throws: RFC3339Error(reason: reason)) { try EventTimestamp(rfc3339: text) }
    }
}
