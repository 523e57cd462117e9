import FluentKit
import Foundation
@testable import HeraldServer
import HeraldCore
import SlackSandbox
import SQLKit
import Testing
import Vapor

@Suite("Slack settings (SPEC §3)")
struct SlackSettingsTests {
    /// One step of a scenario: a PUT at a level, then the expected effective project settings.
    struct Step: Sendable, CustomStringConvertible {
        var name: String
        /// (level, body) pairs applied in order; level is "org" or "project".
        var puts: [(String, [String: any Sendable])]
        var enabled: Bool
        var enabledFrom: String?
        var channels: [String]
        var channelsFrom: String?
        var tokenFrom: String?
        var description: String { name }
    }

    static let steps: [Step] = [
        Step(name: "nothing set: disabled, nothing inherited", puts: [], enabled: false, enabledFrom: nil, channels: [], channelsFrom: nil, tokenFrom: nil),
        Step(name: "org enabled with token and channels: project inherits all",
             puts: [("org", ["enabled": true, "token": "xoxb-org-token", "channels": "#alerts"])],
             enabled: true, enabledFrom: "org", channels: ["#alerts"], channelsFrom: "org", tokenFrom: "org"),
        Step(name: "project with settings and enabled false stays disabled under an enabled org",
             puts: [("org", ["enabled": true, "token": "xoxb-org-token", "channels": "#alerts"]), ("project", ["enabled": false])],
             enabled: false, enabledFrom: "project", channels: ["#alerts"], channelsFrom: "org", tokenFrom: "org"),
        Step(name: "project enabled under a disabled org",
             puts: [("org", ["enabled": false, "channels": "#ops"]), ("project", ["enabled": true])],
             enabled: true, enabledFrom: "project", channels: ["#ops"], channelsFrom: "org", tokenFrom: nil),
        Step(name: "empty project channels inherit the org's",
             puts: [("org", ["channels": ["#alerts", "#ops"]]), ("project", ["enabled": true, "channels": ""])],
             enabled: true, enabledFrom: "project", channels: ["#alerts", "#ops"], channelsFrom: "org", tokenFrom: nil),
        Step(name: "project channels win when non-empty",
             puts: [("org", ["channels": "#alerts"]), ("project", ["channels": "#alerts  #ops C0123"])],
             enabled: false, enabledFrom: "project", channels: ["#alerts", "#ops", "C0123"], channelsFrom: "project", tokenFrom: nil),
        Step(name: "project token wins over the org's",
             puts: [("org", ["token": "xoxb-org-token"]), ("project", ["token": "xoxb-project-token"])],
             enabled: false, enabledFrom: "project", channels: [], channelsFrom: nil, tokenFrom: "project"),
        Step(name: "removeToken on a project never unsets the org's token",
             puts: [("org", ["token": "xoxb-org-token"]), ("project", ["removeToken": true])],
             enabled: false, enabledFrom: "project", channels: [], channelsFrom: nil, tokenFrom: "org"),
        Step(name: "removeToken on a project erases the project's own token",
             puts: [("org", ["token": "xoxb-org-token"]), ("project", ["token": "xoxb-project-token"]), ("project", ["removeToken": true])],
             enabled: false, enabledFrom: "project", channels: [], channelsFrom: nil, tokenFrom: "org"),
        Step(name: "removeToken with a new token keeps the new token",
             puts: [("project", ["token": "xoxb-old"]), ("project", ["token": "xoxb-new", "removeToken": true])],
             enabled: false, enabledFrom: "project", channels: [], channelsFrom: nil, tokenFrom: "project"),
        Step(name: "removeToken on the org erases the org's token",
             puts: [("org", ["token": "xoxb-org-token"]), ("org", ["removeToken": true])],
             enabled: false, enabledFrom: "org", channels: [], channelsFrom: nil, tokenFrom: nil),
        Step(name: "absent fields stay as they were",
             puts: [("project", ["enabled": true, "channels": "#a", "token": "xoxb-p"]), ("project", ["channels": "#b"])],
             enabled: true, enabledFrom: "project", channels: ["#b"], channelsFrom: "project", tokenFrom: "project"),
    ]

