import Foundation
import HeraldCore

/// A kind of sink (SPEC §1: `slack`, `slack_webhook`, `hipchat`, `mattermost`, `discord`, `teams`,
/// `webhook`), as stored with every message and delivery.
public struct SinkType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The usual pacing key: the sink, the credential's fingerprint and the target. Every
    /// destination has its own (the fingerprint is never empty: an unresolved credential's name stands in).
    public func pacingKey(target: String, credentialFingerprint: String) -> String {
        "\(rawValue)|\(credentialFingerprint)|\(target)"
    }

    /// Slack through a bot token (`chat.postMessage` / `chat.update`).
    public static let slack = SinkType("slack")
    /// A Slack incoming webhook: posts only.
    public static let slackWebhook = SinkType("slack_webhook")
    /// A HipChat v2 room notification: posts only.
    public static let hipchat = SinkType("hipchat")
    /// A Mattermost incoming webhook: posts only.
    public static let mattermost = SinkType("mattermost")
    /// A Discord webhook, edited in place (`?wait=true`, then `PATCH …/messages/{id}`).
    public static let discord = SinkType("discord")
    /// A Microsoft Teams Workflows webhook with an Adaptive Card: posts only.
    public static let teams = SinkType("teams")
    /// Herald's signed JSON webhook: posts only.
    public static let webhook = SinkType("webhook")

    /// Every sink type Herald knows, in the order the API documents them.
    public static let all: [SinkType] = [.slack, .slackWebhook, .hipchat, .mattermost, .discord, .teams, .webhook]
}

/// What a sink can do, which the delivery core plans around.
public struct SinkCapabilities: Sendable, Equatable {
    /// It can edit a message in place, so an incident keeps one living message there. A sink that
    /// cannot gets a new message for each status change instead (SPEC §2).
    public var canEdit: Bool
    /// It can reply in a message's thread: with `threadUpdates`, status changes and coalesced
    /// updates are also posted there.
    public var canThread: Bool

    public init(canEdit: Bool, canThread: Bool = false) {
        self.canEdit = canEdit
        self.canThread = canThread
    }
}

/// What a destination is sent with, by the form its sink type needs: resolved from its source
/// (the project's Slack settings, an integration's sealed credential) just before sending and
/// never stored with a delivery. Stored sealed as JSON (see ``sealed(in:context:)`` in the server).
public enum SinkCredential: Sendable, Equatable, Codable {
    /// Nothing secret (a test sink).
    case none
    /// A bearer token: a Slack bot token.
    case token(token: String)
    /// A URL that is itself the secret: a Slack, Mattermost, Discord or Teams webhook.
    case url(url: String)
    /// A HipChat room notification URL and the room's auth token.
    case room(url: String, authToken: String)
    /// A webhook URL and the secret its bodies are signed with (none: unsigned).
    case signed(url: String, secret: String?)

    /// The URL the credential sends to, if it has one.
    public var url: String? {
        switch self {
        case .url(let url), .room(let url, _), .signed(let url, _): url
        case .none, .token: nil
        }
    }

    /// Every secret string in it, for redaction.
    public var secrets: [String] {
        switch self {
        case .none: []
        case .token(let token): [token]
        case .url(let url): [url]
        case .room(let url, let token): [url, token]
        case .signed(let url, let secret): [url] + (secret.map { [$0] } ?? [])
        }
    }

    /// The fields as one string, for a fingerprint: two credentials with the same fingerprint reach the same place the same way.
    public var identity: String {
        switch self {
        case .none: "none"
        case .token(let token): token
        case .url(let url): url
        case .room(let url, let token): "\(url) \(token)"
        case .signed(let url, let secret): "\(url) \(secret ?? "")"
        }
    }
}

/// Where one delivery goes, as its sink sees it at send time: the destination's target (a Slack
/// channel, a room…, empty where the credential says it all) and its credential.
public struct SinkAddress: Sendable {
    public var target: String
    public var credential: SinkCredential

