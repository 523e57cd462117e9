import Outbound
import Foundation
@testable import SlackAPI
import Testing

/// `Retry-After` from the outside world (RFC 9110 §10.2.3): nothing a server sends may trap, and
/// only a real wait in the future counts.
@Suite struct RetryAfterTests {
    /// 2026-12-01T12:00:00Z, a Tuesday.
    static let now = Date(timeIntervalSince1970: 1_796_126_400)

    static let cases: [(String?, Duration?)] = [
        (nil, nil), ("", nil), ("   ", nil),
        ("0", .zero), ("1", .seconds(1)), ("120", .seconds(120)), (" 30\t", .seconds(30)), ("007", .seconds(7)),
        ("1.5", .milliseconds(1_500)), ("0.0001", .milliseconds(1)), ("2.", nil), (".5", nil),
        // Huge values saturate at the maximum (31 days) instead of trapping.
        ("9223372036854775807", RetryAfter.maximum), ("99999999999999999999999999999999", RetryAfter.maximum),
        ("2678400", RetryAfter.maximum), ("2678399", .seconds(2_678_399)),
        // Garbage and negative values are no Retry-After: retry with backoff.
        ("1e300", nil), ("-5", nil), ("+5", nil), ("5 s", nil), ("NaN", nil), ("inf", nil), ("0x10", nil), ("١٢", nil),
        (String(repeating: "9", count: 65), nil),
        // HTTP-dates, in all three forms.
        ("Tue, 01 Dec 2026 12:00:30 GMT", .seconds(30)),
        ("Tuesday, 01-Dec-26 12:01:00 GMT", .seconds(60)),
        ("Tue Dec  1 12:02:00 2026", .seconds(120)),
        // Past dates and now itself: no wait.
        ("Tue, 01 Dec 2026 11:59:59 GMT", nil), ("Tue, 01 Dec 2026 12:00:00 GMT", nil), ("Sun, 06 Nov 1994 08:49:37 GMT", nil),
        // A date far ahead saturates too.
        ("Fri, 31 Dec 9999 23:59:59 GMT", RetryAfter.maximum),
        // Not dates.
        ("Tue, 30 Feb 2027 12:00:00 GMT", nil), ("Tue, 01 Dec 2026 25:00:00 GMT", nil), ("Tue, 01 Dec 2026 12:00:00 UTC", nil),
        ("Xyz, 01 Dec 2026 12:00:30 GMT", nil), ("Tue, 1 Dec 2026 12:00:30 GMT", nil), ("tomorrow", nil),
    ]

    @Test("parse", arguments: cases)
    func parse(_ header: String?, _ expected: Duration?) {
        // MUT + validate
        #expect(RetryAfter.parse(header, now: Self.now) == expected)
    }

    @Test("a two-digit year more than 50 years ahead is in the past century")
    func twoDigitYears() {
        #expect(RetryAfter.fullYear(twoDigits: 26, now: Self.now) == 2026)
        #expect(RetryAfter.fullYear(twoDigits: 76, now: Self.now) == 2076)
        #expect(RetryAfter.fullYear(twoDigits: 77, now: Self.now) == 1977)
        #expect(RetryAfter.parse("Monday, 06-Nov-94 08:49:37 GMT", now: Self.now) == nil, "1994, long past")
    }

    @Test("a 429 with any Retry-After becomes .rateLimited, never a crash", arguments: [
        ("9223372036854775807", RetryAfter.maximum), ("1e300", nil), ("-1", nil), ("Tue, 01 Dec 2026 12:00:10 GMT", .seconds(10)),
    ] as [(String, Duration?)])
    func clientReadsRetryAfter(_ header: String, _ expected: Duration?) async {
        // setup
        let transport = RecordingTransport([.response(OutboundResponse(status: 429, headers: ["Retry-After": header],
                                                                       body: Data(#"{"ok":false,"error":"ratelimited"}"#.utf8)))])
        let client = SlackClient(baseURL: URL(string: "https://slack.example.com/api")!, transport: transport, now: { Self.now })
        // MUT
        await #expect(throws: SlackError.rateLimited(retryAfter: expected, method: "chat.postMessage")) {
            _ = try await client.postMessage(token: "xoxb-1", SlackMessage(channel: "C1", text: "hi"))
        }
    }
}
