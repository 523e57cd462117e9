import Foundation

/// Why a Slack call failed, sorted the way delivery needs it: ``isPermanent`` decides retry or fail (SPEC §5).
/// No case ever carries a token, a client secret or a webhook URL.
public enum SlackError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Slack answered `{"ok": false, "error": …}` (or a webhook answered 4xx with a plain error word).
    case api(SlackErrorCode, method: String)
    /// HTTP 429; `retryAfter` comes from the `Retry-After` header, in seconds.
    case rateLimited(retryAfter: Duration?, method: String)
    /// Any other non-2xx answer; `body` is cut to 500 characters.
    case http(status: Int, method: String, body: String)
    /// No answer within the client's timeout.
    case timeout(method: String)
    /// The request never reached Slack or the connection broke.
    case connection(String, method: String)
    /// Slack answered, but not with what the method promises (unparseable JSON, missing fields).
    case invalidResponse(String, method: String)
    /// Herald's outbound policy refused the URL (not http(s), or an address it never sends to).
    case refused(String, method: String)

    /// The Slack method (or `webhook`) that failed.
    public var method: String {
        switch self {
        case .api(_, let method), .rateLimited(_, let method), .http(_, let method, _), .timeout(let method),
            .connection(_, let method), .invalidResponse(_, let method), .refused(_, let method):
            method
        }
    }

    /// True when retrying cannot help: auth, channel and payload errors and any HTTP 4xx but 429 (SPEC §5).
    public var isPermanent: Bool {
        switch self {
        case .api(let code, _): !code.isTransient
        case .rateLimited, .timeout, .connection: false
        case .http(let status, _, _): status < 500
        case .invalidResponse, .refused: true
        }
    }

    /// The earliest time to retry, when Slack said so.
    public var retryAfter: Duration? {
        if case .rateLimited(let retryAfter, _) = self { retryAfter } else { nil }
    }

    /// A short stable string to store and show: Slack's own error code where there is one.
    public var code: String {
        switch self {
        case .api(let code, _): code.rawValue
        case .rateLimited: "ratelimited"
        case .http(let status, _, _): "http_\(status)"
        case .timeout: "timeout"
        case .connection: "connection_error"
        case .invalidResponse: "invalid_response"
        case .refused: "address_refused"
        }
    }

    public var description: String {
        switch self {
        case .api(let code, let method):
            "Slack \(method) failed: \(code.rawValue)"
        case .rateLimited(let retryAfter, let method):
            if let retryAfter {
                "Slack \(method) was rate limited; retry after \(Self.seconds(retryAfter)) s"
            } else {
                "Slack \(method) was rate limited"
            }
        case .http(let status, let method, let body):
            body.isEmpty ? "Slack \(method) answered HTTP \(status)" : "Slack \(method) answered HTTP \(status): \(body)"
        case .timeout(let method):
            "Slack \(method) timed out"
        case .connection(let reason, let method):
            "Slack \(method) connection failed: \(reason)"
        case .invalidResponse(let reason, let method):
            "Slack \(method) answered with an invalid response: \(reason)"
        case .refused(let reason, let method):
            "Slack \(method) was not sent: \(reason)"
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard attoseconds != 0 else { return "\(seconds)" }
        return "\(Double(seconds) + Double(attoseconds) / 1e18)"
    }
}
