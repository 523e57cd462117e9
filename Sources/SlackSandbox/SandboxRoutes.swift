import Outbound
import Foundation
import SlackAPI
import Vapor

/// Mounts the sandbox under `/sandbox`: the Web API (`/sandbox/api/{method}`), incoming webhooks
/// (`/sandbox/services/T/B/secret`), the OAuth authorize page, the channel page (`/sandbox`), and a
/// small control API that tests and the demo use (create channels, tokens, webhooks, faults).
/// Only mounted by `herald serve --sandbox` and tests; never expose it beyond a local machine.
public struct SandboxRoutes: RouteCollection, Sendable {
    public let workspace: SandboxWorkspace
    public let handler: SandboxHTTPHandler

    public init(workspace: SandboxWorkspace) {
        self.workspace = workspace
        self.handler = SandboxHTTPHandler(workspace: workspace)
    }

    public func boot(routes: any RoutesBuilder) throws {
        let sandbox = routes.grouped("sandbox")
        sandbox.get(use: page)
        sandbox.on(.POST, "api", ":method", body: .collect(maxSize: "1mb"), use: forward)
        sandbox.on(.GET, "api", ":method", use: forward)
        sandbox.on(.POST, "services", ":team", ":bot", ":secret", body: .collect(maxSize: "1mb"), use: forward)
        sandbox.on(.POST, "responses", ":key", body: .collect(maxSize: "1mb"), use: forward)
        sandbox.get("oauth", "v2", "authorize", use: authorizePage)
        sandbox.post("oauth", "v2", "authorize", use: authorize)
        // What a person does on the channel page; each sends Herald a signed request, as Slack would.
        sandbox.post("act", use: act)
        sandbox.post("post", use: post)
        sandbox.post("views", "submit", use: submitView)
        sandbox.post("views", "close", use: closeView)
        let control = sandbox.grouped("control")
        control.post("channels", use: addChannel)
        control.post("bot-tokens", use: botToken)
        control.post("webhooks", use: webhook)
        control.post("faults", use: fault)
        control.post("trigger-ids", use: triggerID)
        control.get("channels", ":channel", "messages", use: channelMessages)
        control.post("channels", ":channel", "messages", use: postMessage)
        control.get("channels", ":channel", "ephemerals", use: channelEphemerals)
        control.post("response-urls", use: responseURL)
        control.post("users", use: addUser)
        control.get("views", use: views)
        control.delete("channels", ":channel", "messages", ":ts", use: deleteMessage)
    }

    /// Hands a Vapor request to the same handler the in-process transport uses.
    func forward(req: Request) async throws -> Response {
        var headers: [String: String] = [:]
        for (name, value) in req.headers { headers[name.lowercased()] = value }
        let body = req.body.data.map { Data(buffer: $0) }
        let url = URL(string: req.url.string, relativeTo: URL(string: "http://sandbox.local"))!.absoluteURL
        let response = await handler.handle(OutboundRequest(method: req.method.rawValue, url: url, headers: headers, body: body))
        var out = HTTPHeaders()
        for (name, value) in response.headers { out.add(name: name, value: value) }
        return Response(status: .init(statusCode: response.status), headers: out, body: .init(data: response.body))
    }

    func page(req: Request) async throws -> Response {
        let channels = await workspace.allChannels()
        let selected = req.query[String.self, at: "channel"].flatMap { id in channels.first { $0.id == id } }
            ?? channels.first { $0.name == "alerts" } ?? channels.first
        let messages = selected.map { $0.id } ?? ""
        let list = await workspace.messages(in: messages)
        let users = await workspace.allUsers().filter { !$0.isBot }
        let viewer = req.query[String.self, at: "as"].flatMap { id in users.first { $0.id == id } } ?? users.first!
        let ephemerals = await workspace.ephemerals(in: messages).filter { $0.user == viewer.id }
        let html = SandboxPage.render(channels: channels, selected: selected, messages: list, viewer: viewer, users: users,
                                      ephemerals: ephemerals, openView: await workspace.openView(for: viewer.id))
        var headers = HTTPHeaders()
        headers.contentType = .html
        return Response(status: .ok, headers: headers, body: .init(string: html))
    }

    struct AuthorizeQuery: Content {
        var client_id: String?
        var scope: String?
        var redirect_uri: String?
        var state: String?
    }