    public init(target: String, credential: SinkCredential) {
        self.target = target
        self.credential = credential
    }
}

/// What a send knows of its delivery: the signed webhook sends the id as `X-Herald-Delivery`, the
/// same on every attempt of one delivery, and the time as `X-Herald-Timestamp`.
public struct SendContext: Sendable, Equatable {
    /// The delivery's id (a test send has one of its own).
    public var deliveryID: String
    /// 1 for the first try.
    public var attempt: Int
    /// When this attempt is made.
    public var at: Date

    public init(deliveryID: String, attempt: Int, at: Date) {
        self.deliveryID = deliveryID
        self.attempt = attempt
        self.at = at
    }
}

/// How fast a sink's destinations may be sent to.
public enum SinkPacing: Sendable, Equatable {
    /// Slack's channel rate (`HERALD_CHANNEL_RATE`, 1 per second per channel by default).
    case slackChannelRate
    /// This many messages per second per destination.
    case perSecond(Double)
}

/// The answer of a sink to one send, sorted the way delivery needs it (SPEC §5). Codes are the
/// sink's own error text (Slack's `channel_not_found`, `http_503`…).
public enum SinkResult: Sendable, Equatable {
    /// Posted or edited. `reference` is the sink's opaque reference to the message (Slack's channel
    /// and ts, a Discord message id), kept with the message for later edits; nil when the sink
    /// gives none (an incoming webhook). `holdFor`: the service asked for a pause before the next
    /// send to this destination (Discord's `X-RateLimit-Remaining: 0`).
    case sent(reference: String?, holdFor: Duration? = nil)
    /// The message to edit is gone (deleted, its channel archived): the core posts a fresh one.
    case gone(code: String, detail: String)
    /// Worth retrying (timeouts, connection errors, 5xx, 429); never sooner than `retryAfter`, and
    /// nothing else goes to the destination before then either.
    case transient(code: String, detail: String, retryAfter: Duration?)
    /// Will not succeed by trying again (bad credentials, unknown channel, any other 4xx).
    case permanent(code: String, detail: String)
}

/// Where a sink shows a message, for the API and pages: the sink's names for its channel and message.
public struct MessageLocation: Sendable, Equatable {
    public var channel: String?
    public var message: String?

    public init(channel: String?, message: String?) {
        self.channel = channel
        self.message = message
    }
}

/// One chat service behind the delivery core: it renders the neutral views of ``MessageContent``
/// into its own payload, sends it, and maps the answer to a ``SinkResult``. The core knows nothing
/// else of it; it renders once per incident (or notification) and sink, then sends that payload to
/// every destination of the sink.
public protocol Sink: Sendable {
    associatedtype Payload: Sendable

    var type: SinkType { get }
    var capabilities: SinkCapabilities { get }
    /// How fast one destination may be sent to (the default: Slack's channel rate).
    var pacing: SinkPacing { get }

    /// Deliveries with the same key share one pacing slot (SPEC §5: one message per second per
    /// Slack channel). `credentialFingerprint` tells apart two workspaces' channels of one name,
    /// and two webhooks (whose URL is the credential).
    func pacingKey(target: String, credentialFingerprint: String) -> String

    func render(_ content: MessageContent) -> Payload

    /// Posts a new message.
    func post(_ payload: Payload, to address: SinkAddress, context: SendContext) async -> SinkResult

    /// Edits the message `reference` names; only called when ``capabilities`` says it can edit.
    func edit(_ reference: String, with payload: Payload, at address: SinkAddress, context: SendContext) async -> SinkResult

    /// Posts a reply in the thread of the message `reference` names (resolved when the reply is
    /// sent, so it follows a re-posted message); only called when ``capabilities`` says it can thread.
    func reply(to reference: String, with payload: Payload, at address: SinkAddress, context: SendContext) async -> SinkResult

    /// What `reference` names, for people to read.
    func location(of reference: String) -> MessageLocation
}

extension Sink {
    public func edit(_ reference: String, with payload: Payload, at address: SinkAddress, context: SendContext) async -> SinkResult {
        .permanent(code: "cannot_edit", detail: "\(type) messages cannot be edited")
    }

