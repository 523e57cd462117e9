import Foundation
import HeraldCore
import Testing

/// RFC 3339 date-times, as a JSON Schema validator (jsonschema-rs, which schemathesis uses) judges
/// them: each row's verdict was read from that validator, so the document and Herald agree.
@Suite struct RFC3339Tests {
    @Test("accepts exactly what a JSON Schema date-time accepts", arguments: [
        ("2024-05-01T12:00:00Z", true), ("2024-05-01t12:00:00z", true), ("2024-05-01 12:00:00Z", false),
        ("2024-05-01T12:00:00+08:52", true), ("2024-05-01T12:00:00.25Z", true), ("2024-05-01T12:00:00.123456789Z", true),
        ("2024-05-01T23:59:60Z", true), ("2024-05-01T12:59:60Z", false), ("2024-06-30T23:59:60Z", true),
        ("2024-02-29T00:00:00Z", true), ("2023-02-29T00:00:00Z", false), ("2024-04-31T00:00:00Z", false),
        ("0001-01-01T00:00:00Z", true), ("0000-01-01T00:00:00Z", true), ("9999-12-31T23:59:59Z", true),
        ("2024-05-01T12:00:00", false), ("2024-05-01T12:00Z", false), ("2024-05-01T24:00:00Z", false),
        ("2024-05-01T12:00:00+24:00", false), ("2024-05-01T12:00:00+23:59", true), ("2024-05-01T12:00:00-00:00", true),
        ("2024-05-01T12:00:00.Z", false), ("2024-5-01T12:00:00Z", false), ("2024-05-01T12:00:00+0800", false),
        ("2024-05-01T12:00:00.5+01:00", true), ("2024-05-01T23:59:60+01:00", false), ("2024-05-01T22:59:60-01:00", true),
        ("２０２４-05-01T12:00:00Z", false), (" 2024-05-01T12:00:00Z", false), ("2024-05-01T12:00:00Z\n", false), ("", false),
    ])
    func verdicts(_ text: String, _ valid: Bool) {
        #expect((RFC3339.parse(text) != nil) == valid)
    }

    @Test("lenient: what PagerDuty's and Go's examples write", arguments: [
        ("2015-07-17T08:42:58.315+0000", 1_437_122_578.315), ("2015-07-17 08:42:58Z", 1_437_122_578), ("2015-07-17T10:42:58+02", 1_437_122_578),
        ("2024-05-01T12:00:00.123456789Z", 1_714_564_800.123_456_789),
    ])
    func lenient(_ text: String, _ seconds: Double) throws {
        #expect(RFC3339.parse(text) == nil || text.hasSuffix("Z") && !text.contains(" "))
        let date = try #require(RFC3339.parseLenient(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-3)
        #expect(RFC3339.parseLenient("yesterday") == nil)
    }

    @Test("the instant", arguments: [
        ("2024-05-01T12:00:00Z", 1_714_564_800.0), ("2024-05-01T14:00:00+02:00", 1_714_564_800), ("2024-05-01T11:30:00.5-00:30", 1_714_564_800.5),
        ("1970-01-01T00:00:00Z", 0), ("1969-12-31T23:59:59Z", -1), ("2016-12-31T23:59:60Z", 1_483_228_799),
        ("0000-03-01T00:00:00Z", -62_162_035_200), ("2000-02-29T00:00:00Z", 951_782_400),
    ])
    func instants(_ text: String, _ seconds: Double) throws {
        let date = try #require(RFC3339.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-6, "\(date.timeIntervalSince1970)")
    }
}
