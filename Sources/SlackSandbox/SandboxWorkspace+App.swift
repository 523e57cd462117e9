import Foundation
import Outbound
import SlackAPI

/// A reply to a `response_url`: shown only to `user`, under the channel's messages.
public struct SandboxEphemeral: Sendable, Equatable {
    public var channel: String
    public var user: String
    public var text: String
    public var at: Date
}

/// A modal open for a user, with the errors Herald answered its last submission with.
public struct SandboxOpenView: Sendable, Equatable {
    public var id: String
    public var view: JSONValue
    public var errors: [String: String] = [:]
}

/// The sandbox playing Slack's part towards the Herald app: the requests Slack sends when a
/// person clicks a button, picks from a select, types a slash command, submits a modal or posts a
/// message, each signed with the app's signing secret exactly as Slack signs them.
extension SandboxWorkspace {
    /// Where Herald's app receives Slack's requests, and the secret they are signed with.
    public func connect(herald baseURL: URL, transport: any OutboundTransport, signingSecret: String) {
        herald = (baseURL, transport, signingSecret)
    }

    public func user(_ id: String) -> SandboxUser? { users.first { $0.id == id } }
    public func allUsers() -> [SandboxUser] { users }

    /// A `response_url` for an interaction of `user` in `channel` (a path under `/sandbox/responses/`).
    public func issueResponseURL(channel: String, user: String) -> String {
        let key = Self.randomToken(24)
        responseTargets[key] = (channel, user)
        let base = herald?.baseURL.absoluteString ?? "http://sandbox.local"
        return base.trimmingSuffix("/") + "/sandbox/responses/" + key
    }

    /// Herald's reply to a `response_url`; false for a key the sandbox never issued.
    public func respond(key: String, body: JSONValue?) -> Bool {
        guard let target = responseTargets[key] else { return false }
        let text = body?["text"]?.string ?? ""
        ephemerals[target.channel, default: []].append(SandboxEphemeral(channel: target.channel, user: target.user, text: text, at: now()))
        return true
    }

    public func ephemerals(in channel: String) -> [SandboxEphemeral] {
        guard let id = resolve(channel)?.id else { return [] }
        return ephemerals[id] ?? []
    }

    public func openView(for user: String) -> SandboxOpenView? { openViewsByUser[user] }

    public func closeView(for user: String) { openViewsByUser[user] = nil }

    /// A person's message, stored without telling Herald.
    public func store(channel: String, user: String, text: String, threadTS: String? = nil) -> SandboxMessage? {
        guard let target = resolve(channel), !target.isArchived, !text.isEmpty else { return nil }
        let message = SandboxMessage(ts: nextTS(), channel: target.id, user: user, botID: nil, username: nil, text: text, blocks: nil,
                                     attachments: nil, threadTS: threadTS, receivedAt: now())
        messages[target.id, default: []].append(message)
        return message
    }

    /// A person posts `text` in `channel` (a thread reply with `threadTS`); Herald is told through
    /// the Events API as Slack tells an app subscribed to `message.channels`.
    @discardableResult
    public func post(channel: String, user: String, text: String, threadTS: String? = nil) async -> SandboxMessage? {
        guard let message = store(channel: channel, user: user, text: text, threadTS: threadTS) else { return nil }
        eventCounter += 1
        var event: [String: JSONValue] = ["type": "message", "channel": .string(message.channel), "user": .string(user), "text": .string(text),
                                          "ts": .string(message.ts), "team": .string(Self.teamID), "channel_type": "channel",
                                          "event_ts": .string(message.ts)]
        if let threadTS { event["thread_ts"] = .string(threadTS) }
        let envelope: JSONValue = [
            "token": "sandbox-verification-token", "team_id": .string(Self.teamID), "api_app_id": "A0HERALD", "type": "event_callback",
            "event_id": .string("Ev0SANDBOX\(eventCounter)"), "event_time": .number(now().timeIntervalSince1970.rounded(.down)),
            "event": .object(event),
        ]
        _ = await send(path: "slack/events", contentType: "application/json", body: envelope.encoded())
        return message
    }

    /// A person clicks a button (`value`) or picks an option (`selected`) in a message's controls.
    /// Returns Herald's HTTP status, nil when nothing was sent.
    @discardableResult
    public func click(channel: String, ts: String, actionID: String, blockID: String?, value: String?, selected: String?,
                      user: String) async -> Int? {
        guard let target = resolve(channel), let actor = self.user(user) else { return nil }
        var action: [String: JSONValue] = ["action_id": .string(actionID), "block_id": .string(blockID ?? ""),
                                           "action_ts": .string(String(format: "%.6f", now().timeIntervalSince1970 + Double(eventCounter) / 1e6)),
                                           "type": .string(selected == nil ? "button" : "static_select")]
        eventCounter += 1
        if let value { action["value"] = .string(value) }
        if let selected { action["selected_option"] = ["value": .string(selected), "text": ["type": "plain_text", "text": .string(selected)]] }
        let payload: JSONValue = [
            "type": "block_actions", "team": ["id": .string(Self.teamID), "domain": "herald-sandbox"],
            "user": ["id": .string(actor.id), "username": .string(actor.name), "team_id": .string(Self.teamID)],
            "api_app_id": "A0HERALD", "trigger_id": .string(issueTriggerID(user: actor.id)),
            "container": ["type": "message", "message_ts": .string(ts), "channel_id": .string(target.id), "is_ephemeral": false],
            "channel": ["id": .string(target.id), "name": .string(target.name)],
            "response_url": .string(issueResponseURL(channel: target.id, user: actor.id)),
            "actions": [.object(action)],
        ]
        let form = FormEncoding.encode([("payload", String(decoding: payload.encoded(), as: UTF8.self))])
        return await send(path: "slack/interactions", contentType: "application/x-www-form-urlencoded", body: Data(form.utf8))?.status
    }

