import Foundation
import HeraldCore
import Outbound
import SlackAPI

/// A Discord webhook (SPEC §2), which can edit: posted with `?wait=true` so the message id comes
/// back, then edited in place with `PATCH {webhook URL}/messages/{id}`, so an incident keeps one
/// living message. An embed carries the colour and stays within Discord's limits (title 256,
/// description 4096, 25 fields, 6000 characters in all); mentions in the text are never pinged.
/// A `404` on edit means the message is gone, and the core posts a fresh one. Discord's
/// `X-RateLimit-Remaining: 0` holds the webhook for `X-RateLimit-Reset-After`, and a 429 waits the
/// `retry_after` of its body (seconds, fractional).
public struct DiscordSink: Sink {
    public let http: SinkHTTP

    public init(http transport: any OutboundTransport) {
        self.http = SinkHTTP(transport: transport)
    }

    public var type: SinkType { .discord }
    public var capabilities: SinkCapabilities { SinkCapabilities(canEdit: true) }
    /// Discord allows a webhook about 5 requests per 2 seconds; its headers say when to pause.
    public var pacing: SinkPacing { .perSecond(2) }

    /// Discord's embed limits.
    public enum Limits {
        public static let title = 256
        public static let description = 4096
        public static let fields = 25
        public static let fieldName = 256
        public static let fieldValue = 1024
        public static let footer = 2048
        public static let total = 6000
    }

    struct Body: Encodable {
        var content = ""
        var username = "Herald"
        var embeds: [Embed]
        var allowed_mentions = AllowedMentions()
    }

    struct AllowedMentions: Encodable {
        var parse: [String] = []
    }

    struct Embed: Encodable {
        var title: String
        var description: String?
        var url: String
        var color: Int
        var fields: [Field]
        var footer: Footer
        var timestamp: Date
    }

    struct Field: Encodable {
        var name: String
        var value: String
        var inline = true
    }

    struct Footer: Encodable {
        var text: String
    }

    public func render(_ content: MessageContent) -> Data {
        SinkJSON.encode(Body(embeds: [Self.embed(MessageSummary(content))]))
    }

    /// The embed, each part cut to its limit and the description to what the total leaves.
    static func embed(_ summary: MessageSummary) -> Embed {
        let title = SinkText.cutUTF16(summary.headline, max: Limits.title)
        let fields = summary.fields.prefix(Limits.fields).map {
            Field(name: SinkText.cutUTF16($0.label, max: Limits.fieldName), value: SinkText.cutUTF16($0.value.isEmpty ? "—" : $0.value, max: Limits.fieldValue))
        }
        let footer = "Herald"
        let used = title.utf16.count + footer.utf16.count + fields.reduce(0) { $0 + $1.name.utf16.count + $1.value.utf16.count }
        let room = min(Limits.description, Limits.total - used)
        let description = summary.body.map { SinkText.cutUTF16($0, max: max(0, room)) }.flatMap { $0.isEmpty ? nil : $0 }
        return Embed(title: title, description: description, url: summary.link.absoluteString, color: summary.tone.rgb,
                     fields: Array(fields), footer: Footer(text: footer), timestamp: summary.at)
    }

    public func post(_ payload: Data, to address: SinkAddress, context: SendContext) async -> SinkResult {
        guard case .url(let text) = address.credential else { return wrongCredential("a webhook URL") }
        guard let base = SinkHTTP.url(text), let url = Self.url(base, path: nil, query: [URLQueryItem(name: "wait", value: "true")]) else {
            return SinkHTTP.invalidURL
        }
        return await send(SinkHTTP.jsonPost(url, body: payload), address: address, editing: false)
    }

    public func edit(_ reference: String, with payload: Data, at address: SinkAddress, context: SendContext) async -> SinkResult {
        guard case .url(let text) = address.credential else { return wrongCredential("a webhook URL") }
        guard !reference.isEmpty, reference.allSatisfy(\.isNumber) else {
            return .gone(code: "unknown_message", detail: "unreadable message reference")
        }
        guard let base = SinkHTTP.url(text), let url = Self.url(base, path: "messages/\(reference)", query: []) else { return SinkHTTP.invalidURL }
        var request = SinkHTTP.jsonPost(url, body: payload)
        request.method = "PATCH"
        return await send(request, address: address, editing: true)
    }

    public func location(of reference: String) -> MessageLocation {
        MessageLocation(channel: nil, message: reference)
    }

    private func send(_ request: OutboundRequest, address: SinkAddress, editing: Bool) async -> SinkResult {
        let secrets = address.credential.secrets
        switch await http.send(request, secrets: secrets) {
        case .failed(let result): return result
        case .answered(let response):
            if (200..<300).contains(response.status) {
                guard let message = try? JSONDecoder().decode(MessageAnswer.self, from: response.body), !message.id.isEmpty else {
                    return .permanent(code: "invalid_response", detail: "Discord did not answer with the message (is the URL a Discord webhook?)")
                }
                return .sent(reference: message.id, holdFor: Self.pause(response))
            }
            if editing, response.status == 404 {
                return .gone(code: "unknown_message", detail: SinkHTTP.describe(response, secrets: secrets))
            }
            if response.status == 429 {
                let answer = try? JSONDecoder().decode(RateLimitAnswer.self, from: response.body)
                let wait = answer?.retry_after.flatMap(Self.seconds)
                return http.failure(response, secrets: secrets, retryAfter: wait ?? Self.resetAfter(response))
            }
            return http.failure(response, secrets: secrets)
        }
    }

    struct MessageAnswer: Decodable {
        var id: String
    }

    struct RateLimitAnswer: Decodable {
        var retry_after: Double?
    }

    /// `X-RateLimit-Remaining: 0`: the bucket is empty until `X-RateLimit-Reset-After` (seconds, fractional).
    static func pause(_ response: OutboundResponse) -> Duration? {
        guard response.headers["x-ratelimit-remaining"]?.trimmingCharacters(in: .whitespaces) == "0" else { return nil }
        return resetAfter(response)
    }

    static func resetAfter(_ response: OutboundResponse) -> Duration? {
        response.headers["x-ratelimit-reset-after"].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }.flatMap(seconds)
    }

    /// Seconds as Discord writes them (fractional), rounded up to the millisecond; a wait beyond
    /// ``RetryAfter/maximum`` (a broken or hostile server) is cut to it, and garbage is none.
    public static func seconds(_ value: Double) -> Duration? {
        guard value.isFinite, value >= 0 else { return nil }
        guard value < Double(RetryAfter.maximum.components.seconds) else { return RetryAfter.maximum }
        return .milliseconds(Int64((value * 1000).rounded(.up)))
    }

    /// The webhook URL with `path` appended to its path and `query` added to its own query (a
    /// `thread_id` the tenant gave is kept).
    static func url(_ base: URL, path: String?, query: [URLQueryItem]) -> URL? {
        guard var components = URLComponents(url: base, resolvingAgainstBaseURL: false) else { return nil }
        if let path {
            components.percentEncodedPath = components.percentEncodedPath.hasSuffix("/")
                ? components.percentEncodedPath + path : components.percentEncodedPath + "/" + path
        }
        if !query.isEmpty {
            let kept = (components.queryItems ?? []).filter { item in !query.contains { $0.name == item.name } }
            components.queryItems = kept + query
        }
        return components.url
    }
}
