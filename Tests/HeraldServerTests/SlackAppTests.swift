import Fluent
import Foundation
@testable import HeraldServer
import HeraldCore
import HeraldSinks
import NIOConcurrencyHelpers
import NIOCore
import SlackAPI
import SlackSandbox
import SQLKit
import Testing
import Vapor
import VaporTesting

/// The inbound Slack app (SPEC §6), in process: Slack's requests are signed here or sent by the
/// sandbox as Slack sends them. The end-to-end suite signs its own with `slack_sdk`.
@Suite("The Slack app: signed requests, actions, refusals, the modal, watched channels, install")
struct SlackAppTests {
    static let secret = "test-signing-secret"
    static let environment = ["HERALD_SLACK_SIGNING_SECRET": secret, "HERALD_CHANNEL_RATE": "0"]

    /// A Slack app set up for the tenancy's organization, and the sandbox people mapped to its roles.
    struct Setup {
        var p: SlackProject
        var incidentID: String
        var ts: String
        var channel: String

        static func make(_ app: Application) async throws -> Setup {
            let p = try await SlackProject.make(app)
            try await p.installApp(app)
            for (id, role) in [("U0OWNER", "owner"), ("U0RESP", "responder"), ("U0STAKE", "stakeholder"), ("U0ADMIN", "admin")] {
                await p.sandbox.addUser(id: id, name: role, email: "\(role)@example.com")
            }
            await p.sandbox.addUser(id: "U0STRANGER", name: "stranger", email: "outsider@example.org")
            let event = try await p.send(app, ["type": "incident", "action": "trigger", "key": "db-1", "title": "Database latency high"])
            try #require(event.status == .accepted, "\(event.body)")
            try await app.deliveriesIdle()
            let message = try #require(await p.messages().first)
            return Setup(p: p, incidentID: try #require(event.string("incidentId")), ts: message.ts, channel: message.channel)
        }

        func click(_ app: Application, _ actionID: String, as user: String, selected: String? = nil) async throws {
            let status = await p.sandbox.click(channel: channel, ts: ts, actionID: actionID, blockID: SlackRenderer.incidentBlockPrefix + incidentID,
                                               value: selected == nil ? incidentID : nil, selected: selected, user: user)
            #expect(status == 200)
            await app.herald.slack.work.waitUntilIdle()
            try await app.deliveriesIdle()
        }

        func incident(_ app: Application) async throws -> APIResponse {
            try await app.api(.GET, "/api/v1/incidents/\(incidentID)", token: p.tenancy.owner)
        }

        func timeline(_ app: Application) async throws -> [String] {
            ((try await incident(app))["timeline"] as? [[String: Any]] ?? []).compactMap { $0["summary"] as? String }
        }

        func ephemerals() async -> [String] {
            await p.sandbox.ephemerals(in: channel).map(\.text)
        }
    }

    /// Sends a request to one of the app's endpoints, signed with `secret` at `timestamp`.
    static func signed(_ app: Application, _ path: String, body: String, contentType: String, secret: String = secret,
                       timestamp: Date? = nil, signature: String? = nil, retry: Int? = nil) async throws -> (status: HTTPStatus, body: String) {
        let stamp = String(Int((timestamp ?? app.herald.now()).timeIntervalSince1970))
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: contentType)
        headers.add(name: "X-Slack-Request-Timestamp", value: stamp)
        headers.add(name: "X-Slack-Signature",
                    value: signature ?? SlackSignatureVerifier(signingSecret: secret).signature(body: Data(body.utf8), timestamp: stamp))
        if let retry { headers.add(name: "X-Slack-Retry-Num", value: String(retry)) }
        let response = try await app.testing().sendRequest(.POST, path, headers: headers, body: ByteBuffer(string: body))
        return (response.status, response.body.string)
    }

    static func form(_ fields: [(String, String)]) -> String { FormEncoding.encode(fields) }

    static func actionPayload(team: String = SandboxWorkspace.teamID, user: String, actionID: String, incident: String, value: String? = nil,
                              selected: String? = nil, actionTS: String, responseURL: String, channel: String, ts: String) -> String {
        var action: [String: Any] = ["action_id": actionID, "block_id": "incident:" + incident, "action_ts": actionTS, "type": "button"]
        if let selected { action["selected_option"] = ["value": selected] } else { action["value"] = value ?? incident }
        let payload: [String: Any] = ["type": "block_actions", "team": ["id": team], "user": ["id": user, "team_id": team],
                                      "trigger_id": "1.2.3", "response_url": responseURL, "actions": [action],
                                      "container": ["type": "message", "message_ts": ts, "channel_id": channel]]
        let json = String(decoding: try! JSONSerialization.data(withJSONObject: payload), as: UTF8.self)
        return form([("payload", json)])
    }

    // MARK: Verification

