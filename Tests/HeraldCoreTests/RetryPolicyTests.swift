import Foundation
import HeraldCore
import Testing

@Suite("SPEC §5 retries")
struct RetryPolicyTests {
    static let policy = RetryPolicy()  // 1 s base, 300 s cap, ±20 % jitter, 24 h max age
    static let created = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("backoff", arguments: [
        (Int.min, Duration.seconds(1)), (-3, .seconds(1)), (0, .seconds(1)), (1, .seconds(1)), (2, .seconds(2)), (3, .seconds(4)),
        (5, .seconds(16)), (9, .seconds(256)), (10, .seconds(300)), (11, .seconds(300)), (63, .seconds(300)), (64, .seconds(300)),
        (1_000, .seconds(300)), (Int.max, .seconds(300)),
    ])
    func backoff(_ attempts: Int, _ expected: Duration) {
        #expect(Self.policy.backoff(attempts: attempts) == expected)
    }

    @Test("backoff with other bases and caps", arguments: [
        (Duration.milliseconds(500), Duration.seconds(10), 4, Duration.seconds(4)),
        (.milliseconds(500), .seconds(10), 6, .seconds(10)),
        (.seconds(5), .seconds(2), 1, .seconds(2)),
        (.zero, .seconds(10), Int.max, .zero),
        (.seconds(1), .seconds(Int64.max), Int.max, .seconds(Int64.max)),
    ])
    func backoffVariants(_ base: Duration, _ cap: Duration, _ attempts: Int, _ expected: Duration) {
        #expect(RetryPolicy(base: base, cap: cap).backoff(attempts: attempts) == expected)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var attempts = 1
        var permanent = false
        var retryAfter: Duration? = nil
        var age: TimeInterval = 0
        var random = 0.5
        /// Seconds after `now`, or nil for the other decisions.
        var delay: TimeInterval?
        var decision: RetryPolicy.Decision?
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "permanent fails at once", permanent: true, decision: .failed),
        Row(name: "permanent fails even when old", permanent: true, age: 100_000, decision: .failed),
        Row(name: "no jitter at 0.5", attempts: 3, delay: 4),
        Row(name: "lowest jitter", attempts: 3, random: 0, delay: 3.2),
        Row(name: "highest jitter", attempts: 3, random: 0.999_999, delay: 4.8),
        Row(name: "capped", attempts: 40, random: 0, delay: 240),
        Row(name: "Retry-After beats a shorter backoff", attempts: 1, retryAfter: .seconds(30), random: 0.999, delay: 30),
        Row(name: "Retry-After below the jittered backoff", attempts: 5, retryAfter: .seconds(2), random: 0, delay: 12.8),
        Row(name: "Retry-After with fractions", attempts: 1, retryAfter: .milliseconds(1_500), random: 0.5, delay: 1.5),
        Row(name: "just within max age", attempts: 10, age: 86_400 - 300, delay: 300),
        // A wait that would end past the max age is cut to one last attempt at the deadline.
        Row(name: "next attempt would pass max age: a last one at the deadline", attempts: 10, age: 86_400 - 299, delay: 299),
        // A Retry-After past the max age: no retry sooner than it, so dead now.
        Row(name: "Retry-After past max age: dead now", retryAfter: .seconds(3_600), age: 86_400 - 60, decision: .dead),
        Row(name: "a huge Retry-After: dead now, no trap", retryAfter: .seconds(Int64.max), age: 10, decision: .dead),
        Row(name: "Retry-After just within max age", retryAfter: .seconds(59), age: 86_400 - 60, random: 0, delay: 59),
        Row(name: "a negative Retry-After is no Retry-After", attempts: 2, retryAfter: .seconds(-50), delay: 2),
        Row(name: "already at max age", age: 86_400, decision: .dead),
        Row(name: "long past max age", age: 1_000_000, decision: .dead),
        Row(name: "out-of-range random is clamped", attempts: 2, random: 7, delay: 2.4),
        Row(name: "NaN random means no jitter", attempts: 2, random: .nan, delay: 2),
    ]

    @Test("decide", arguments: rows)
    func decide(_ row: Row) throws {
        // setup
        let now = Self.created.addingTimeInterval(row.age)
        // MUT
        let decision = Self.policy.decide(attempts: row.attempts, permanent: row.permanent, retryAfter: row.retryAfter,
                                          createdAt: Self.created, now: now, random: row.random)
        // validate
        if let expected = row.decision {
            #expect(decision == expected)
        } else {
            guard case .retry(let at) = decision else {
                Issue.record("expected a retry, got \(decision)")
                return
            }
            let delay = try #require(row.delay)
            #expect(abs(at.timeIntervalSince(now) - delay) < 0.001, "delay \(at.timeIntervalSince(now)) ≠ \(delay)")
        }
    }

    @Test("jitter stays within ±20 % and never precedes Retry-After", arguments: 1...12)
    func bounds(_ attempts: Int) {
        let now = Self.created.addingTimeInterval(60)
        let backoff = Self.policy.backoff(attempts: attempts)
        let seconds = Double(backoff.components.seconds) + Double(backoff.components.attoseconds) / 1e18
        for step in 0..<100 {
            let random = Double(step) / 100
            for retryAfter in [nil, Duration.seconds(45)] {
                let decision = Self.policy.decide(attempts: attempts, permanent: false, retryAfter: retryAfter,
                                                  createdAt: Self.created, now: now, random: random)
                guard case .retry(let at) = decision else {
                    Issue.record("expected a retry, got \(decision)")
                    continue
                }
                // `Date` holds a Double: about 1e-7 s of rounding at today's timestamps.
                let delay = at.timeIntervalSince(now)
                let jittered = seconds * (0.8 + 0.4 * random)
                #expect(delay >= seconds * 0.8 - 1e-6 && delay <= seconds * 1.2 + 1e-6 || retryAfter != nil)
                // Exactly the jittered backoff, or exactly Retry-After when that is longer (never sooner).
                let expected = retryAfter == nil ? jittered : max(jittered, 45)
                #expect(abs(delay - expected) < 1e-6, "attempt \(attempts), random \(random): \(delay) s, expected \(expected) s")
                if retryAfter != nil {
                    #expect(delay >= 45)
                }
            }
        }
    }
}
