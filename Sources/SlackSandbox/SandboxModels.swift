import Foundation
import SlackAPI

/// A channel of the sandbox workspace.
public struct SandboxChannel: Sendable, Equatable {
    public var id: String
    public var name: String
    public var isPrivate: Bool
    public var isArchived: Bool
    /// Whether the Herald bot has joined: private channels it is not in are invisible to it;
    /// posting to a public one it is not in fails with `not_in_channel`.
    public var botIsMember: Bool
    public var created: Int
}

/// A message as the sandbox stores it: the latest version, with how often it was edited.
public struct SandboxMessage: Sendable, Equatable {
    public var ts: String
    public var channel: String
    public var user: String?
    public var botID: String?
    public var username: String?
    public var text: String
    public var blocks: JSONValue?
    public var attachments: JSONValue?
    public var threadTS: String?
    /// Number of `chat.update` calls applied.
    public var edits: Int = 0
    public var editedTS: String?
    /// Sent through an incoming webhook rather than the Web API.
    public var viaWebhook: Bool = false
    /// When the sandbox received the post (for pacing checks; Slack's ts has only second precision here).
    public var receivedAt: Date = Date()
    /// When each update arrived.
    public var updatedAt: [Date] = []

    func json(team: String) -> JSONValue {
        var o: [String: JSONValue] = ["type": "message", "text": .string(text), "ts": .string(ts), "team": .string(team)]
        if let user { o["user"] = .string(user) }
        if let botID { o["bot_id"] = .string(botID); o["app_id"] = "A0HERALD" }
        if let username { o["username"] = .string(username) }
        if let blocks { o["blocks"] = blocks }
        if let attachments { o["attachments"] = attachments }
        if let threadTS { o["thread_ts"] = .string(threadTS) }
        if let editedTS, let user { o["edited"] = ["user": .string(user), "ts": .string(editedTS)] }
        return .object(o)
    }
}

/// A person in the sandbox workspace.
public struct SandboxUser: Sendable, Equatable {
    public var id: String
    public var name: String
    public var realName: String
    public var email: String?
    public var isBot: Bool

    func json(team: String) -> JSONValue {
        var profile: [String: JSONValue] = ["real_name": .string(realName), "display_name": .string(name)]
        if let email { profile["email"] = .string(email) }
        return [
            "id": .string(id), "team_id": .string(team), "name": .string(name), "real_name": .string(realName),
            "deleted": false, "is_bot": .bool(isBot), "is_admin": false, "tz": "Etc/UTC", "profile": .object(profile),
        ]
    }
}

/// A failure the sandbox should answer with instead of the real thing, for tests of retries.
public struct SandboxFault: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// HTTP 429 with `Retry-After`.
        case rateLimited
        /// HTTP `status` with an empty body.
        case http
        /// HTTP 200 `{"ok":false,"error":error}`.
        case error
        /// No answer at all, as a Slack that hangs: the request waits until the client gives up
        /// (or ``SandboxWorkspace/hangLimit`` passes).
        case hang
    }

    public var kind: Kind
    /// Web API method (`chat.postMessage`) or `webhook`; nil matches any.
    public var method: String?
    /// Channel id or name the request names; nil matches any.
    public var channel: String?
    /// How many requests to fail.
    public var count: Int
    public var status: Int?
    public var error: String?
    public var retryAfter: Int?
    /// The `Retry-After` header exactly as written, instead of `retryAfter` (for a huge or broken value).
    public var retryAfterHeader: String?
    /// How many matching requests to answer normally first (nil: none).
    public var after: Int?

    public init(kind: Kind, method: String? = nil, channel: String? = nil, count: Int = 1, status: Int? = nil,
                error: String? = nil, retryAfter: Int? = nil, retryAfterHeader: String? = nil, after: Int? = nil) {
        self.kind = kind
        self.method = method
        self.channel = channel
        self.count = count
        self.status = status
        self.error = error
        self.retryAfter = retryAfter
        self.retryAfterHeader = retryAfterHeader
        self.after = after
    }
}

/// What the sandbox answers: JSON for the Web API, plain text for webhooks.
public struct SandboxResult: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    static func json(_ value: JSONValue, status: Int = 200, headers: [String: String] = [:]) -> SandboxResult {
        var h = headers
        h["content-type"] = "application/json; charset=utf-8"
        return SandboxResult(status: status, headers: h, body: value.encoded())
    }

    static func ok(_ fields: [String: JSONValue] = [:]) -> SandboxResult {
        var o = fields
        o["ok"] = true
        return .json(.object(o))
    }

    static func error(_ code: String, extra: [String: JSONValue] = [:], status: Int = 200) -> SandboxResult {
        var o = extra
        o["ok"] = false
        o["error"] = .string(code)
        return .json(.object(o), status: status)
    }

    static func text(_ text: String, status: Int) -> SandboxResult {
        SandboxResult(status: status, headers: ["content-type": "text/plain; charset=utf-8"], body: Data(text.utf8))
    }

    public var json: JSONValue? { JSONValue.parse(body) }

    /// The ``SandboxFault/Kind/hang`` fault: the HTTP layer waits instead of answering.
    static let hang = SandboxResult(status: 0, headers: [:], body: Data())

    var isHang: Bool { status == 0 }
}