    /// A person types a slash command in `channel`; Herald's ephemeral answer is shown to them.
    @discardableResult
    public func command(_ command: String, text: String = "", channel: String, user: String) async -> Int? {
        guard let target = resolve(channel), let actor = self.user(user) else { return nil }
        let form = FormEncoding.encode([
            ("token", "sandbox-verification-token"), ("team_id", Self.teamID), ("team_domain", "herald-sandbox"),
            ("channel_id", target.id), ("channel_name", target.name), ("user_id", actor.id), ("user_name", actor.name),
            ("command", command), ("text", text), ("api_app_id", "A0HERALD"),
            ("response_url", issueResponseURL(channel: target.id, user: actor.id)), ("trigger_id", issueTriggerID(user: actor.id)),
        ])
        guard let answer = await send(path: "slack/commands", contentType: "application/x-www-form-urlencoded", body: Data(form.utf8)) else {
            return nil
        }
        if let text = JSONValue.parse(answer.body)?["text"]?.string {
            ephemerals[target.id, default: []].append(SandboxEphemeral(channel: target.id, user: actor.id, text: text, at: now()))
        }
        return answer.status
    }

    /// The user submits their open modal with `values` (block id → action id → value). Herald's
    /// `response_action: errors` keeps it open with the errors; anything else closes it.
    @discardableResult
    public func submitView(user: String, values: [String: [String: String]]) async -> [String: String]? {
        guard let open = openViewsByUser[user], let actor = self.user(user) else { return nil }
        var state: [String: JSONValue] = [:]
        for block in open.view["blocks"]?.array ?? [] {
            guard let blockID = block["block_id"]?.string, let element = block["element"], let actionID = element["action_id"]?.string
            else { continue }
            let typed = values[blockID]?[actionID].flatMap { $0.isEmpty ? nil : $0 }
            var input: [String: JSONValue] = ["type": .string(element["type"]?.string ?? "plain_text_input")]
            if element["type"]?.string == "static_select" {
                input["selected_option"] = typed.map { ["value": .string($0)] } ?? .null
            } else {
                input["value"] = typed.map(JSONValue.string) ?? .null
            }
            state[blockID] = [actionID: .object(input)]
        }
        var view = open.view
        if case .object(var o) = view {
            o["state"] = ["values": .object(state)]
            o["hash"] = .string(Self.randomToken(12))
            view = .object(o)
        }
        let payload: JSONValue = [
            "type": "view_submission", "team": ["id": .string(Self.teamID), "domain": "herald-sandbox"],
            "user": ["id": .string(actor.id), "username": .string(actor.name), "team_id": .string(Self.teamID)],
            "api_app_id": "A0HERALD", "trigger_id": .string(issueTriggerID(user: actor.id)), "view": view,
        ]
        let form = FormEncoding.encode([("payload", String(decoding: payload.encoded(), as: UTF8.self))])
        let answer = await send(path: "slack/interactions", contentType: "application/x-www-form-urlencoded", body: Data(form.utf8))
        var errors: [String: String] = [:]
        if let body = answer?.body, let json = JSONValue.parse(body), json["response_action"]?.string == "errors" {
            for (block, message) in json["errors"]?.object ?? [:] { errors[block] = message.string ?? "" }
        }
        if errors.isEmpty, answer.map({ (200..<300).contains($0.status) }) == true {
            openViewsByUser[user] = nil
        } else {
            openViewsByUser[user]?.errors = errors.isEmpty ? ["": "Herald did not accept the form (HTTP \(answer?.status ?? 0))."] : errors
        }
        return errors
    }

    /// Sends a request to Herald's app, signed as Slack signs it; nil when Herald is not connected
    /// or cannot be reached.
    func send(path: String, contentType: String, body: Data) async -> OutboundResponse? {
        guard let herald else { return nil }
        let timestamp = String(Int(now().timeIntervalSince1970))
        let signature = SlackSignatureVerifier(signingSecret: herald.signingSecret).signature(body: body, timestamp: timestamp)
        let url = URL(string: herald.baseURL.absoluteString.trimmingSuffix("/") + "/" + path)!
        let request = OutboundRequest(method: "POST", url: url, headers: [
            "content-type": contentType, "x-slack-request-timestamp": timestamp, "x-slack-signature": signature,
            "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        ], body: body)
        return try? await herald.transport.send(request, timeout: .seconds(10))
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}

extension SandboxWorkspace {
    /// A person in the workspace (tests make the people they need).
    @discardableResult
    public func addUser(id: String, name: String, email: String?) -> SandboxUser {
        if let known = users.first(where: { $0.id == id }) { return known }
        let user = SandboxUser(id: id, name: name, realName: name.capitalized, email: email, isBot: false)
        users.append(user)
        return user
    }
}
