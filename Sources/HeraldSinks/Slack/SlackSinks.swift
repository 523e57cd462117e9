import Foundation
import HeraldCore
import SlackAPI

/// Slack through a bot token (SPEC §2): Block Kit messages posted with `chat.postMessage` and
/// edited in place with `chat.update`, so an incident keeps one living message per channel.
/// The address's secret is the bot token; its target is the channel. Incident messages carry
/// Acknowledge, Resolve and Reassign when their view says the organization's Slack app can receive them.
public struct SlackBotSink: Sink {
    public let client: SlackClient

    public init(client: SlackClient) {
        self.client = client
    }

    public var type: SinkType { .slack }
    public var capabilities: SinkCapabilities { SinkCapabilities(canEdit: true, canThread: true) }

    public func render(_ content: MessageContent) -> SlackMessage {
        SlackRenderer.message(content)
    }

    /// `chat.postMessage` with the parent's `thread_ts`, in the parent's channel.
    public func reply(to reference: String, with payload: SlackMessage, at address: SinkAddress, context: SendContext) async -> SinkResult {
        guard case .token(let token) = address.credential else { return wrongCredential("a bot token") }
        guard let parent = SlackMessageReference(decoding: reference) else {
            return .permanent(code: "parent_unknown", detail: "unreadable reference of the message to reply to")
        }
        var message = payload
        message.channel = parent.channel
        message.threadTS = parent.ts
        do {
            let posted = try await client.postMessage(token: token, message)
            return .sent(reference: SlackMessageReference(channel: posted.channel, ts: posted.ts).encoded)
        } catch {
            return Self.result(error, editing: false)
        }
    }

    public func post(_ payload: SlackMessage, to address: SinkAddress, context: SendContext) async -> SinkResult {
        guard case .token(let token) = address.credential else { return wrongCredential("a bot token") }
        var message = payload
        message.channel = address.target
        do {
            let posted = try await client.postMessage(token: token, message)
            return .sent(reference: SlackMessageReference(channel: posted.channel, ts: posted.ts).encoded)
        } catch {
            return Self.result(error, editing: false)
        }
    }

    public func edit(_ reference: String, with payload: SlackMessage, at address: SinkAddress, context: SendContext) async -> SinkResult {
        guard case .token(let token) = address.credential else { return wrongCredential("a bot token") }
        guard let existing = SlackMessageReference(decoding: reference) else {
            // Not a reference Herald wrote: the message cannot be found, so a fresh one is posted.
            return .gone(code: SlackErrorCode.messageNotFound.rawValue, detail: "unreadable message reference")
        }
        do {
            let updated = try await client.updateMessage(token: token, channel: existing.channel, ts: existing.ts, payload)
            return .sent(reference: SlackMessageReference(channel: updated.channel, ts: updated.ts).encoded)
        } catch {
            return Self.result(error, editing: true)
        }
    }

    public func location(of reference: String) -> MessageLocation {
        let decoded = SlackMessageReference(decoding: reference)
        return MessageLocation(channel: decoded?.channel, message: decoded?.ts)
    }

    /// Slack's error sorted for delivery: a vanished message (when editing) is re-posted, a 429 is
    /// retried after its `Retry-After`, permanent codes fail at once (SPEC §5).
    static func result(_ error: SlackError, editing: Bool) -> SinkResult {
        if editing, case .api(let code, _) = error, code.meansMessageGone {
            return .gone(code: error.code, detail: String(describing: error))
        }
        if error.isPermanent { return .permanent(code: error.code, detail: String(describing: error)) }
        return .transient(code: error.code, detail: String(describing: error), retryAfter: error.retryAfter)
    }
}

/// A Slack incoming webhook (`slack_webhook`): the same Block Kit message, posted to the webhook
/// URL, which is the address's credential. Webhooks cannot edit, so each status change is a new
/// message. Slack answers `ok`; `no_service`, `channel_not_found`, `channel_is_archived`,
/// `invalid_payload`, `invalid_token` and `action_prohibited` are permanent, a 429 waits its `Retry-After`.
public struct SlackWebhookSink: Sink {
    public let client: SlackClient

    public init(client: SlackClient) {
        self.client = client
    }

    public var type: SinkType { .slackWebhook }
    public var capabilities: SinkCapabilities { SinkCapabilities(canEdit: false) }

    public func render(_ content: MessageContent) -> SlackMessage {
        // A webhook cannot receive actions: never buttons.
        if case .incident(var view) = content {
            view.interactive = false
            return SlackRenderer.message(.incident(view))
        }
        return SlackRenderer.message(content)
    }

    public func post(_ payload: SlackMessage, to address: SinkAddress, context: SendContext) async -> SinkResult {
        guard case .url(let text) = address.credential else { return wrongCredential("a webhook URL") }
        guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http" else {
            return .permanent(code: "invalid_webhook_url", detail: "the webhook URL is not an http(s) URL")
        }
        var message = payload
        // A webhook posts to its own channel unless it names another (an empty channel means its own).
        message.channel = address.target
        do {
            try await client.postWebhook(url: url, message)
            return .sent(reference: nil)
        } catch {
            return SlackBotSink.result(error, editing: false)
        }
    }
}

/// Where a Slack bot message is: its channel id and ts, stored as the message's opaque reference
/// in the form `{"channel":"C…","ts":"…"}` (migration 005 writes the same form from the old columns).
public struct SlackMessageReference: Codable, Sendable, Equatable {
    public var channel: String
    public var ts: String

    public init(channel: String, ts: String) {
        self.channel = channel
        self.ts = ts
    }

    public init?(decoding reference: String) {
        guard let decoded = try? JSONDecoder().decode(Self.self, from: Data(reference.utf8)),
              !decoded.channel.isEmpty, !decoded.ts.isEmpty else { return nil }
        self = decoded
    }

    public var encoded: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
