import Outbound
import Foundation

/// The Slack Web API methods Herald uses, over any ``OutboundTransport``.
/// Tokens travel only in the `Authorization` header and never appear in a ``SlackError``.
public struct SlackClient: Sendable {
    /// `https://slack.com/api` in production (`HERALD_SLACK_API_URL`), or the sandbox.
    public let baseURL: URL
    public let transport: any OutboundTransport
    public let timeout: Duration
    /// The clock an HTTP-date `Retry-After` is measured against (injectable for tests).
    public let now: @Sendable () -> Date
    /// How a paged read waits out a 429's `Retry-After` (injectable for tests).
    public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

    public init(baseURL: URL, transport: any OutboundTransport, timeout: Duration = .seconds(10),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.baseURL = baseURL
        self.transport = transport
        self.timeout = timeout
        self.now = now
    }

    /// `chat.postMessage`: posts `message` as the bot.
    public func postMessage(token: String, _ message: SlackMessage) async throws(SlackError) -> PostedMessage {
        try await call("chat.postMessage", token: token, json: message)
    }

    /// `chat.update`: edits the message at `channel`/`ts`; `message.channel` is ignored. As in Slack, nil
    /// `blocks` or `attachments` are left out and the old ones kept; pass `[]` to remove them.
    public func updateMessage(
        token: String, channel: String, ts: String, _ message: SlackMessage
    ) async throws(SlackError) -> PostedMessage {
        let body = UpdateBody(
            channel: channel, ts: ts, text: message.text, blocks: message.blocks, attachments: message.attachments)
        return try await call("chat.update", token: token, json: body)
    }

    /// `conversations.list`, every page (bounded at 1000 pages, and stopping if Slack repeats a cursor).
    /// A page answered `429` is asked again after its `Retry-After` (each wait at most
    /// ``maxRateLimitWait``, at most ``maxRateLimitRetries`` times in all), as Slack's tier 2 asks.
    public func conversationsList(
        token: String, types: String = "public_channel,private_channel", excludeArchived: Bool = true,
        pageSize: Int = 200
    ) async throws(SlackError) -> [SlackChannel] {
        var channels: [SlackChannel] = []
        var seen = Set<String>()
        var cursor: String?
        var retries = 0
        var pages = 0
        while pages < Self.maxPages {
            var form = [
                ("types", types), ("exclude_archived", excludeArchived ? "true" : "false"),
                ("limit", String(min(max(pageSize, 1), 1000))),
            ]
            if let cursor { form.append(("cursor", cursor)) }
            let page: ChannelsPage
            do {
                page = try await call("conversations.list", token: token, form: form)
            } catch .rateLimited(let retryAfter, let method) {
                retries += 1
                guard retries <= Self.maxRateLimitRetries else { throw .rateLimited(retryAfter: retryAfter, method: method) }
                let wait = min(retryAfter ?? .seconds(1), Self.maxRateLimitWait)
                do { try await sleep(wait) } catch { throw .connection("cancelled", method: method) }
                continue
            }
            pages += 1
            for channel in page.channels where seen.insert(channel.id).inserted {
                channels.append(channel)
            }
            guard let next = page.responseMetadata?.nextCursor, !next.isEmpty, next != cursor else { break }
            cursor = next
        }
        return channels
    }

    /// `chat.getPermalink`: a link to the message at `channel`/`ts`.
    public func permalink(token: String, channel: String, ts: String) async throws(SlackError) -> String {
        let answer: PermalinkBody = try await call("chat.getPermalink", token: token, form: [("channel", channel), ("message_ts", ts)])
        return answer.permalink
    }

    /// Posts `response` to an interaction's `response_url` (an ephemeral reply to whoever acted).
    /// The URL names its request and is never reported.
    public func respond(to url: URL, _ response: EphemeralResponse) async throws(SlackError) {
        let method = "response_url"
        let request = OutboundRequest(method: "POST", url: url,
                                      headers: ["content-type": Self.jsonContentType, "accept": "application/json, text/plain"],
                                      body: try encodeJSON(response, method: method))
        let secrets = [url.absoluteString]
        let answer = try await send(request, method: method, secrets: secrets)
        if answer.status == 429 { throw .rateLimited(retryAfter: retryAfter(answer), method: method) }
        guard (200..<300).contains(answer.status) else { throw httpError(answer, method: method, secrets: secrets) }
    }

    /// `users.info`: the Slack user behind a button click, with their email.
    public func usersInfo(token: String, user: String) async throws(SlackError) -> SlackUser {
        let answer: UserBody = try await call("users.info", token: token, form: [("user", user)])
        return answer.user
    }