    @Test("effective project settings", arguments: steps)
    func effective(_ step: Step) async throws {
        try await withApp { app in
            // setup
            let t = try await Tenancy.make(app)
            for (level, body) in step.puts {
                let path = level == "org" ? "/api/v1/orgs/\(t.orgID)/settings/slack" : "/api/v1/projects/\(t.projectID)/settings/slack"
                let response = try await app.api(.PUT, path, token: t.owner, json: body.mapValues { $0 as Any })
                try #require(response.status == .ok, "\(level) \(body): \(response.body)")
            }
            // MUT
            let response = try await app.api(.GET, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.stakeholder)
            // validate
            #expect(response.status == .ok)
            let effective = try #require(response["effective"] as? [String: Any])
            let from = try #require(effective["from"] as? [String: Any])
            #expect(effective["enabled"] as? Bool == step.enabled)
            #expect(effective["channels"] as? [String] == step.channels)
            #expect(effective["tokenConfigured"] as? Bool == (step.tokenFrom != nil))
            #expect(from["enabled"] as? String == step.enabledFrom)
            #expect(from["channels"] as? String == step.channelsFrom)
            #expect(from["token"] as? String == step.tokenFrom)
            // `from` always carries every key, null when unset.
            #expect(Set(from.keys) == ["enabled", "token", "channels", "threadUpdates"])
            #expect(response.body.contains("xoxb-") == false, "a token leaked into the response")
        }
    }

    @Test("tokens are write-only: fingerprint in responses, sealed in the database, absent from logs")
    func tokensNeverLeak() async throws {
        let logs = LogCapture()
        try await withApp(sandbox: true, logs: logs) { app in
            // setup
            let t = try await Tenancy.make(app)
            let token = "xoxb-\(UUID().uuidString.lowercased())-secret"
            var bodies: [String] = []
            // MUT: every call that touches the token
            let put = try await app.api(.PUT, "/api/v1/orgs/\(t.orgID)/settings/slack", token: t.owner,
                                        json: ["enabled": true, "token": token, "channels": "#alerts"])
            bodies.append(put.body)
            #expect(put.status == .ok)
            bodies.append(try await app.api(.GET, "/api/v1/orgs/\(t.orgID)/settings/slack", token: t.owner).body)
            bodies.append(try await app.api(.GET, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner).body)
            bodies.append(try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/settings/slack/test", token: t.owner).body)
            bodies.append(try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner,
                                            json: ["token": token + "-p", "enabled": true]).body)
            bodies.append(try await app.api(.POST, "/api/v1/projects/\(t.projectID)/settings/slack/test", token: t.owner).body)
            bodies.append(try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner,
                                            json: ["token": "bad token " + token]).body)
            // validate
            let fingerprint = try #require(put.string("tokenFingerprint"))
            #expect(fingerprint.count == 8)
            #expect(put["tokenConfigured"] as? Bool == true)
            for body in bodies { #expect(!body.contains(token), "response leaked the token: \(body.prefix(300))") }
            let stored = try await databaseText(app, tables: ["slack_settings"])
            #expect(stored.contains("v1:"), "tokens are sealed")
            #expect(!stored.contains(token))
            #expect(logs.count > 10, "the log capture saw the requests")
            #expect(!logs.text.contains(token), "the log leaked the token")
            // The SQLite file itself (and its write-ahead log) never holds the token.
            // Both files exist while the database is open in WAL mode: a missing one fails the test.
            if case .sqlite(let path) = app.herald.configuration.database {
                for file in [path, path + "-wal"] {
                    let data = try #require(FileManager.default.contents(atPath: file), "\(file) is missing")
                    #expect(data.range(of: Data(token.utf8)) == nil, "\(file) holds the token")
                }
            }
        }
    }