    public func reply(to reference: String, with payload: Payload, at address: SinkAddress, context: SendContext) async -> SinkResult {
        .permanent(code: "cannot_thread", detail: "\(type) messages cannot have threads")
    }

    public func location(of reference: String) -> MessageLocation {
        MessageLocation(channel: nil, message: reference)
    }

    public func pacingKey(target: String, credentialFingerprint: String) -> String {
        type.pacingKey(target: target, credentialFingerprint: credentialFingerprint)
    }

    public var pacing: SinkPacing { .slackChannelRate }

    /// The answer for an address whose credential is not of the form this sink needs.
    public func wrongCredential(_ needed: String) -> SinkResult {
        .permanent(code: "credential_mismatch", detail: "a \(type) destination needs \(needed)")
    }
}

/// A payload rendered by some sink, passed back to the same sink to send (the core holds sinks
/// as `any Sink`, so it cannot name their payload types).
public struct RenderedMessage: Sendable {
    public let sink: SinkType
    let payload: any Sendable
}

extension Sink {
    public func renderMessage(_ content: MessageContent) -> RenderedMessage {
        RenderedMessage(sink: type, payload: render(content))
    }

    /// Posts a message this sink rendered.
    public func post(_ message: RenderedMessage, to address: SinkAddress, context: SendContext) async -> SinkResult {
        guard let payload = message.payload as? Payload else { return Self.mismatch(message) }
        return await post(payload, to: address, context: context)
    }

    /// Edits a message with one this sink rendered.
    public func edit(_ reference: String, with message: RenderedMessage, at address: SinkAddress, context: SendContext) async -> SinkResult {
        guard let payload = message.payload as? Payload else { return Self.mismatch(message) }
        return await edit(reference, with: payload, at: address, context: context)
    }

    /// Replies, with a message this sink rendered, in the thread of the message `reference` names.
    public func reply(to reference: String, with message: RenderedMessage, at address: SinkAddress, context: SendContext) async -> SinkResult {
        guard let payload = message.payload as? Payload else { return Self.mismatch(message) }
        return await reply(to: reference, with: payload, at: address, context: context)
    }

    private static func mismatch(_ message: RenderedMessage) -> SinkResult {
        .permanent(code: "render_mismatch", detail: "a \(message.sink) payload was given to a \(Self.self)")
    }
}

/// The sinks a process can send to, by type. Types nobody registered are refused at send time with
/// `sink_unknown`, never guessed.
public struct SinkRegistry: Sendable {
    private var sinks: [SinkType: any Sink] = [:]

    public init(_ sinks: [any Sink] = []) {
        for sink in sinks { register(sink) }
    }

    /// Adds `sink`, replacing any sink of its type.
    public mutating func register(_ sink: any Sink) {
        sinks[sink.type] = sink
    }

    public subscript(type: SinkType) -> (any Sink)? { sinks[type] }
    public subscript(type: String) -> (any Sink)? { sinks[SinkType(type)] }

    public var types: [SinkType] { sinks.keys.sorted { $0.rawValue < $1.rawValue } }

    /// The pacing key of a destination: its sink's own, or the usual form for a type nobody registered
    /// (its deliveries then fail with `sink_unknown`, each in a slot of its own).
    public func pacingKey(sink: String, target: String, credentialFingerprint: String) -> String {
        self[sink]?.pacingKey(target: target, credentialFingerprint: credentialFingerprint)
            ?? SinkType(sink).pacingKey(target: target, credentialFingerprint: credentialFingerprint)
    }

    /// Whether messages of `type` are edited in place; unknown types are not.
    public func canEdit(_ type: String) -> Bool {
        self[type]?.capabilities.canEdit ?? false
    }

    /// Whether messages of `type` can have replies in their thread; unknown types cannot.
    public func canThread(_ type: String) -> Bool {
        self[type]?.capabilities.canThread ?? false
    }
}
