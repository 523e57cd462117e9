import Outbound
import Foundation
import SlackAPI

/// A Slack workspace in memory: the Web API methods Herald uses, incoming webhooks, OAuth, and the
/// errors Slack answers with, so Herald (and `slack_sdk`) can be run against it without Slack.
///
/// State lives in this actor only: a restart starts a fresh workspace.
public actor SandboxWorkspace {
    public static let teamID = "T0SANDBOX"
    public static let teamName = "Herald Sandbox"
    public static let botUserID = "U0HERALDBOT"
    public static let botID = "B0HERALD"

    /// The OAuth app the sandbox knows (Herald's `HERALD_SLACK_CLIENT_ID`/`SECRET` in sandbox mode).
    public let clientID: String
    private let clientSecret: String
    let now: @Sendable () -> Date

    private(set) var channels: [SandboxChannel] = []
    var messages: [String: [SandboxMessage]] = [:]
    var users: [SandboxUser] = []
    private var botTokens: Set<String> = []
    private var revokedTokens: Set<String> = []
    /// Webhook path (`T…/B…/secret`) → channel id.
    private var webhooks: [String: String] = [:]
    private var faults: [SandboxFault] = []
    private var triggerIDs: [String: (issued: Date, user: String?)] = [:]
    private var oauthCodes: [String: (redirectURI: String?, used: Bool, scope: String?)] = [:]
    private(set) var openedViews: [JSONValue] = []
    private var sequence = 0
    private var idCounter = 0
    /// Where the Herald app is, for the requests the sandbox sends it as Slack would.
    var herald: (baseURL: URL, transport: any OutboundTransport, signingSecret: String)?
    /// Replies to `response_url`s: shown to one user in one channel ("Only visible to you").
    var ephemerals: [String: [SandboxEphemeral]] = [:]
    /// `response_url` keys → where their replies show.
    var responseTargets: [String: (channel: String, user: String)] = [:]
    /// The modal open for each user (views.open with a trigger that user's action produced).
    var openViewsByUser: [String: SandboxOpenView] = [:]
    var eventCounter = 0

    public init(clientID: String = "0000000000.0000000000", clientSecret: String = "sandbox-client-secret",
                now: @escaping @Sendable () -> Date = Date.init) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.now = now
        users = [
            SandboxUser(id: Self.botUserID, name: "herald", realName: "Herald", email: nil, isBot: true),
            SandboxUser(id: "U0DEMO", name: "demo", realName: "Demo Operator", email: "demo@herald.local", isBot: false),
            SandboxUser(id: "U0ALICE", name: "alice", realName: "Alice Example", email: "alice@example.com", isBot: false),
            SandboxUser(id: "U0BOB", name: "bob", realName: "Bob Example", email: "bob@example.com", isBot: false),
            SandboxUser(id: "U0CAROL", name: "carol", realName: "Carol Nobody", email: "carol@example.net", isBot: false),
        ]
        for (name, isPrivate, archived, member) in [
            ("general", false, false, false), ("alerts", false, false, true), ("ops", false, false, true),
            ("incidents", false, false, true), ("secret-ops", true, false, true), ("private-hr", true, false, false),
            ("old-alerts", false, true, true),
        ] {
            idCounter += 1
            channels.append(SandboxChannel(id: Self.channelID(idCounter), name: name, isPrivate: isPrivate,
                                           isArchived: archived, botIsMember: member, created: 1_700_000_000 + idCounter))
        }
    }

    static func channelID(_ n: Int) -> String { "C0" + String(format: "%07X", n) }

    // MARK: - Control (sandbox page, tests, demo seeding)

    /// A new bot token for the Herald app in this workspace.
    public func issueBotToken() -> String {
        let token = "xoxb-\(Self.teamID.lowercased())-\(Self.randomToken(24))"
        botTokens.insert(token)
        return token
    }

    /// Registers a token chosen by the caller (the demo seed derives a stable one from Herald's key).
    public func register(botToken: String) {
        botTokens.insert(botToken)
    }

    @discardableResult
    public func addChannel(name: String, isPrivate: Bool = false, isArchived: Bool = false, botIsMember: Bool = true) -> SandboxChannel {
        if let existing = channels.first(where: { $0.name == name }) { return existing }
        idCounter += 1
        let channel = SandboxChannel(id: Self.channelID(idCounter), name: name, isPrivate: isPrivate, isArchived: isArchived,
                                     botIsMember: botIsMember, created: Int(now().timeIntervalSince1970))
        channels.append(channel)
        return channel
    }

    public func setArchived(_ channelID: String, _ archived: Bool) {
        if let i = channels.firstIndex(where: { $0.id == channelID }) { channels[i].isArchived = archived }
    }

    /// A new incoming webhook URL path (`T…/B…/secret`) that posts into `channel`.
    public func createWebhook(channel: String) -> String? {
        guard let target = resolve(channel) else { return nil }
        let path = "\(Self.teamID)/B0HOOK\(Self.randomToken(4).uppercased())/\(Self.randomToken(24))"
        webhooks[path] = target.id
        return path
    }

    public func injectFault(_ fault: SandboxFault) {
        faults.append(fault)
    }

    /// Deletes a message, as a person in Slack would.
    @discardableResult
    public func deleteMessage(channel: String, ts: String) -> Bool {
        guard let before = messages[channel]?.count else { return false }
        messages[channel]?.removeAll { $0.ts == ts }
        return messages[channel]?.count != before
    }

    public func messages(in channel: String) -> [SandboxMessage] {
        guard let target = resolve(channel) else { return [] }
        return messages[target.id] ?? []
    }

    public func allChannels() -> [SandboxChannel] { channels }

    /// A trigger id as Slack sends with a slash command or button; valid for 3 seconds. A modal
    /// opened with it shows for `user`.
    public func issueTriggerID(user: String? = nil) -> String {
        let id = "\(Int(now().timeIntervalSince1970)).\(Int.random(in: 100_000...999_999)).\(Self.randomToken(16))"
        triggerIDs[id] = (now(), user)
        return id
    }

    /// An OAuth code as the authorize page hands out.
    public func issueOAuthCode(redirectURI: String?, scope: String? = nil) -> String {
        let code = "\(Int(now().timeIntervalSince1970)).\(Self.randomToken(20))"
        oauthCodes[code] = (redirectURI, false, scope)
        return code
    }

    public func views() -> [JSONValue] { openedViews }

    // MARK: - Web API

    /// Answers one Web API call. `params` are the request's fields (JSON body, form or query).
    public func call(method: String, params: [String: JSONValue], token: String?, basicAuth: (String, String)? = nil) -> SandboxResult {
        if let fault = takeFault(method: method, channel: params["channel"]?.string) { return fault }
        if method == "oauth.v2.access" { return oauthAccess(params, basicAuth: basicAuth) }
        guard let token, !token.isEmpty else { return .error("not_authed") }
        if revokedTokens.contains(token) { return .error("token_revoked") }
        guard botTokens.contains(token) else { return .error("invalid_auth") }
        switch method {
        case "chat.postMessage": return postMessage(params)
        case "chat.update": return update(params)
        case "conversations.list": return conversationsList(params)
        case "users.info": return usersInfo(params)
        case "users.lookupByEmail": return lookupByEmail(params)
        case "views.open": return viewsOpen(params)
        case "chat.getPermalink": return permalink(params)
        case "auth.test":
            return .ok(["url": "https://herald-sandbox.slack.com/", "team": .string(Self.teamName), "user": "herald",
                        "team_id": .string(Self.teamID), "user_id": .string(Self.botUserID), "bot_id": .string(Self.botID),
                        "is_enterprise_install": false])
        case "auth.revoke":
            if params["test"].map(Self.truthy) == true { return .ok(["revoked": false]) }
            botTokens.remove(token)
            revokedTokens.insert(token)
            return .ok(["revoked": true])
        default:
            return .error("unknown_method", extra: ["req_method": .string(method)], status: 404)
        }
    }

    /// Answers a post to an incoming webhook, as `hooks.slack.com` does (plain-text bodies).
    public func webhook(path: String, params: [String: JSONValue]?) -> SandboxResult {
        guard let channelID = webhooks[path] else { return .text("no_service", status: 404) }
        if let fault = takeFault(method: "webhook", channel: channelID) {
            // Webhooks answer faults in plain text, not JSON.
            if fault.status == 200, let code = fault.json?["error"]?.string { return .text(code, status: 400) }
            return fault
        }
        guard let params else { return .text("invalid_payload", status: 400) }
        guard let channel = channels.first(where: { $0.id == channelID }) else { return .text("channel_not_found", status: 404) }
        if channel.isArchived { return .text("channel_is_archived", status: 410) }
        switch validatedContent(params) {
        case .failure(let failure): return .text(failure.code == "no_text" ? "no_text" : "invalid_blocks", status: 400)
        case .success(let content):
            let message = SandboxMessage(ts: nextTS(), channel: channelID, user: nil, botID: "B0HOOK", username: "incoming-webhook",
                                         text: content.text, blocks: content.blocks, attachments: content.attachments,
                                         threadTS: nil, viaWebhook: true)
            messages[channelID, default: []].append(message)
            return .text("ok", status: 200)
        }
    }

    // MARK: - Methods

    private func postMessage(_ p: [String: JSONValue]) -> SandboxResult {
        guard let ref = p["channel"]?.string, !ref.isEmpty else { return .error("channel_not_found") }
        guard let channel = resolve(ref), channel.botIsMember || !channel.isPrivate else { return .error("channel_not_found") }
        if channel.isArchived { return .error("is_archived") }
        if !channel.botIsMember { return .error("not_in_channel") }
        switch validatedContent(p) {
        case .failure(let failure): return .error(failure.code)
        case .success(let content):
            let message = SandboxMessage(ts: nextTS(), channel: channel.id, user: Self.botUserID, botID: Self.botID, username: nil,
                                         text: content.text, blocks: content.blocks, attachments: content.attachments,
                                         threadTS: p["thread_ts"]?.string, receivedAt: now())
            messages[channel.id, default: []].append(message)
            return .ok(["channel": .string(channel.id), "ts": .string(message.ts), "message": message.json(team: Self.teamID)])
        }
    }

    private func update(_ p: [String: JSONValue]) -> SandboxResult {
        // chat.update needs a channel id, not a name.
        guard let id = p["channel"]?.string, let channel = channels.first(where: { $0.id == id }),
              channel.botIsMember || !channel.isPrivate
        else { return .error("channel_not_found") }
        if channel.isArchived { return .error("is_archived") }
        guard let ts = p["ts"]?.string, let index = messages[id]?.firstIndex(where: { $0.ts == ts }) else {
            return .error("message_not_found")
        }
        guard messages[id]![index].botID == Self.botID else { return .error("cant_update_message") }
        switch validatedContent(p) {
        case .failure(let failure): return .error(failure.code)
        case .success(let content):
            var message = messages[id]![index]
            message.text = content.text
            // Slack keeps blocks/attachments the update does not mention.
            if p["blocks"] != nil { message.blocks = content.blocks }
            if p["attachments"] != nil { message.attachments = content.attachments }
            message.edits += 1
            message.editedTS = nextTS()
            message.updatedAt.append(now())
            messages[id]![index] = message
            return .ok(["channel": .string(id), "ts": .string(ts), "text": .string(message.text), "message": message.json(team: Self.teamID)])
        }
    }

    private func conversationsList(_ p: [String: JSONValue]) -> SandboxResult {
        let types = Set((p["types"]?.string ?? "public_channel").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let excludeArchived = p["exclude_archived"].map(Self.truthy) ?? false
        var limit = 100
        if let raw = p["limit"] {
            guard let n = Self.int(raw), n >= 1, n <= 1000 else { return .error("invalid_limit") }
            limit = n
        }
        let visible = channels.filter { c in
            (c.isPrivate ? types.contains("private_channel") && c.botIsMember : types.contains("public_channel"))
                && !(excludeArchived && c.isArchived)
        }
        var start = 0
        if let cursor = p["cursor"]?.string, !cursor.isEmpty {
            guard let decoded = Data(base64Encoded: cursor).flatMap({ String(data: $0, encoding: .utf8) }),
                  decoded.hasPrefix("channel:"), let index = visible.firstIndex(where: { $0.id == decoded.dropFirst(8) })
            else { return .error("invalid_cursor") }
            start = index
        }
        let page = Array(visible[start..<min(start + limit, visible.count)])
        let next = start + limit < visible.count ? Data("channel:\(visible[start + limit].id)".utf8).base64EncodedString() : ""
        let list: [JSONValue] = page.map { c in
            [
                "id": .string(c.id), "name": .string(c.name), "name_normalized": .string(c.name), "is_channel": true,
                "is_group": false, "is_im": false, "is_mpim": false, "is_private": .bool(c.isPrivate),
                "is_archived": .bool(c.isArchived), "is_general": .bool(c.name == "general"), "is_member": .bool(c.botIsMember),
                "created": .number(Double(c.created)), "num_members": .number(c.botIsMember ? 4 : 3),
            ]
        }
        return .ok(["channels": .array(list), "response_metadata": ["next_cursor": .string(next)]])
    }

    private func usersInfo(_ p: [String: JSONValue]) -> SandboxResult {
        guard let id = p["user"]?.string, let user = users.first(where: { $0.id == id }) else { return .error("user_not_found") }
        return .ok(["user": user.json(team: Self.teamID)])
    }

    private func lookupByEmail(_ p: [String: JSONValue]) -> SandboxResult {
        guard let email = p["email"]?.string?.lowercased(), !email.isEmpty else { return .error("invalid_arguments") }
        guard let user = users.first(where: { $0.email == email }) else { return .error("users_not_found") }
        return .ok(["user": user.json(team: Self.teamID)])
    }

    private func viewsOpen(_ p: [String: JSONValue]) -> SandboxResult {
        guard let trigger = p["trigger_id"]?.string, !trigger.isEmpty else { return .error("invalid_arguments") }
        guard let issued = triggerIDs[trigger] else { return .error("invalid_trigger_id") }
        guard now().timeIntervalSince(issued.issued) <= 3 else { return .error("expired_trigger_id") }
        var view = p["view"]
        if let text = view?.string { view = JSONValue.parse(Data(text.utf8)) }
        guard let view, view["type"]?.string == "modal", view["title"] != nil else { return .error("invalid_arguments") }
        if let data = try? JSONEncoder().encode(view), let modal = try? JSONDecoder().decode(ModalView.self, from: data) {
            guard SlackLimits.violations(in: modal).isEmpty else { return .error("invalid_arguments") }
        } else {
            return .error("invalid_arguments")
        }
        triggerIDs[trigger] = nil
        guard case .object(var stored) = view else { return .error("invalid_arguments") }
        stored["id"] = .string("V0" + Self.randomToken(9).uppercased())
        stored["team_id"] = .string(Self.teamID)
        openedViews.append(.object(stored))
        if let user = issued.user { openViewsByUser[user] = SandboxOpenView(id: stored["id"]?.string ?? "", view: .object(stored)) }
        return .ok(["view": .object(stored)])
    }

    private func permalink(_ p: [String: JSONValue]) -> SandboxResult {
        guard let channel = p["channel"]?.string, let ts = p["message_ts"]?.string,
              messages[channel]?.contains(where: { $0.ts == ts }) == true
        else { return .error("message_not_found") }
        return .ok(["channel": .string(channel),
                    "permalink": .string("https://herald-sandbox.slack.com/archives/\(channel)/p\(ts.replacingOccurrences(of: ".", with: ""))")])
    }

    private func oauthAccess(_ p: [String: JSONValue], basicAuth: (String, String)?) -> SandboxResult {
        let id = basicAuth?.0 ?? p["client_id"]?.string
        let secret = basicAuth?.1 ?? p["client_secret"]?.string
        guard id == clientID else { return .error("invalid_client_id") }
        guard secret == clientSecret else { return .error("bad_client_secret") }
        guard let code = p["code"]?.string, let entry = oauthCodes[code] else { return .error("invalid_code") }
        guard !entry.used else { return .error("code_already_used") }
        if let expected = entry.redirectURI, p["redirect_uri"]?.string != expected { return .error("bad_redirect_uri") }
        oauthCodes[code]?.used = true
        let token = issueBotToken()
        return .ok([
            "access_token": .string(token), "token_type": "bot",
            "scope": .string(oauthCodes[code]?.scope ?? "chat:write,channels:read,groups:read,users:read,users:read.email,commands"),
            "bot_user_id": .string(Self.botUserID), "app_id": "A0HERALD",
            "team": ["id": .string(Self.teamID), "name": .string(Self.teamName)], "enterprise": .null,
            "authed_user": ["id": "U0DEMO"], "is_enterprise_install": false,
        ])
    }

    // MARK: - Helpers

    struct Content {
        var text: String
        var blocks: JSONValue?
        var attachments: JSONValue?
    }

    /// The text, blocks and attachments of a post, checked as Slack checks them.
    private struct ContentKey: Hashable {
        var text: JSONValue?
        var blocks: JSONValue?
        var attachments: JSONValue?
    }

    /// Validation results of recent message contents: a fan-out posts the same content to many
    /// channels, and checking it against Block Kit means decoding it.
    private var validated: [ContentKey: Result<Content, ContentFailureCode>] = [:]

    private func validatedContent(_ p: [String: JSONValue]) -> Result<Content, ContentFailureCode> {
        let key = ContentKey(text: p["text"], blocks: p["blocks"], attachments: p["attachments"])
        if let known = validated[key] { return known }
        let result = validateContent(p)
        if validated.count >= 256 { validated.removeAll(keepingCapacity: true) }
        validated[key] = result
        return result
    }

    private func validateContent(_ p: [String: JSONValue]) -> Result<Content, ContentFailureCode> {
        let text = p["text"]?.string ?? ""
        var blocks = p["blocks"]
        var attachments = p["attachments"]
        // Form-encoded clients send blocks and attachments as JSON strings.
        if let s = blocks?.string { guard let parsed = JSONValue.parse(Data(s.utf8)) else { return .failure(.init("invalid_blocks")) }; blocks = parsed }
        if let s = attachments?.string { guard let parsed = JSONValue.parse(Data(s.utf8)) else { return .failure(.init("invalid_attachments")) }; attachments = parsed }
        if case .null? = blocks { blocks = nil }
        if case .null? = attachments { attachments = nil }
        if blocks?.array?.isEmpty == true { blocks = nil }
        if attachments?.array?.isEmpty == true { attachments = nil }
        guard !text.isEmpty || blocks != nil || attachments != nil else { return .failure(.init("no_text")) }
        guard text.count <= SlackLimits.messageText else { return .failure(.init("msg_too_long")) }
        var decodedBlocks: [Block]?
        if let blocks {
            guard blocks.array != nil, let parsed = try? JSONDecoder().decode([Block].self, from: blocks.encoded()) else {
                return .failure(.init("invalid_blocks"))
            }
            decodedBlocks = parsed
        }
        var decodedAttachments: [Attachment]?
        if let attachments {
            guard attachments.array != nil, let parsed = try? JSONDecoder().decode([Attachment].self, from: attachments.encoded()) else {
                return .failure(.init("invalid_attachments"))
            }
            decodedAttachments = parsed
        }
        let message = SlackMessage(channel: "C0", text: text, blocks: decodedBlocks, attachments: decodedAttachments)
        guard SlackLimits.violations(in: message).isEmpty else { return .failure(.init("invalid_blocks")) }
        return .success(Content(text: text, blocks: blocks, attachments: attachments))
    }

    struct ContentFailureCode: Error, Equatable {
        var code: String
        init(_ code: String) { self.code = code }
    }

    /// A channel by id, `#name` or `name`.
    func resolve(_ ref: String) -> SandboxChannel? {
        if let byID = channels.first(where: { $0.id == ref }) { return byID }
        let name = ref.hasPrefix("#") ? String(ref.dropFirst()) : ref
        return channels.first { $0.name == name }
    }

    private func takeFault(method: String, channel: String?) -> SandboxResult? {
        guard let index = faults.firstIndex(where: { f in
            (f.method == nil || f.method == method)
                && (f.channel == nil || f.channel == channel || resolve(f.channel!)?.id == channel.flatMap { resolve($0)?.id })
        }) else { return nil }
        // Requests to let through first (a 429 on the second page of a list).
        if let after = faults[index].after, after > 0 {
            faults[index].after = after - 1
            return nil
        }
        let fault = faults[index]
        if fault.count <= 1 { faults.remove(at: index) } else { faults[index].count -= 1 }
        switch fault.kind {
        case .rateLimited:
            return .error("ratelimited", status: 429, headers: ["retry-after": fault.retryAfterHeader ?? String(fault.retryAfter ?? 1)])
        case .http:
            return SandboxResult(status: fault.status ?? 500, headers: ["content-type": "text/html"], body: Data("<html>Internal error</html>".utf8))
        case .error:
            return .error(fault.error ?? "internal_error")
        case .hang:
            return .hang
        }
    }

    // MARK: - Hanging requests

    /// The longest a hanging request waits before the sandbox answers it with a 504.
    public static let hangLimit: Duration = .seconds(60)
    private var hanging = 0
    /// The most requests that hung at the same time, for tests of concurrency.
    public private(set) var peakHanging = 0

    func hangStarted() {
        hanging += 1
        peakHanging = max(peakHanging, hanging)
    }

    func hangEnded() {
        hanging -= 1
    }

    /// Message timestamps: unique and increasing, like Slack's `seconds.sequence`.
    func nextTS() -> String {
        sequence += 1
        return String(format: "%d.%06d", Int(now().timeIntervalSince1970), sequence % 1_000_000)
    }

    static func truthy(_ v: JSONValue) -> Bool {
        switch v {
        case .bool(let b): b
        case .string(let s): ["true", "1", "yes"].contains(s.lowercased())
        case .number(let n): n != 0
        default: false
        }
    }

    static func int(_ v: JSONValue) -> Int? {
        switch v {
        // `Int(exactly:)`: 1e300, NaN and fractions are not integers (`Int(n)` would trap on the first).
        case .number(let n): Int(exactly: n)
        case .string(let s): Int(s)
        default: nil
        }
    }

    static func randomToken(_ length: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }
}

extension SandboxResult {
    static func error(_ code: String, status: Int, headers: [String: String]) -> SandboxResult {
        var r = SandboxResult.error(code, status: status)
        r.headers.merge(headers) { $1 }
        return r
    }
}
