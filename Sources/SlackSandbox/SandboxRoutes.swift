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
        sandbox.get("oauth", "v2", "authorize", use: authorizePage)
        sandbox.post("oauth", "v2", "authorize", use: authorize)
        let control = sandbox.grouped("control")
        control.post("channels", use: addChannel)
        control.post("bot-tokens", use: botToken)
        control.post("webhooks", use: webhook)
        control.post("faults", use: fault)
        control.post("trigger-ids", use: triggerID)
        control.get("channels", ":channel", "messages", use: channelMessages)
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
        let html = SandboxPage.render(channels: channels, selected: selected, messages: list)
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
        let hidden = [("redirect_uri", q.redirect_uri ?? ""), ("state", q.state ?? "")]
            .map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\(SandboxPage.escape($0.1))\">" }.joined()
        let body = """
        <p><b>Herald</b> is requesting permission to access the <b>\(SandboxWorkspace.teamName)</b> workspace.</p>
        <p>Scopes: <code>\(SandboxPage.escape(q.scope ?? ""))</code></p>
        <form method="post" action="/sandbox/oauth/v2/authorize">\(hidden)<button type="submit">Allow</button></form>
        """
        return Response(status: .ok, headers: headers, body: .init(string: SandboxPage.simple(title: "Install Herald", body: body)))
    }

    struct AuthorizeForm: Content {
        var redirect_uri: String?
        var state: String?
    }

    func authorize(req: Request) async throws -> Response {
        let form = try req.content.decode(AuthorizeForm.self)
        guard let redirect = form.redirect_uri, var comps = URLComponents(string: redirect), comps.scheme != nil else {
            throw Abort(.badRequest, reason: "redirect_uri is required")
        }
        let code = await workspace.issueOAuthCode(redirectURI: redirect)
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

    func triggerID(req: Request) async throws -> Response {
        try await Self.json(["trigger_id": .string(await workspace.issueTriggerID())], status: .created)
    }

    func channelMessages(req: Request) async throws -> Response {
        let list = await workspace.messages(in: req.parameters.get("channel") ?? "")
        let json: [JSONValue] = list.map { m in
            var o: [String: JSONValue] = ["ts": .string(m.ts), "channel": .string(m.channel), "text": .string(m.text),
                                          "edits": .number(Double(m.edits)), "viaWebhook": .bool(m.viaWebhook),
                                          "receivedAt": .number(m.receivedAt.timeIntervalSince1970),
                                          "updatedAt": .array(m.updatedAt.map { .number($0.timeIntervalSince1970) })]
            if let b = m.blocks { o["blocks"] = b }
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