    @Test("the test message reaches every channel and reports each channel's Slack error")
    func testMessage() async throws {
        try await withApp(sandbox: true) { app in
            let t = try await Tenancy.make(app)
            let sandbox = try #require(app.herald.sandboxWorkspace)
            let token = await sandbox.issueBotToken()
            let put = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner,
                                        json: ["enabled": true, "token": token, "channels": "#alerts #nope #general #private-hr #old-alerts #secret-ops"])
            #expect(put.status == .ok, "\(put.body)")
            // MUT
            let response = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/settings/slack/test", token: t.admin)
            // validate
            #expect(response.status == .ok, "\(response.body)")
            let results = (response["results"] as? [[String: Any]] ?? []).map { ($0["channel"] as? String ?? "", $0["ok"] as? Bool ?? false, $0["error"] as? String) }
            #expect(results.map(\.0) == ["#alerts", "#nope", "#general", "#private-hr", "#old-alerts", "#secret-ops"])
            #expect(results.map(\.1) == [true, false, false, false, false, true])
            #expect(results.map(\.2) == [nil, "channel_not_found", "not_in_channel", "channel_not_found", "is_archived", nil])
            let posted = await sandbox.messages(in: "#alerts")
            #expect(posted.count == 1)
            #expect(posted.first?.text.contains("Checkout") == true)
            #expect(await sandbox.messages(in: "#secret-ops").count == 1)
        }
    }

    @Test("a token Slack rejects is reported per channel as invalid_auth")
    func rejectedToken() async throws {
        try await withApp(sandbox: true) { app in
            let t = try await Tenancy.make(app)
            _ = try await app.api(.PUT, "/api/v1/orgs/\(t.orgID)/settings/slack", token: t.owner,
                                  json: ["enabled": true, "token": "xoxb-not-a-real-token", "channels": ["#alerts", "#ops"]])
            let response = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/settings/slack/test", token: t.owner)
            #expect(response.status == .ok)
            let errors = (response["results"] as? [[String: Any]] ?? []).map { $0["error"] as? String }
            #expect(errors == ["invalid_auth", "invalid_auth"])
        }
    }

    @Test("incomplete or disabled settings are refused, naming what is missing")
    func incomplete() async throws {
        try await withApp(sandbox: true) { app in
            let t = try await Tenancy.make(app)
            let nothing = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/settings/slack/test", token: t.owner)
            #expect(nothing.status == .unprocessableEntity)
            #expect(((nothing["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String } == ["token", "channels"])
            _ = try await app.api(.PUT, "/api/v1/orgs/\(t.orgID)/settings/slack", token: t.owner, json: ["token": "xoxb-x"])
            let noChannels = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/settings/slack/test", token: t.owner)
            #expect(noChannels.string("field") == "channels")
            _ = try await app.api(.PUT, "/api/v1/orgs/\(t.orgID)/settings/slack", token: t.owner, json: ["channels": "#alerts", "enabled": true])
            _ = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner, json: ["enabled": false])
            let disabled = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/settings/slack/test", token: t.owner)
            #expect(disabled.status == .unprocessableEntity)
            #expect(disabled.string("field") == "enabled")
            #expect(disabled.string("detail")?.contains("this project's settings") == true)
            // Stakeholders and responders may not send test messages.
            let stakeholder = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/settings/slack/test", token: t.stakeholder)
            #expect(stakeholder.status == .forbidden)
            #expect(await app.herald.sandboxWorkspace!.messages(in: "#alerts").isEmpty)
        }
    }

    struct BadCase: Sendable, CustomStringConvertible {
        var name: String
        var body: String
        var fields: [String]
        var description: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(name: "token with inner whitespace", body: ##"{"token": "xoxb-123 456"}"##, fields: ["token"]),
        BadCase(name: "token with a newline inside", body: ##"{"token": "xoxb-1\n23"}"##, fields: ["token"]),
        BadCase(name: "non-ASCII token", body: ##"{"token": "xoxb-tøken"}"##, fields: ["token"]),
        BadCase(name: "enormous channel string", body: ##"{"channels": "\##(String(repeating: "#a ", count: 4000))"}"##, fields: ["channels"]),
        BadCase(name: "too many channels", body: ##"{"channels": "\##((0..<101).map { "#c\($0)" }.joined(separator: " "))"}"##, fields: ["channels"]),
        BadCase(name: "bad channel name", body: ##"{"channels": "#alerts #not/valid"}"##, fields: ["channels"]),
        BadCase(name: "channels of the wrong type", body: ##"{"channels": 42}"##, fields: ["channels"]),
        BadCase(name: "enabled as a string", body: ##"{"enabled": "yes"}"##, fields: ["enabled"]),
        BadCase(name: "bad token and bad channels together", body: ##"{"enabled": true, "token": "a b", "channels": "#ok #n/o"}"##, fields: ["token", "channels"]),
    ]

    @Test("bad settings input is refused whole, nothing half-saved", arguments: badCases)
    func badInput(_ c: BadCase) async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let before = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner,
                                           json: ["enabled": false, "channels": "#keep", "token": "xoxb-keep"])
            #expect(before.status == .ok)
            let response = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner, rawBody: c.body)
            #expect(response.status == .unprocessableEntity, "\(response.body.prefix(300))")
            let fields = (response["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect((fields.isEmpty ? [response.string("field") ?? ""] : fields) == c.fields)
            let after = try await app.api(.GET, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner)
            #expect(after["enabled"] as? Bool == false)
            #expect(after["channels"] as? [String] == ["#keep"])
            #expect(after.string("tokenFingerprint") == before.string("tokenFingerprint"))
        }
    }

    @Test("a service channel replaces the project's channels for its incidents")
    func serviceChannel() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            _ = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner, json: ["channels": "#alerts #ops"])
            let before = try await app.api(.GET, "/api/v1/services/\(t.serviceID)/settings/slack", token: t.responder)
            #expect(before.object["channel"] is NSNull)
            #expect((before["effective"] as? [String: Any])?["channels"] as? [String] == ["#alerts", "#ops"])
            let put = try await app.api(.PUT, "/api/v1/services/\(t.serviceID)/settings/slack", token: t.admin, json: ["channel": "Payments-Alerts"])
            #expect(put.status == .ok)
            #expect(put.string("channel") == "#payments-alerts")
            #expect((put["effective"] as? [String: Any])?["channels"] as? [String] == ["#payments-alerts"])
            #expect((put["effective"] as? [String: Any])?["from"] as? String == "service")
            let bad = try await app.api(.PUT, "/api/v1/services/\(t.serviceID)/settings/slack", token: t.admin, json: ["channel": "#a b"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.string("field") == "channel")
            let denied = try await app.api(.PUT, "/api/v1/services/\(t.serviceID)/settings/slack", token: t.responder, json: ["channel": "#x"])
            #expect(denied.status == .forbidden)
            let cleared = try await app.api(.PUT, "/api/v1/services/\(t.serviceID)/settings/slack", token: t.admin, json: ["channel": ""])
            #expect((cleared["effective"] as? [String: Any])?["from"] as? String == "project")
        }
    }

    @Test("resetting project settings returns the project to full inheritance")
    func resetProjectSettings() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            _ = try await app.api(.PUT, "/api/v1/orgs/\(t.orgID)/settings/slack", token: t.owner, json: ["enabled": true])
            _ = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner, json: ["enabled": false, "token": "xoxb-p"])
            let reset = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/settings/slack/reset", token: t.owner)
            #expect(reset.status == .ok)
            #expect(reset["hasSettings"] as? Bool == false)
            #expect(try await app.api(.POST, "/api/v1/projects/\(t.projectID)/settings/slack/reset", token: t.responder).status == .forbidden)
            let after = try await app.api(.GET, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner)
            #expect(after["hasSettings"] as? Bool == false)
            #expect((after["effective"] as? [String: Any])?["enabled"] as? Bool == true)
            #expect(try await rowCount(app, "slack_settings") == 1)
        }
    }
}
