import Foundation

/// When to try a failed delivery again (SPEC §5): exponential backoff with jitter for transient
/// errors, never sooner than a 429's `Retry-After`, `dead` after the maximum age; permanent errors
/// fail at once.
public struct RetryPolicy: Sendable {
    /// The first retry's base delay; doubles each attempt.
    public var base: Duration
    /// The longest delay between two attempts.
    public var cap: Duration
    /// Jitter as a fraction of the delay: the delay is multiplied by a factor in `1-jitter ... 1+jitter`.
    public var jitter: Double
    /// After this long since the delivery was created, a transient failure makes it `dead`.
    public var maxAge: Duration

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(300), jitter: Double = 0.2, maxAge: Duration = .seconds(86_400)) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
        self.maxAge = maxAge
    }

    /// What became of one attempt.
    public enum Decision: Sendable, Equatable {
        case retry(at: Date)
        case failed
        case dead
    }

    /// - Parameters:
    ///   - attempts: attempts made so far, including the one that just failed (≥ 1).
    ///   - permanent: the error is permanent (SlackError.isPermanent).
    ///   - retryAfter: the 429's Retry-After, if any.
    ///   - random: a number in 0..<1 (injectable for tests).
    ///
    /// No wait reaches past the delivery's max age. A backoff that would is cut to one last attempt
    /// at the deadline; a Retry-After that would makes the delivery `dead` at once (retrying sooner
    /// than Slack asked is not allowed, and waiting would end past the max age anyway). A failure at
    /// or after the deadline is `dead`.
    public func decide(attempts: Int, permanent: Bool, retryAfter: Duration?, createdAt: Date, now: Date,
                       random: Double) -> Decision {
        if permanent { return .failed }
        let maxAge = maxAge.timeInterval
        let age = now.timeIntervalSince(createdAt)
        guard age.isFinite, age < maxAge else { return .dead }
        let remaining = maxAge - age
        // Out-of-range inputs fall back to something safe rather than trap: no jitter beyond ±100 %.
        let jitter = jitter.isFinite ? min(max(jitter, 0), 1) : 0
        let random = random.isFinite ? min(max(random, 0), 1) : 0.5
        let floor = retryAfter.map { max($0.timeInterval, 0) } ?? 0
        guard floor < remaining else { return .dead }
        // A 429 is retried no sooner than its Retry-After (SPEC §5), whatever the jitter says.
        let delay = max(backoff(attempts: attempts).timeInterval * (1 - jitter + 2 * jitter * random), floor)
        guard delay < remaining else { return .retry(at: createdAt.addingTimeInterval(maxAge)) }
        var next = now.addingTimeInterval(delay)
        // `Date` is a Double: rounding must not land even a microsecond before Retry-After.
        while next.timeIntervalSince(now) < floor {
            next = Date(timeIntervalSinceReferenceDate: next.timeIntervalSinceReferenceDate.nextUp)
        }
        return .retry(at: next)
    }

    /// The delay before attempt `attempts + 1`, before jitter: base·2^(attempts-1), capped.
    public func backoff(attempts: Int) -> Duration {
        guard attempts > 1, base > .zero else { return min(base, cap) }
        var delay = base
        // Doubling stops at the cap, so a huge `attempts` neither loops long nor overflows.
        for _ in 1..<attempts {
            if delay >= cap / 2 { return cap }
            delay = delay * 2
        }
        return min(delay, cap)
    }
}

fileprivate extension Duration {
    /// Seconds as a `TimeInterval`, for date arithmetic.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