    /// `users.lookupByEmail`: the Slack user with a Herald user's email.
    public func lookupByEmail(token: String, email: String) async throws(SlackError) -> SlackUser {
        let answer: UserBody = try await call("users.lookupByEmail", token: token, form: [("email", email)])
        return answer.user
    }

    /// `views.open`: shows `view` to the user whose action produced `triggerID` (valid for 3 s); returns the view id.
    public func openView(token: String, triggerID: String, view: ModalView) async throws(SlackError) -> String {
        let answer: ViewBody = try await call(
            "views.open", token: token, json: OpenViewBody(triggerID: triggerID, view: view))
        return answer.view.id
    }

    /// `oauth.v2.access`: exchanges an install `code` for a bot token; the client credentials go as HTTP Basic auth.
    public func oauthV2Access(
        clientID: String, clientSecret: String, code: String, redirectURI: String?
    ) async throws(SlackError) -> OAuthV2Access {
        var form = [("code", code)]
        if let redirectURI { form.append(("redirect_uri", redirectURI)) }
        let basic = Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
        let request = formRequest("oauth.v2.access", authorization: "Basic \(basic)", form: form)
        return try await perform("oauth.v2.access", request, secrets: [clientSecret, code])
    }

    /// `auth.test`: checks a token and names its workspace and bot.
    public func authTest(token: String) async throws(SlackError) -> AuthTest {
        try await call("auth.test", token: token, form: [])
    }

    /// `auth.revoke`: revokes the token (uninstall); true when Slack says it is revoked.
    public func authRevoke(token: String) async throws(SlackError) -> Bool {
        let answer: RevokeBody = try await call("auth.revoke", token: token, form: [])
        return answer.revoked
    }

    /// Posts to an incoming webhook. Success is a 2xx (Slack says `ok`); a 4xx with a plain error word such as
    /// `no_service` becomes ``SlackError/api(_:method:)`` for method `webhook`. The URL is secret and never reported.
    public func postWebhook(url: URL, _ message: SlackMessage) async throws(SlackError) {
        let method = "webhook"
        let request = OutboundRequest(
            method: "POST", url: url,
            headers: ["content-type": Self.jsonContentType, "accept": "text/plain, application/json"],
            body: try encodeJSON(message, method: method))
        let secrets = [url.absoluteString]  // its path and pieces are redacted too (SecretRedaction)
        let response = try await send(request, method: method, secrets: secrets)
        switch response.status {
        case 200..<300:
            return
        case 429:
            throw .rateLimited(retryAfter: retryAfter(response), method: method)
        case 400..<500:
            let word = String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if Self.isErrorWord(word) {
                throw .api(SlackErrorCode(rawValue: word), method: method)
            }
            throw httpError(response, method: method, secrets: secrets)
        default:
            throw httpError(response, method: method, secrets: secrets)
        }
    }

    static let maxPages = 1000
    /// The longest one 429 is waited out while reading pages, and how many are waited out in all.
    public static let maxRateLimitWait: Duration = .seconds(30)
    public static let maxRateLimitRetries = 5
    /// The most of a Web API answer read (a page of channels is far less); a webhook's answer gets the outbound default.
    static let maxResponseBytes = 8 << 20
    static let jsonContentType = "application/json; charset=utf-8"
    static let formContentType = "application/x-www-form-urlencoded"
}

// MARK: - Request and answer bodies

extension SlackClient {
    struct UpdateBody: Encodable {
        var channel: String
        var ts: String
        var text: String
        var blocks: [Block]?
        var attachments: [Attachment]?
    }

    struct OpenViewBody: Encodable {
        var triggerID: String
        var view: ModalView

        enum CodingKeys: String, CodingKey {
            case triggerID = "trigger_id"
            case view
        }
    }

    struct ChannelsPage: Decodable {
        var channels: [SlackChannel]
        var responseMetadata: ResponseMetadata?

        enum CodingKeys: String, CodingKey {
            case channels
            case responseMetadata = "response_metadata"
        }
    }

    struct ResponseMetadata: Decodable {
        var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case nextCursor = "next_cursor"
        }
    }

    struct UserBody: Decodable {
        var user: SlackUser
    }

    struct ViewBody: Decodable {
        struct View: Decodable {
            var id: String
        }
        var view: View
    }

    struct PermalinkBody: Decodable {
        var permalink: String
    }

    struct RevokeBody: Decodable {
        var revoked: Bool
    }
}