    func authorizePage(req: Request) async throws -> Response {
        let q = try req.query.decode(AuthorizeQuery.self)
        var headers = HTTPHeaders()
        headers.contentType = .html
        guard q.client_id == workspace.clientID else {
            return Response(status: .badRequest, headers: headers, body: .init(string: SandboxPage.simple(title: "Invalid client_id",
                body: "<p>This app is not installed in the sandbox workspace (invalid_client_id).</p>")))
        }
        let hidden = [("redirect_uri", q.redirect_uri ?? ""), ("state", q.state ?? ""), ("scope", q.scope ?? "")]
            .map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\(SandboxPage.escape($0.1))\">" }.joined()
        let body = """
        <p><b>Herald</b> is requesting permission to access the <b>\(SandboxWorkspace.teamName)</b> workspace.</p>
        <p>Scopes: <code>\(SandboxPage.escape(q.scope ?? ""))</code></p>
        <form method="post" action="/sandbox/oauth/v2/authorize">\(hidden)<button type="submit" name="decision" value="allow">Allow</button>
        <button type="submit" name="decision" value="deny">Cancel</button></form>
        """
        return Response(status: .ok, headers: headers, body: .init(string: SandboxPage.simple(title: "Install Herald", body: body)))
    }

    // MARK: What a person does

    struct ActForm: Content {
        var channel: String
        var ts: String
        var action_id: String
        var block_id: String?
        var value: String?
        var selected: String?
        var `as`: String
    }

    /// A click on a button, or a choice in a select (sent with its form's button).
    func act(req: Request) async throws -> Response {
        let form = try req.content.decode(ActForm.self)
        await workspace.click(channel: form.channel, ts: form.ts, actionID: form.action_id, blockID: form.block_id,
                              value: form.selected == nil ? form.value : nil, selected: form.selected, user: form.as)
        return back(req, channel: form.channel, as: form.as)
    }

    struct PostForm: Content {
        var channel: String
        var text: String
        var thread_ts: String?
        var `as`: String
    }

    /// The message box: text starting with `/` is a slash command, as in Slack; anything else a message.
    func post(req: Request) async throws -> Response {
        let form = try req.content.decode(PostForm.self)
        let text = form.text.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("/") {
            let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
            await workspace.command(parts[0], text: parts.count > 1 ? parts[1] : "", channel: form.channel, user: form.as)
        } else if !text.isEmpty {
            await workspace.post(channel: form.channel, user: form.as, text: text, threadTS: form.thread_ts.flatMap { $0.isEmpty ? nil : $0 })
        }
        return back(req, channel: form.channel, as: form.as)
    }

    /// The open modal's form: fields are named `block_id.action_id`.
    func submitView(req: Request) async throws -> Response {
        let fields = try req.content.decode([String: String].self)
        let user = fields["as"] ?? ""
        var values: [String: [String: String]] = [:]
        for (name, value) in fields {
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            values[parts[0], default: [:]][parts[1]] = value
        }
        await workspace.submitView(user: user, values: values)
        return back(req, channel: fields["channel"] ?? "", as: user)
    }

    func closeView(req: Request) async throws -> Response {
        let fields = try req.content.decode([String: String].self)
        await workspace.closeView(for: fields["as"] ?? "")
        return back(req, channel: fields["channel"] ?? "", as: fields["as"] ?? "")
    }

    private func back(_ req: Request, channel: String, as user: String) -> Response {
        var components = URLComponents()
        components.path = "/sandbox"
        components.queryItems = [URLQueryItem(name: "channel", value: channel), URLQueryItem(name: "as", value: user)]
        return req.redirect(to: components.string ?? "/sandbox", redirectType: .normal)
    }

    struct AuthorizeForm: Content {
        var redirect_uri: String?
        var state: String?
        var scope: String?
        /// "deny": the person cancelled; Slack sends them back with `error=access_denied`.
        var decision: String?
    }

    func authorize(req: Request) async throws -> Response {
        let form = try req.content.decode(AuthorizeForm.self)
        // Slack sends people back only to a redirect URL the app configured: here, an OAuth callback.
        guard let redirect = form.redirect_uri, var comps = URLComponents(string: redirect), ["http", "https"].contains(comps.scheme ?? ""),
              comps.path.hasSuffix("/oauth/callback")
        else {
            throw Abort(.badRequest, reason: "bad_redirect_uri")
        }
        if form.decision == "deny" {
            comps.queryItems = (comps.queryItems ?? []) + [URLQueryItem(name: "error", value: "access_denied"),
                                                           URLQueryItem(name: "state", value: form.state ?? "")]
            return req.redirect(to: comps.string ?? redirect)
        }
        let code = await workspace.issueOAuthCode(redirectURI: redirect, scope: form.scope)
        comps.queryItems = (comps.queryItems ?? []) + [URLQueryItem(name: "code", value: code), URLQueryItem(name: "state", value: form.state ?? "")]
        return req.redirect(to: comps.string ?? redirect)
    }

    struct NewChannel: Content {
        var name: String
        var isPrivate: Bool?
        var isArchived: Bool?
        var botIsMember: Bool?
    }

    func addChannel(req: Request) async throws -> Response {
        let body = try req.content.decode(NewChannel.self)
        let c = await workspace.addChannel(name: body.name, isPrivate: body.isPrivate ?? false,
                                           isArchived: body.isArchived ?? false, botIsMember: body.botIsMember ?? true)
        return try await Self.json(["id": .string(c.id), "name": .string(c.name)], status: .created)
    }

    func botToken(req: Request) async throws -> Response {
        let token = await workspace.issueBotToken()
        return try await Self.json(["token": .string(token)], status: .created)
    }

    struct NewWebhook: Content {
        var channel: String
    }

    func webhook(req: Request) async throws -> Response {
        let body = try req.content.decode(NewWebhook.self)
        guard let path = await workspace.createWebhook(channel: body.channel) else { throw Abort(.notFound, reason: "channel_not_found") }
        let base = "\(req.url.scheme ?? "http")://\(req.headers.first(name: .host) ?? "127.0.0.1")"
        return try await Self.json(["url": .string("\(base)/sandbox/services/\(path)")], status: .created)
    }

    func fault(req: Request) async throws -> Response {
        let fault = try req.content.decode(SandboxFault.self)
        await workspace.injectFault(fault)
        return Response(status: .noContent)
    }

    struct TriggerRequest: Content {
        var user: String?
    }

    func triggerID(req: Request) async throws -> Response {
        let user = (try? req.content.decode(TriggerRequest.self))?.user
        return try await Self.json(["trigger_id": .string(await workspace.issueTriggerID(user: user))], status: .created)
    }

    struct ResponseURLRequest: Content {
        var channel: String
        var user: String
    }

    /// A `response_url` as Slack puts in an interaction (tests send their own signed payloads).
    func responseURL(req: Request) async throws -> Response {
        let body = try req.content.decode(ResponseURLRequest.self)
        return try await Self.json(["url": .string(await workspace.issueResponseURL(channel: body.channel, user: body.user))], status: .created)
    }

    func channelEphemerals(req: Request) async throws -> Response {
        let list = await workspace.ephemerals(in: req.parameters.get("channel") ?? "")
        return try await Self.json(["ephemerals": .array(list.map {
            ["channel": .string($0.channel), "user": .string($0.user), "text": .string($0.text)]
        })], status: .ok)
    }

    struct NewMessage: Content {
        var user: String
        var text: String
        var threadTS: String?
        /// Tell Herald through the Events API, as Slack does (default); false only stores it.
        var notify: Bool?
    }

    /// A person's message in a channel.
    func postMessage(req: Request) async throws -> Response {
        let body = try req.content.decode(NewMessage.self)
        let channel = req.parameters.get("channel") ?? ""
        let message: SandboxMessage?
        if body.notify == false {
            message = await workspace.store(channel: channel, user: body.user, text: body.text, threadTS: body.threadTS)
        } else {
            message = await workspace.post(channel: channel, user: body.user, text: body.text, threadTS: body.threadTS)
        }
        guard let message else { throw Abort(.notFound, reason: "channel_not_found") }
        return try await Self.json(["ts": .string(message.ts), "channel": .string(message.channel)], status: .created)
    }

    struct NewUser: Content {
        var id: String
        var name: String
        var email: String?
    }

    func addUser(req: Request) async throws -> Response {
        let body = try req.content.decode(NewUser.self)
        let user = await workspace.addUser(id: body.id, name: body.name, email: body.email)
        return try await Self.json(["id": .string(user.id), "name": .string(user.name)], status: .created)
    }

    func views(req: Request) async throws -> Response {
        try await Self.json(["views": .array(await workspace.views())], status: .ok)
    }

    func channelMessages(req: Request) async throws -> Response {
        let list = await workspace.messages(in: req.parameters.get("channel") ?? "")
        let json: [JSONValue] = list.map { m in
            var o: [String: JSONValue] = ["ts": .string(m.ts), "channel": .string(m.channel), "text": .string(m.text),
                                          "edits": .number(Double(m.edits)), "viaWebhook": .bool(m.viaWebhook),
                                          "receivedAt": .number(m.receivedAt.timeIntervalSince1970),
                                          "updatedAt": .array(m.updatedAt.map { .number($0.timeIntervalSince1970) })]
            if let b = m.blocks { o["blocks"] = b }
            if let t = m.threadTS { o["threadTS"] = .string(t) }
            if let u = m.user, m.botID == nil { o["user"] = .string(u) }
            if let a = m.attachments { o["attachments"] = a }
            return .object(o)
        }
        return try await Self.json(["messages": .array(json)], status: .ok)
    }

    func deleteMessage(req: Request) async throws -> Response {
        let deleted = await workspace.deleteMessage(channel: req.parameters.get("channel") ?? "", ts: req.parameters.get("ts") ?? "")
        return Response(status: deleted ? .noContent : .notFound)
    }

    static func json(_ fields: [String: JSONValue], status: HTTPStatus) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: status, headers: headers, body: .init(data: JSONValue.object(fields).encoded()))
    }
}
