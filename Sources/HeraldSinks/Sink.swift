import Foundation
import HeraldCore

/// A kind of sink (SPEC §1: `slack`, `slack_webhook`, `hipchat`, `mattermost`, `discord`, `teams`,
/// `webhook`), as stored with every message and delivery.
public struct SinkType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The usual pacing key: the sink, the credential's fingerprint and the target.
    public func pacingKey(target: String, credentialFingerprint: String?) -> String {
        "\(rawValue)|\(credentialFingerprint ?? "-")|\(target)"
    }

    /// Slack through a bot token (`chat.postMessage` / `chat.update`).
    public static let slack = SinkType("slack")
    /// A Slack incoming webhook: posts only.
    public static let slackWebhook = SinkType("slack_webhook")
}

/// What a sink can do, which the delivery core plans around.
public struct SinkCapabilities: Sendable, Equatable {
    /// It can edit a message in place, so an incident keeps one living message there. A sink that
    /// cannot gets a new message for each status change instead (SPEC §2).
    public var canEdit: Bool

    public init(canEdit: Bool) {
        self.canEdit = canEdit
    }
}

/// Where one delivery goes, as its sink sees it at send time: the destination's target (a Slack
/// channel, a room…) and the secret it is sent with (a bot token, a webhook URL), resolved from its
/// source just before sending and never stored with the delivery.
public struct SinkAddress: Sendable {
    public var target: String
    public var secret: String

    public init(target: String, secret: String) {
        self.target = target
        self.secret = secret
    }
}

/// The answer of a sink to one send, sorted the way delivery needs it (SPEC §5). Codes are the
/// sink's own error text (Slack's `channel_not_found`, `http_503`…).
public enum SinkResult: Sendable, Equatable {
    /// Posted or edited. `reference` is the sink's opaque reference to the message (Slack's channel
    /// and ts, a Discord message id), kept with the message for later edits; nil when the sink
    /// gives none (an incoming webhook).
    case sent(reference: String?)
    /// The message to edit is gone (deleted, its channel archived): the core posts a fresh one.
    case gone(code: String, detail: String)
    /// Worth retrying (timeouts, connection errors, 5xx, 429); never sooner than `retryAfter`.
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

    /// Deliveries with the same key share one pacing slot (SPEC §5: one message per second per
    /// Slack channel). `credentialFingerprint` tells apart two workspaces' channels of one name.
    func pacingKey(target: String, credentialFingerprint: String?) -> String

    func render(_ content: MessageContent) -> Payload

    /// Posts a new message.
    func post(_ payload: Payload, to address: SinkAddress) async -> SinkResult

    /// Edits the message `reference` names; only called when ``capabilities`` says it can edit.
    func edit(_ reference: String, with payload: Payload, at address: SinkAddress) async -> SinkResult

    /// What `reference` names, for people to read.
    func location(of reference: String) -> MessageLocation
}

extension Sink {
    public func edit(_ reference: String, with payload: Payload, at address: SinkAddress) async -> SinkResult {
        .permanent(code: "cannot_edit", detail: "\(type) messages cannot be edited")
    }

    public func location(of reference: String) -> MessageLocation {
        MessageLocation(channel: nil, message: reference)
    }

    public func pacingKey(target: String, credentialFingerprint: String?) -> String {
        type.pacingKey(target: target, credentialFingerprint: credentialFingerprint)
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
    public func post(_ message: RenderedMessage, to address: SinkAddress) async -> SinkResult {
        guard let payload = message.payload as? Payload else { return Self.mismatch(message) }
        return await post(payload, to: address)
    }

    /// Edits a message with one this sink rendered.
    public func edit(_ reference: String, with message: RenderedMessage, at address: SinkAddress) async -> SinkResult {
        guard let payload = message.payload as? Payload else { return Self.mismatch(message) }
        return await edit(reference, with: payload, at: address)
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

    /// Whether messages of `type` are edited in place; unknown types are not.
    public func canEdit(_ type: String) -> Bool {
        self[type]?.capabilities.canEdit ?? false
    }
}