    @Test("every request must carry Slack's signature over its raw body within 300 s: anything else is 401 and changes nothing")
    func verification() async throws {
        // On the injectable clock, which starts on a whole second: 300 s is exactly the edge.
        try await withApp(environment: Self.environment, sandbox: true, workers: true, clock: ManualClock()) { app in
            let s = try await Setup.make(app)
            let responseURL = await s.p.sandbox.issueResponseURL(channel: s.channel, user: "U0RESP")
            let body = Self.actionPayload(user: "U0RESP", actionID: "incident.acknowledge", incident: s.incidentID, actionTS: "1.1",
                                          responseURL: responseURL, channel: s.channel, ts: s.ts)
            let now = app.herald.now()
            let refused: [(String, (status: HTTPStatus, body: String))] = [
                ("wrong secret", try await Self.signed(app, "/slack/interactions", body: body, contentType: "application/x-www-form-urlencoded",
                                                       secret: "not-the-secret")),
                ("stale timestamp", try await Self.signed(app, "/slack/interactions", body: body, contentType: "application/x-www-form-urlencoded",
                                                          timestamp: now.addingTimeInterval(-301))),
                ("future timestamp", try await Self.signed(app, "/slack/interactions", body: body, contentType: "application/x-www-form-urlencoded",
                                                           timestamp: now.addingTimeInterval(301))),
                ("malformed signature", try await Self.signed(app, "/slack/interactions", body: body,
                                                              contentType: "application/x-www-form-urlencoded", signature: "v0=zz")),
                ("command, wrong secret", try await Self.signed(app, "/slack/commands", body: "command=%2Fcreate_incident",
                                                                contentType: "application/x-www-form-urlencoded", secret: "x")),
                ("event, wrong secret", try await Self.signed(app, "/slack/events", body: #"{"type":"url_verification","challenge":"c"}"#,
                                                              contentType: "application/json", secret: "x")),
            ]
            for (name, response) in refused {
                #expect(response.status == .unauthorized, "\(name): \(response.body)")
            }
            // A body signed for one timestamp, replayed under another: the signature no longer matches.
            let stamp = String(Int(now.timeIntervalSince1970) - 10)
            let replayed = SlackSignatureVerifier(signingSecret: Self.secret).signature(body: Data(body.utf8), timestamp: stamp)
            #expect(try await Self.signed(app, "/slack/interactions", body: body, contentType: "application/x-www-form-urlencoded",
                                          signature: replayed).status == .unauthorized)
            let unsigned = try await app.api(.POST, "/slack/events", json: ["type": "url_verification", "challenge": "c"])
            #expect(unsigned.status == .unauthorized && unsigned.headers.contentType?.subType == "problem+json")
            await app.herald.slack.work.waitUntilIdle()
            try await app.deliveriesIdle()
            #expect(try await s.incident(app).string("status") == "triggered")
            #expect(await s.ephemerals().isEmpty)
            // Within the window, the same body is accepted.
            let ok = try await Self.signed(app, "/slack/events", body: #"{"type":"url_verification","challenge":"3eZbrw1aBm"}"#,
                                           contentType: "application/json", timestamp: now.addingTimeInterval(-300))
            #expect(ok.status == .ok && ok.body.contains("\"challenge\":\"3eZbrw1aBm\""))
        }
    }

    // MARK: Actions

    @Test("acknowledge, reassign and resolve from Slack act through the incident service, say who did it via Slack, and re-render the message")
    func actions() async throws {
        try await withApp(environment: Self.environment, sandbox: true, workers: true) { app in
            let s = try await Setup.make(app)
            try await s.click(app, "incident.acknowledge", as: "U0RESP")
            var message = try #require(await s.p.messages().first)
            #expect(message.attachments?.array?.first?["color"]?.string == SlackRenderer.amber)
            try await s.click(app, "incident.reassign", as: "U0RESP", selected: "admin@example.com")
            message = try #require(await s.p.messages().first)
            var shown = String(decoding: message.attachments?.encoded() ?? Data(), as: UTF8.self)
            #expect(shown.contains("admin@example.com"))
            try await s.click(app, "incident.resolve", as: "U0ADMIN")
            message = try #require(await s.p.messages().first)
            #expect(message.attachments?.array?.first?["color"]?.string == SlackRenderer.green)
            shown = String(decoding: message.attachments?.encoded() ?? Data(), as: UTF8.self)
            #expect(!shown.contains("incident.resolve"))
            #expect(try await s.timeline(app) == [
                "Triggered: Database latency high", "Acknowledged by responder@example.com via Slack",
                "Reassigned to admin@example.com by responder@example.com via Slack", "Resolved by admin@example.com via Slack",
            ])
            #expect(await s.ephemerals().isEmpty)
            #expect(await s.p.messages().count == 1, "one living message, edited in place")
            // An action in Herald's API updates the Slack message too: a new incident acknowledged by the API.
            let other = try await s.p.send(app, ["type": "incident", "action": "trigger", "key": "db-2", "title": "Disk full"])
            try await app.deliveriesIdle()
            _ = try await app.api(.POST, "/api/v1/incidents/\(try #require(other.string("incidentId")))/acknowledge", token: s.p.tenancy.responder)
            try await app.deliveriesIdle()
            #expect(await s.p.messages().last?.attachments?.array?.first?["color"]?.string == SlackRenderer.amber)
        }
    }

    @Test("who may not act is told so in SPEC §6's words through response_url, and nothing changes", arguments: [
        ("U0CAROL", ActorRefusal.notLinked), ("U0STRANGER", .notMember), ("U0STAKE", .stakeholder),
    ])
    func refusals(user: String, refusal: ActorRefusal) async throws {
        try await withApp(environment: Self.environment, sandbox: true, workers: true) { app in
            let s = try await Setup.make(app)
            try await s.click(app, "incident.acknowledge", as: user)
            #expect(await s.ephemerals() == [refusal.message])
            #expect(try await s.incident(app).string("status") == "triggered")
            #expect(try await s.timeline(app) == ["Triggered: Database latency high"])
            #expect(await s.p.messages().first?.edits == 0)
        }
    }

    @Test("a request from another workspace never acts on this organization's incident; a resolved incident refuses with its reason")
    func otherWorkspace() async throws {
        try await withApp(environment: Self.environment, sandbox: true, workers: true) { app in
            let s = try await Setup.make(app)
            // The outsider's organization installed another workspace; its responder clicks on our incident.
            let outsiderOrg = try #require(UUID(uuidString: s.p.tenancy.outsiderOrgID))
            try await SlackInstallationService(services: app.herald, db: app.db).store(
                OAuthV2Access(accessToken: await s.p.sandbox.issueBotToken(), botUserID: "U0OTHERBOT", teamID: "T0OTHER", teamName: "Other"),
                orgID: outsiderOrg, userID: nil)
            let responseURL = await s.p.sandbox.issueResponseURL(channel: s.channel, user: "U0RESP")
            let body = Self.actionPayload(team: "T0OTHER", user: "U0RESP", actionID: "incident.resolve", incident: s.incidentID, actionTS: "9.1",
                                          responseURL: responseURL, channel: s.channel, ts: s.ts)
            #expect(try await Self.signed(app, "/slack/interactions", body: body, contentType: "application/x-www-form-urlencoded").status == .ok)
            await app.herald.slack.work.waitUntilIdle()
            #expect(await s.ephemerals() == [ActorRefusal.notMember.message])
            #expect(try await s.incident(app).string("status") == "triggered")
            // Resolved in Herald; a late click in Slack is refused with the reason.
            _ = try await app.api(.POST, "/api/v1/incidents/\(s.incidentID)/resolve", token: s.p.tenancy.owner)
            try await s.click(app, "incident.acknowledge", as: "U0RESP")
            let told = await s.ephemerals()
            #expect(told.last?.contains("already resolved") == true, "\(told)")
        }
    }

    @Test("a repeated action payload (a retry, a double delivery) applies once")
    func repeatedAction() async throws {
        try await withApp(environment: Self.environment, sandbox: true, workers: true) { app in
            let s = try await Setup.make(app)
            let responseURL = await s.p.sandbox.issueResponseURL(channel: s.channel, user: "U0RESP")
            let body = Self.actionPayload(user: "U0RESP", actionID: "incident.reassign", incident: s.incidentID, selected: "admin@example.com",
                                          actionTS: "1796550000.123456", responseURL: responseURL, channel: s.channel, ts: s.ts)
            for retry in [nil, 1, 2] {
                let answer = try await Self.signed(app, "/slack/interactions", body: body, contentType: "application/x-www-form-urlencoded",
                                                   retry: retry)
                #expect(answer.status == .ok)
                await app.herald.slack.work.waitUntilIdle()
            }
            #expect(try await s.timeline(app).filter { $0.hasPrefix("Reassigned") }.count == 1)
            #expect(await s.ephemerals().isEmpty)
        }
    }

    // MARK: The modal

    @Test("/create_incident opens the modal at once, even with thousands of deliveries pending and the delivery loop's thread blocked",
          .timeLimit(.minutes(2)))
    func modalUnderBacklog() async throws {
        try await withApp(environment: Self.environment, sandbox: true, workers: true) { app in
            let s = try await Setup.make(app)
            // A backlog: 3,000 pending deliveries (60 notifications to 50 channels).
            let channels = (1...50).map { "#load-\($0)" }.joined(separator: " ")
            _ = try await app.api(.PUT, "/api/v1/projects/\(s.p.tenancy.projectID)/settings/slack", token: s.p.tenancy.owner,
                                  json: ["channels": channels])
            // The delivery loop's one thread is held for the whole request.
            let held = NIOLockedValueBox(true)
            let loop = app.herald.delivery.loop.client.eventLoopGroup.next()
            let blocked = loop.submit { while held.withLockedValue({ $0 }) { usleep(1000) } }
            defer { held.withLockedValue { $0 = false } }
            for n in 1...60 {
                let sent = try await s.p.send(app, ["type": "notification", "title": "load \(n)"])
                try #require(sent.status == .accepted)
            }
            let pending = try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending'").first()?
                .decode(column: "n", as: Int.self)
            #expect((pending ?? 0) >= 3000)
            // MUT: the command, as Slack sends it.
            let status = await s.p.sandbox.command("/create_incident", channel: s.channel, user: "U0RESP")
            #expect(status == 200)
            let open = try #require(await s.p.sandbox.openView(for: "U0RESP"), "no modal opened")
            #expect(open.view["callback_id"]?.string == "create_incident")
            let blocks = (open.view["blocks"]?.array ?? []).compactMap { $0["block_id"]?.string }
            #expect(blocks == ["service", "title", "description", "severity"])
            held.withLockedValue { $0 = false }
            try await blocked.get()
        }
    }

    @Test("the modal: a missing title and service come back as errors on their fields; a full one opens the incident once, posted to the service's channel")
    func modalSubmission() async throws {
        try await withApp(environment: Self.environment, sandbox: true, workers: true) { app in
            let s = try await Setup.make(app)
            let put = try await app.api(.PUT, "/api/v1/services/\(s.p.tenancy.serviceID)/settings/slack", token: s.p.tenancy.owner,
                                        json: ["channel": "ops"])
            #expect(put.status == .ok && put.string("channel")?.hasPrefix("C") == true, "\(put.body)")
            #expect(await s.p.sandbox.command("/create_incident", channel: s.channel, user: "U0RESP") == 200)
            var errors = await s.p.sandbox.submitView(user: "U0RESP", values: ["title": ["title": "  "]])
            #expect(errors == ["title": "Enter a title for the incident.", "service": "Choose one of the organization's services."])
            #expect(await s.p.sandbox.openView(for: "U0RESP") != nil, "the modal stays open")
            errors = await s.p.sandbox.submitView(user: "U0RESP", values: [
                "title": ["title": "Checkout returns 502"], "service": ["service": s.p.tenancy.serviceID],
                "description": ["description": "Seen by support"], "severity": ["severity": "critical"]])
            #expect(errors == [:])
            #expect(await s.p.sandbox.openView(for: "U0RESP") == nil)
            try await app.deliveriesIdle()
            let list = try await app.api(.GET, "/api/v1/projects/\(s.p.tenancy.projectID)/incidents", token: s.p.tenancy.owner)
            let opened = try #require(list.array.first { $0["title"] as? String == "Checkout returns 502" })
            #expect(opened["severity"] as? String == "critical" && opened["description"] as? String == "Seen by support")
            #expect(opened["service"] as? String == "payments")
            #expect(await s.p.messages("#ops").map(\.text) == ["[TRIGGERED] Checkout returns 502"])
            // The same view submitted again (a retry) opens nothing more.
            let view = try #require(await s.p.sandbox.views().last)
            var submitted = view.object ?? [:]
            submitted["state"] = ["values": ["title": ["title": ["type": "plain_text_input", "value": "Checkout returns 502"]],
                                             "service": ["service": ["type": "static_select", "selected_option": ["value": .string(s.p.tenancy.serviceID)]]]]]
            let payload: JSONValue = ["type": "view_submission", "team": ["id": .string(SandboxWorkspace.teamID)],
                                      "user": ["id": "U0RESP", "team_id": .string(SandboxWorkspace.teamID)], "view": .object(submitted)]
            let body = Self.form([("payload", String(decoding: payload.encoded(), as: UTF8.self))])
            #expect(try await Self.signed(app, "/slack/interactions", body: body, contentType: "application/x-www-form-urlencoded").status == .ok)
            let again = try await app.api(.GET, "/api/v1/projects/\(s.p.tenancy.projectID)/incidents", token: s.p.tenancy.owner)
            #expect(again.array.filter { $0["title"] as? String == "Checkout returns 502" }.count == 1)
            // A stakeholder's command is refused in SPEC §6's words, and no modal opens.
            #expect(await s.p.sandbox.command("/create_incident", channel: s.channel, user: "U0STAKE") == 200)
            #expect(await s.p.sandbox.openView(for: "U0STAKE") == nil)
            #expect(await s.ephemerals().last == ActorRefusal.stakeholder.message)
        }
    }

    // MARK: Events

    @Test("a message in a watched channel opens one incident (first line, permalink); replies, edits, Herald's own, other workspaces and retries open nothing")
    func watchedChannel() async throws {
        try await withApp(environment: Self.environment, sandbox: true, workers: true) { app in
            let s = try await Setup.make(app)
            let put = try await app.api(.PUT, "/api/v1/services/\(s.p.tenancy.serviceID)/settings/slack", token: s.p.tenancy.owner,
                                        json: ["watchChannel": "#incidents"])
            let watched = try #require(put.string("watchChannel"), "\(put.body)")
            #expect(watched == (await s.p.sandbox.allChannels().first { $0.name == "incidents" })?.id)
            let message = try #require(await s.p.sandbox.post(channel: "incidents", user: "U0RESP", text: "Payments failing in EU\nstack trace follows"))
            await app.herald.slack.work.waitUntilIdle()
            func incidents() async throws -> [[String: Any]] {
                try await app.api(.GET, "/api/v1/projects/\(s.p.tenancy.projectID)/incidents", token: s.p.tenancy.owner).array
            }
            var opened = try await incidents().filter { ($0["key"] as? String)?.hasPrefix("slack:") == true }
            #expect(opened.count == 1)
            #expect(opened.first?["title"] as? String == "Payments failing in EU")
            #expect(opened.first?["service"] as? String == "payments")
            #expect(opened.first?["link"] as? String == "https://herald-sandbox.slack.com/archives/\(watched)/p\(message.ts.replacingOccurrences(of: ".", with: ""))")
            // What opens nothing: a thread reply, an edit, Herald's own message, another workspace's, an unwatched channel, a retry.
            await s.p.sandbox.post(channel: "incidents", user: "U0RESP", text: "looking", threadTS: message.ts)
            await s.p.sandbox.post(channel: "ops", user: "U0RESP", text: "not watched")
            func event(_ id: String, _ fields: [String: Any], team: String = SandboxWorkspace.teamID) async throws {
                var event: [String: Any] = ["type": "message", "channel": watched, "ts": "1700000000.00009\(id.count)", "text": "x"]
                event.merge(fields) { $1 }
                let body = try JSONSerialization.data(withJSONObject: ["type": "event_callback", "team_id": team, "event_id": id, "event": event])
                #expect(try await Self.signed(app, "/slack/events", body: String(decoding: body, as: UTF8.self), contentType: "application/json",
                                              retry: id == "EvRETRY" ? 1 : nil).status == .ok)
            }
            try await event("EvEDIT", ["subtype": "message_changed", "user": "U0RESP"])
            try await event("EvBOT", ["user": SandboxWorkspace.botUserID, "bot_id": SandboxWorkspace.botID])
            try await event("EvOWNAPP", ["subtype": "bot_message", "bot_id": "B1", "app_id": "A0HERALD"])
            try await event("EvFOREIGN", ["user": "U9", "team": "T0ELSEWHERE"])
            try await event("EvNOAPP", ["user": "U9"], team: "T0NOBODY")
            // Slack's retry of the first message carries its event id: nothing twice.
            let first: [String: Any] = ["user": "U0RESP", "ts": message.ts, "text": "Payments failing in EU"]
            try await event("EvSAME", first)
            try await event("EvSAME", first)
            await app.herald.slack.work.waitUntilIdle()
            opened = try await incidents().filter { ($0["key"] as? String)?.hasPrefix("slack:") == true }
            #expect(opened.count == 1, "\(opened.map { $0["title"] ?? "" })")
            let detail = try await app.api(.GET, "/api/v1/incidents/\(try #require(opened.first?["id"] as? String))", token: s.p.tenancy.owner)
            // The same message again adds to its incident's timeline at most; it never opens a second.
            #expect(((detail["timeline"] as? [[String: Any]]) ?? []).count <= 2)
        }
    }

    @Test("url_verification is answered; app_uninstalled and tokens_revoked record the revocation, drop the token, and the buttons go")
    func uninstall() async throws {
        try await withApp(environment: Self.environment, sandbox: true, workers: true) { app in
            let s = try await Setup.make(app)
            for (id, event) in [("Ev1", ["type": "tokens_revoked", "tokens": ["oauth": ["U1"]]] as [String: Any]),
                                ("Ev2", ["type": "app_uninstalled"])] {
                let body = try JSONSerialization.data(withJSONObject: ["type": "event_callback", "team_id": SandboxWorkspace.teamID,
                                                                       "event_id": id, "event": event])
                #expect(try await Self.signed(app, "/slack/events", body: String(decoding: body, as: UTF8.self), contentType: "application/json").status == .ok)
                await app.herald.slack.work.waitUntilIdle()
                let state = try await app.api(.GET, "/api/v1/orgs/\(s.p.tenancy.orgID)/slack/installation", token: s.p.tenancy.owner)
                // A user's token revoked changes nothing; the uninstall is recorded.
                #expect(state["installed"] as? Bool == (id == "Ev1"), "\(state.body)")
                if id == "Ev2" {
                    #expect(state.string("revokedReason") == "app_uninstalled" && state["revokedAt"] is String)
                    #expect(state["interactive"] as? Bool == false)
                }
            }
            let org = try await app.api(.GET, "/api/v1/orgs/\(s.p.tenancy.orgID)/settings/slack", token: s.p.tenancy.owner)
            #expect(org["tokenConfigured"] as? Bool == false)
            // New messages carry no buttons: the app can no longer receive them.
            _ = try await s.p.send(app, ["type": "incident", "action": "trigger", "key": "after", "title": "After uninstall"])
            try await app.deliveriesIdle()
            let last = String(decoding: try #require(await s.p.messages().last).attachments?.encoded() ?? Data(), as: UTF8.self)
            #expect(last.contains("After uninstall") && !last.contains("incident.acknowledge"))
            // A click arriving afterwards is refused: the workspace no longer belongs to an organization.
            try await s.click(app, "incident.acknowledge", as: "U0RESP")
            #expect(await s.ephemerals() == [ActorRefusal.notMember.message])
        }
    }

    // MARK: Install, channels, revoke

    @Test("install: the link carries client id, scopes and a signed state; the callback stores the installation; bad, replayed, expired, denied and failed installs store nothing")
    func install() async throws {
        let clock = ManualClock()
        try await withApp(environment: Self.environment.merging(["HERALD_SLACK_CLIENT_ID": "123.456", "HERALD_SLACK_CLIENT_SECRET": "client-secret"]) { $1 },
                          sandbox: true, clock: clock) { app in
            let t = try await Tenancy.make(app)
            let sandbox = try #require(app.herald.sandboxWorkspace)
            /// The install link, and the cookie that binds it to the browser that asked.
            func link(token: String? = nil) async throws -> (URLComponents, String) {
                let answer = try await app.api(.GET, "/slack/install?org=\(token == nil ? t.orgID : t.outsiderOrgID)", token: token ?? t.admin)
                #expect(answer.status == .seeOther || answer.status == .found, "\(answer.body)")
                let location = try #require(answer.headers.first(name: .location))
                let cookie = try #require(answer.headers.setCookie?[SlackInstallationService.browserCookie])
                #expect(cookie.isHTTPOnly && cookie.sameSite == .lax && cookie.path == "/slack/oauth")
                return (try #require(URLComponents(string: location)), cookie.string)
            }
            func query(_ c: URLComponents, _ name: String) -> String? { c.queryItems?.first { $0.name == name }?.value }
            func callback(_ items: [String: String], cookie: String?) async throws -> APIResponse {
                var c = URLComponents()
                c.path = "/slack/oauth/callback"
                c.queryItems = items.map { URLQueryItem(name: $0.key, value: $0.value) }
                var headers = HTTPHeaders()
                if let cookie { headers.add(name: .cookie, value: "\(SlackInstallationService.browserCookie)=\(cookie)") }
                let response = try await app.testing().sendRequest(.GET, c.string!, headers: headers)
                return APIResponse(status: response.status, headers: response.headers, body: response.body.string)
            }
            func installed() async throws -> Bool {
                try await app.api(.GET, "/api/v1/orgs/\(t.orgID)/slack/installation", token: t.owner)["installed"] as? Bool == true
            }
            // Only org admins get a link.
            #expect(try await app.api(.GET, "/slack/install?org=\(t.orgID)", token: t.responder).status == .forbidden)
            #expect(try await app.api(.GET, "/slack/install?org=\(t.orgID)", token: t.outsider).status == .notFound)
            let (first, firstCookie) = try await link()
            #expect(query(first, "client_id") == "123.456")
            #expect(query(first, "scope")?.split(separator: ",").map(String.init) == SlackInstallationService.botScopes)
            #expect(query(first, "redirect_uri")?.hasSuffix("/slack/oauth/callback") == true)
            let state = try #require(query(first, "state"))
            // A tampered state, no state, a denied consent: nothing stored.
            var tampered = state
            tampered.replaceSubrange(tampered.index(before: tampered.endIndex)..., with: tampered.hasSuffix("0") ? "1" : "0")
            let redirect = try #require(query(first, "redirect_uri"))
            #expect(try await callback(["code": await sandbox.issueOAuthCode(redirectURI: redirect), "state": tampered], cookie: firstCookie).status
                        == .badRequest)
            #expect(try await callback(["code": await sandbox.issueOAuthCode(redirectURI: redirect)], cookie: firstCookie).status == .badRequest)
            // The link handed to someone else (another browser, no cookie, or another's) installs nothing and spends nothing.
            let (otherBrowser, _) = try await link()
            for cookie in [nil, firstCookie] {
                let elsewhere = try await callback(["code": await sandbox.issueOAuthCode(redirectURI: redirect),
                                                    "state": try #require(query(otherBrowser, "state"))], cookie: cookie)
                #expect(elsewhere.status == .badRequest && elsewhere.body.contains("another browser"), "\(elsewhere.body)")
            }
            let denied = try await callback(["error": "access_denied", "state": state], cookie: firstCookie)
            #expect(denied.status == .badRequest && denied.body.contains("access_denied"))
            // The denied consent spent the state: it cannot be used again.
            let replay = try await callback(["code": await sandbox.issueOAuthCode(redirectURI: redirect), "state": state], cookie: firstCookie)
            #expect(replay.status == .badRequest && replay.body.contains("already used"))
            #expect(try await installed() == false)
            // A failing exchange (a code Slack never issued).
            let (second, secondCookie) = try await link()
            let failed = try await callback(["code": "made-up", "state": try #require(query(second, "state"))], cookie: secondCookie)
            #expect(failed.status == .badRequest && failed.body.contains("invalid_code"))
            #expect(try await installed() == false)
            // An admin who lost the role before coming back installs nothing.
            let (demoted, demotedCookie) = try await link()
            let role = try await app.api(.PATCH, "/api/v1/orgs/\(t.orgID)/members/admin@example.com", token: t.owner, json: ["role": "responder"])
            #expect(role.status == .ok, "\(role.body)")
            let refused = try await callback(["code": await sandbox.issueOAuthCode(redirectURI: redirect), "state": try #require(query(demoted, "state"))],
                                             cookie: demotedCookie)
            #expect(refused.status == .badRequest && refused.body.contains("Only an owner or admin"))
            _ = try await app.api(.PATCH, "/api/v1/orgs/\(t.orgID)/members/admin@example.com", token: t.owner, json: ["role": "admin"])
            #expect(try await installed() == false)
            // Expired after 10 minutes.
            let (third, thirdCookie) = try await link()
            clock.set(601)
            let expired = try await callback(["code": await sandbox.issueOAuthCode(redirectURI: redirect), "state": try #require(query(third, "state"))],
                                             cookie: thirdCookie)
            #expect(expired.status == .badRequest && expired.body.contains("expired"))
            #expect(try await installed() == false)
            // The happy path; the one the other browser could not use works in the admin's.
            let done = try await callback(["code": await sandbox.issueOAuthCode(redirectURI: redirect, scope: SlackInstallationService.botScopes.joined(separator: ",")),
                                           "state": try #require(query(otherBrowser, "state"))], cookie: nil)
            #expect(done.status == .badRequest, "an expired link stays expired")
            let (fourth, fourthCookie) = try await link()
            let installedPage = try await callback(["code": await sandbox.issueOAuthCode(redirectURI: redirect, scope: SlackInstallationService.botScopes.joined(separator: ",")),
                                                    "state": try #require(query(fourth, "state"))], cookie: fourthCookie)
            #expect(installedPage.status == .ok && installedPage.body.contains(SandboxWorkspace.teamName), "\(installedPage.body)")
            let state2 = try await app.api(.GET, "/api/v1/orgs/\(t.orgID)/slack/installation", token: t.owner)
            #expect(state2["installed"] as? Bool == true && state2.string("teamID") == SandboxWorkspace.teamID)
            #expect(state2.string("botUserID") == SandboxWorkspace.botUserID && state2["interactive"] as? Bool == true)
            #expect((state2["scopes"] as? [String]) == SlackInstallationService.botScopes)
            let settings = try await app.api(.GET, "/api/v1/orgs/\(t.orgID)/settings/slack", token: t.owner)
            #expect(settings["tokenConfigured"] as? Bool == true && !settings.body.contains("xoxb-"))
            // Another organization cannot install the same workspace.
            let (other, otherCookie) = try await link(token: t.outsider)
            let taken = try await callback(["code": await sandbox.issueOAuthCode(redirectURI: redirect), "state": try #require(query(other, "state"))],
                                           cookie: otherCookie)
            #expect(taken.status == .badRequest && taken.body.contains("already connected"))
        }
    }

    @Test("the channel picker reads every page across a 429, leaves out archived channels and private ones the bot is not in, and is cached until refreshed; the default channel; revoke")
    func channelsAndRevoke() async throws {
        try await withApp(environment: Self.environment, sandbox: true) { app in
            let p = try await SlackProject.make(app)
            try await p.installApp(app)
            for n in 1...450 { await p.sandbox.addChannel(name: "team-\(String(format: "%03d", n))") }
            // The 429 comes in the middle: the second of three pages.
            await p.sandbox.injectFault(SandboxFault(kind: .rateLimited, method: "conversations.list", count: 1, retryAfter: 1, after: 1))
            let waits = NIOLockedValueBox<[Duration]>([])
            app.herald.slack.interactive.sleep = { wait in waits.withLockedValue { $0.append(wait) } }
            let listed = try await app.api(.GET, "/api/v1/orgs/\(p.tenancy.orgID)/slack/channels", token: p.tenancy.owner)
            #expect(listed.status == .ok, "\(listed.body)")
            let names = listed.array.compactMap { $0["name"] as? String }
            #expect(names.count == 455, "\(names.count)")
            #expect(names.contains("secret-ops") && !names.contains("private-hr") && !names.contains("old-alerts"))
            #expect(names.contains("team-450"))
            #expect(waits.withLockedValue { $0 } == [.seconds(1)], "the 429's Retry-After was waited out once")
            // Cached: a new channel appears only after a refresh.
            await p.sandbox.addChannel(name: "brand-new")
            let cached = try await app.api(.GET, "/api/v1/orgs/\(p.tenancy.orgID)/slack/channels", token: p.tenancy.stakeholder)
            #expect(!cached.array.contains { $0["name"] as? String == "brand-new" })
            // Reading it from Slack again is for those who manage the organization.
            #expect(try await app.api(.GET, "/api/v1/orgs/\(p.tenancy.orgID)/slack/channels?refresh=true", token: p.tenancy.stakeholder).status
                        == .forbidden)
            let fresh = try await app.api(.GET, "/api/v1/orgs/\(p.tenancy.orgID)/slack/channels?refresh=true", token: p.tenancy.owner)
            #expect(fresh.array.contains { $0["name"] as? String == "brand-new" })
            #expect(try await app.api(.GET, "/api/v1/orgs/\(p.tenancy.orgID)/slack/channels?refresh=maybe", token: p.tenancy.owner).status
                        == .unprocessableEntity)
            // The default channel, by name, becomes the organization's channels (as its id).
            let set = try await app.api(.PUT, "/api/v1/orgs/\(p.tenancy.orgID)/slack/installation", token: p.tenancy.owner,
                                        json: ["defaultChannel": "#brand-new"])
            let brandNew = try #require(fresh.array.first { $0["name"] as? String == "brand-new" }?["id"] as? String)
            #expect(set.status == .ok && set.string("defaultChannel") == brandNew, "\(set.body)")
            let unknown = try await app.api(.PUT, "/api/v1/orgs/\(p.tenancy.orgID)/slack/installation", token: p.tenancy.owner,
                                            json: ["defaultChannel": "#no-such-channel"])
            #expect(unknown.status == .unprocessableEntity && unknown.string("field") == "defaultChannel")
            #expect(try await app.api(.PUT, "/api/v1/orgs/\(p.tenancy.orgID)/slack/installation", token: p.tenancy.responder,
                                      json: ["defaultChannel": "#ops"]).status == .forbidden)
            // Revoke: Slack forgets the token, Herald the installation and the organization's token.
            let token = try #require(try await SlackInstallationService(services: app.herald, db: app.db).botToken(orgID: UUID(uuidString: p.tenancy.orgID)!))
            #expect(try await app.api(.DELETE, "/api/v1/orgs/\(p.tenancy.orgID)/slack/installation", token: p.tenancy.owner).status == .noContent)
            let after = try await app.api(.GET, "/api/v1/orgs/\(p.tenancy.orgID)/slack/installation", token: p.tenancy.owner)
            #expect(after["installed"] as? Bool == false && after["teamID"] is NSNull)
            #expect(try await app.api(.GET, "/api/v1/orgs/\(p.tenancy.orgID)/settings/slack", token: p.tenancy.owner)["tokenConfigured"] as? Bool == false)
            do {
                _ = try await app.herald.slack.client.authTest(token: token)
                Issue.record("the revoked token still works")
            } catch {
                #expect((error as? SlackError)?.code == "token_revoked")
            }
            #expect(try await app.api(.DELETE, "/api/v1/orgs/\(p.tenancy.orgID)/slack/installation", token: p.tenancy.owner).status == .notFound)
        }
    }

    // MARK: Threads

    @Test("threadUpdates: the living message is edited in place and each status change and coalesced update is also a reply in its thread, once")
    func threadedUpdates() async throws {
        let clock = ManualClock()
        try await withApp(environment: Self.environment.merging(["HERALD_UPDATE_INTERVAL": "60"]) { $1 }, sandbox: true, workers: true,
                          clock: clock) { app in
            let p = try await SlackProject.make(app)
            let on = try await app.api(.PUT, "/api/v1/orgs/\(p.tenancy.orgID)/settings/slack", token: p.tenancy.owner, json: ["threadUpdates": true])
            #expect(on["threadUpdates"] as? Bool == true)
            let project = try await app.api(.GET, "/api/v1/projects/\(p.tenancy.projectID)/settings/slack", token: p.tenancy.owner)
            let effective = try #require(project["effective"] as? [String: Any])
            #expect(effective["threadUpdates"] as? Bool == true && (effective["from"] as? [String: Any])?["threadUpdates"] as? String == "org")
            _ = try await p.send(app, ["type": "incident", "action": "trigger", "key": "q-1", "title": "Queue backlog"])
            try await app.deliveriesIdle()
            _ = try await p.send(app, ["type": "incident", "action": "acknowledge", "key": "q-1"])
            try await app.deliveriesIdle()
            // Two updates within the interval: one coalesced edit, one reply for both.
            _ = try await p.send(app, ["type": "incident", "action": "update", "key": "q-1", "description": "consumers restarted"])
            _ = try await p.send(app, ["type": "incident", "action": "update", "key": "q-1", "description": "lag falling"])
            try await app.deliveriesIdle()
            clock.set(61)
            try await app.deliveriesIdle()
            _ = try await p.send(app, ["type": "incident", "action": "resolve", "key": "q-1"])
            try await app.deliveriesIdle()
            let all = await p.messages()
            let parent = try #require(all.first { $0.threadTS == nil })
            let replies = all.filter { $0.threadTS == parent.ts }
            #expect(all.count == 1 + replies.count)
            #expect(parent.attachments?.array?.first?["color"]?.string == SlackRenderer.green)
            #expect(replies.map(\.text) == ["Acknowledged by api", "lag falling", "Resolved by api"], "\(replies.map(\.text))")
            let coalesced = String(decoding: replies[1].blocks?.encoded() ?? Data(), as: UTF8.self)
            #expect(coalesced.contains("consumers restarted") && coalesced.contains("lag falling"))
            // Nothing more to send: no reply is made twice.
            try await app.deliveriesIdle()
            #expect(await p.messages().count == all.count)
        }
    }
}
