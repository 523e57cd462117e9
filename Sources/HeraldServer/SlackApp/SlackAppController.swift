import Fluent
import Foundation
import HeraldCore
import SlackAPI
import Vapor

/// Slack's requests to Herald (SPEC §6): `/slack/interactions`, `/slack/commands` and
/// `/slack/events`, each verified on its raw body before anything else (``SlackSignatureMiddleware``)
/// and answered within Slack's 3 seconds; the work an answer does not wait for runs afterwards
/// (``SlackAppWork``). Also the install link and the OAuth callback.
struct SlackAppController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let slack = routes.grouped("slack")
        let signed = slack.grouped(SlackSignatureMiddleware())
        signed.post("interactions", use: interactions)
        signed.post("commands", use: commands)
        signed.post("events", use: events)
        slack.grouped(APITokenAuthenticator(), RequireCaller()).get("install", use: install)
        slack.get("oauth", "callback", use: callback)
    }

    private func context(_ req: Request, team: String?, user: String?) -> SlackContext {
        SlackContext(services: req.herald, db: req.db, intake: EventIntake(req: req), logger: req.logger, teamID: team, userID: user)
    }

    // MARK: Interactions

    func interactions(req: Request) async throws -> Response {
        let form = try Self.form(req)
        guard let raw = form["payload"], let payload = try? JSONDecoder().decode(InteractionPayload.self, from: Data(raw.utf8)) else {
            throw Problem(.badRequest, "An interaction is a form with a JSON `payload` field", field: "payload")
        }
        let app = req.herald.slack.app
        let context = context(req, team: payload.teamID, user: payload.user.id)
        switch payload.type {
        case "block_actions":
            let actions = (payload.actions ?? []).filter { app.actions[$0.actionID] != nil }
            guard !actions.isEmpty else { return Response(status: .ok) }
            let responses = req.herald.slack.responses
            // Answered at once; the actions run afterwards, each once however often Slack sends it.
            req.herald.slack.work.later {
                for action in actions {
                    guard let handler = app.actions[action.actionID] else { continue }
                    let key = ["action", payload.teamID ?? "", payload.user.id, action.actionID, action.blockID ?? "", action.value ?? "",
                               action.selectedOption?.value ?? "", action.actionTS ?? payload.container?.messageTS ?? ""].joined(separator: "|")
                    do {
                        guard try await context.claim(key) else { continue }
                        try await handler.handle(action, context)
                    } catch {
                        SlackText.log(error, logger: context.logger)
                        await Self.tell(payload.responseURL, SlackText.message(for: error), responses: responses, logger: context.logger)
                    }
                }
            }
            return Response(status: .ok)
        case "view_submission":
            guard let view = payload.view, let handler = view.callbackID.flatMap({ app.submissions[$0] }) else { return Response(status: .ok) }
            guard let errors = await handler.handle(view, context) else { return Response(status: .ok) }
            return try Self.json(errors)
        default:
            return Response(status: .ok)
        }
    }

    /// An ephemeral reply to whoever acted, through the payload's `response_url`.
    static func tell(_ responseURL: String?, _ text: String, responses: SlackClient, logger: Logger) async {
        guard let responseURL, let url = URL(string: responseURL), url.scheme == "https" || url.scheme == "http" else { return }
        do {
            try await responses.respond(to: url, EphemeralResponse(text: text))
        } catch {
            logger.warning("could not reply to Slack's response_url: \(error.code)")
        }
    }

    // MARK: Commands

    func commands(req: Request) async throws -> Response {
        guard let command = SlashCommand(form: try Self.form(req)) else {
            throw Problem(.badRequest, "A slash command needs command, team_id, user_id and trigger_id", field: "command")
        }
        guard let handler = req.herald.slack.app.commands[command.command] else {
            return try Self.json(EphemeralResponse(text: "Herald does not know the command \(command.command.prefix(50))."))
        }
        // In the request: a modal must open within the trigger's 3 seconds.
        guard let text = await handler.handle(command, context(req, team: command.teamID, user: command.userID)) else {
            return Response(status: .ok)
        }
        return try Self.json(EphemeralResponse(text: text))
    }

    // MARK: Events

    struct Challenge: Content {
        var challenge: String
    }

    func events(req: Request) async throws -> Response {
        guard let body = req.body.data, let envelope = try? JSONDecoder().decode(EventEnvelope.self, from: Data(buffer: body)) else {
            throw Problem(.badRequest, "An Events API request is a JSON envelope with a type", field: "type")
        }
        switch envelope.type {
        case "url_verification":
            return try Self.json(Challenge(challenge: envelope.challenge ?? ""))
        case "event_callback":
            guard let event = envelope.event, let handler = req.herald.slack.app.events[event.type] else { return Response(status: .ok) }
            let context = context(req, team: envelope.teamID, user: event.user)
            // A retry (`X-Slack-Retry-Num`) carries the same event id: its receipt stops it.
            let key = "event|" + (envelope.eventID ?? "\(envelope.teamID ?? "")|\(event.type)|\(event.channel ?? "")|\(event.ts ?? "")")
            req.herald.slack.work.later {
                do {
                    guard try await context.claim(key) else { return }
                    try await handler.handle(envelope, context)
                } catch {
                    context.logger.warning("Slack event \(event.type) failed: \(String(describing: error))")
                }
            }
            return Response(status: .ok)
        default:
            return Response(status: .ok)
        }
    }

    // MARK: Install

    /// `GET /slack/install?org=ORG` (org admins): to Slack's authorize page.
    func install(req: Request) async throws -> Response {
        guard let raw = req.query[String.self, at: "org"], let id = UUID(uuidString: raw), let org = try await Organization.find(id, on: req.db) else {
            throw DomainError.notFound("Organization", field: "org")
        }
        let (standing, _) = try await req.standing(inOrg: try org.requireID())
        try req.enforce(.manageOrg, standing, notFound: "Organization")
        let (url, browserKey) = try await SlackInstallationService(services: req.herald, db: req.db)
            .authorizeURL(orgID: id, userID: try req.caller.userID)
        let response = req.redirect(to: url.absoluteString)
        // The callback comes back to this browser only: the state alone installs nothing.
        response.cookies[SlackInstallationService.browserCookie] = HTTPCookies.Value(
            string: browserKey, maxAge: Int(SlackInstallationService.stateLifetime), path: "/slack/oauth",
            isSecure: req.herald.links.base.scheme == "https", isHTTPOnly: true, sameSite: .lax)
        return response
    }

    /// `GET /slack/oauth/callback`: completes the install, or says why nothing was stored.
    func callback(req: Request) async throws -> Response {
        let service = SlackInstallationService(services: req.herald, db: req.db)
        do {
            let (orgID, team) = try await service.complete(code: req.query[String.self, at: "code"], state: req.query[String.self, at: "state"],
                                                           error: req.query[String.self, at: "error"],
                                                           browserKey: req.cookies[SlackInstallationService.browserCookie]?.string)
            req.logger.notice("Slack app installed", metadata: ["org": "\(orgID.apiString)", "team": "\(team)"])
            let response = Self.page(status: .ok, title: "Herald is installed",
                                     body: "Herald is now installed in the Slack workspace <b>\(Self.escape(team))</b>. You can close this page.")
            response.cookies[SlackInstallationService.browserCookie] = .expired
            return response
        } catch {
            req.logger.info("Slack install refused: \(error)")
            return Self.page(status: .badRequest, title: "Slack was not connected", body: Self.escape(error.message))
        }
    }

    // MARK: Helpers

    /// The request's form fields (`application/x-www-form-urlencoded`).
    static func form(_ req: Request) throws -> [String: String] {
        guard let body = req.body.data, let text = body.getString(at: body.readerIndex, length: body.readableBytes) else { return [:] }
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

    /// An answer Slack reads, encoded like every JSON body Herald writes.
    static func json(_ value: some Encodable) throws -> Response {
        let response = Response(status: .ok)
        try response.content.encode(value, as: .json)
        return response
    }

    static func page(status: HTTPStatus, title: String, body: String) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .html
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) – Herald</title>
            <style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1d1c1d}</style></head>
            <body><h1>\(escape(title))</h1><p>\(body)</p></body></html>
            """
        return Response(status: status, headers: headers, body: .init(string: html))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// Checks, on the raw body and before anything else, that a request comes from Slack: the
/// signature over `v0:{timestamp}:{body}` with the signing secret, and a timestamp within 300 s of
/// Herald's clock. Anything else is a `401` and changes nothing.
struct SlackSignatureMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let secret = req.herald.configuration.slackSigningSecret else {
            throw Problem(.unauthorized, "This Herald accepts no Slack requests: HERALD_SLACK_SIGNING_SECRET is not set")
        }
        let body = req.body.data.map { Data(buffer: $0) } ?? Data()
        let verdict = SlackSignatureVerifier(signingSecret: secret).verify(
            body: body, timestamp: req.headers.first(name: "X-Slack-Request-Timestamp"), signature: req.headers.first(name: "X-Slack-Signature"),
            now: req.herald.now())
        if case .failure(let failure) = verdict {
            req.logger.info("refused a Slack request: \(failure)")
            throw Problem(.unauthorized, "The request is not signed by Slack (\(failure))")
        }
        return try await next.respond(to: req)
    }
}
