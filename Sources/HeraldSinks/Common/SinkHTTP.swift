import Foundation
import Outbound
import SlackAPI

/// How the webhook-style sinks send: one JSON request over the tenant transport (never following
/// redirects, reading at most 64 KiB, within a timeout, through the outbound policy), the answer
/// sorted into a ``SinkResult`` with the service's own status and a short, secret-free summary of
/// its body.
public struct SinkHTTP: Sendable {
    public let transport: any OutboundTransport
    public let timeout: Duration
    /// The clock an HTTP-date `Retry-After` is read against.
    public let now: @Sendable () -> Date

    public init(transport: any OutboundTransport, timeout: Duration = .seconds(10), now: @escaping @Sendable () -> Date = { Date() }) {
        self.transport = transport
        self.timeout = timeout
        self.now = now
    }

    /// The answer, or the result for a request that got none.
    public enum Answer: Sendable {
        case answered(OutboundResponse)
        case failed(SinkResult)
    }

    /// Sends `request`; `secrets` are removed from any error text.
    public func send(_ request: OutboundRequest, secrets: [String]) async -> Answer {
        do {
            return .answered(try await transport.send(request, timeout: timeout))
        } catch OutboundError.timeout {
            return .failed(.transient(code: "timeout", detail: "no answer within \(timeout)", retryAfter: nil))
        } catch OutboundError.refused(let reason) {
            return .failed(.permanent(code: "address_refused", detail: Self.redact(reason, secrets: secrets)))
        } catch OutboundError.connection(let reason) {
            return .failed(.transient(code: "connection_error", detail: Self.redact(reason, secrets: secrets), retryAfter: nil))
        } catch {
            return .failed(.transient(code: "connection_error", detail: Self.redact(String(describing: error), secrets: secrets), retryAfter: nil))
        }
    }

    /// Sends `request` to a service that answers only with a status: a success when `accepts` it,
    /// else the usual sorting (``failure(_:secrets:retryAfter:)``).
    public func post(_ request: OutboundRequest, secrets: [String], accepts: (Int) -> Bool = { (200..<300).contains($0) }) async -> SinkResult {
        switch await send(request, secrets: secrets) {
        case .failed(let result): result
        case .answered(let response): accepts(response.status) ? .sent(reference: nil) : failure(response, secrets: secrets)
        }
    }

    /// The usual sorting of an answer that is not a success (SPEC §5): 429 waits its
    /// `Retry-After`, 5xx is retried, any other status is permanent. The code is `http_<status>`.
    public func failure(_ response: OutboundResponse, secrets: [String], retryAfter: Duration? = nil) -> SinkResult {
        let code = "http_\(response.status)"
        let detail = Self.describe(response, secrets: secrets)
        switch response.status {
        case 429:
            return .transient(code: code, detail: detail, retryAfter: retryAfter ?? RetryAfter.parse(response.headers["retry-after"], now: now()))
        case 500...:
            return .transient(code: code, detail: detail, retryAfter: RetryAfter.parse(response.headers["retry-after"], now: now()))
        default:
            return .permanent(code: code, detail: detail)
        }
    }

    /// `HTTP 404: <the body's first 200 characters on one line>`, secrets removed before it is cut
    /// (a secret cut in half would no longer be found).
    public static func describe(_ response: OutboundResponse, secrets: [String]) -> String {
        let text = redact(String(decoding: response.body.prefix(4096), as: UTF8.self), secrets: secrets)
            .split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        let summary = SinkText.cut(text, max: 200)
        return summary.isEmpty ? "HTTP \(response.status)" : "HTTP \(response.status): \(summary)"
    }

    /// Removes every secret from text bound for an error (see ``SecretRedaction``).
    public static func redact(_ text: String, secrets: [String]) -> String {
        SecretRedaction.remove(secrets, from: text)
    }

    /// A JSON POST with Herald's user agent.
    public static func jsonPost(_ url: URL, body: Data, headers: [String: String] = [:]) -> OutboundRequest {
        var all = ["content-type": "application/json", "accept": "application/json, text/plain", "user-agent": userAgent]
        all.merge(headers) { $1 }
        return OutboundRequest(method: "POST", url: url, headers: all, body: body)
    }

    public static let userAgent = "Herald"

    /// The credential's URL, when it is an http(s) URL.
    public static func url(_ text: String?) -> URL? {
        guard let text, let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil else { return nil }
        return url
    }

    static let invalidURL = SinkResult.permanent(code: "invalid_url", detail: "the URL is not an http(s) URL")
}

/// Stable JSON for payloads rendered once and sent to many destinations.
enum SinkJSON {
    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}
