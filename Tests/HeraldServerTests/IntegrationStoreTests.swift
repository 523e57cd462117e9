import FluentKit
import Foundation
@testable import HeraldServer
import HeraldCore
import SQLKit
import Testing
import Vapor

/// Integrations and runbook tasks through the stores, on whichever database the suite runs on (the
/// end-to-end tests cover the sinks on SQLite; these run the same SQL on PostgreSQL too).
@Suite("Integrations and tasks on both databases")
struct IntegrationStoreTests {
    static let env = ["HERALD_CHANNEL_RATE": "0"]

    @Test("an integration's delivery records its last outcome; deleting one cancels its pending deliveries")
    func outcomesAndCancel() async throws {
        try await withApp(environment: Self.env, sandbox: true, workers: true, clock: ManualClock()) { app in
            let p = try await SlackProject.make(app)
            let hook = try #require(await p.sandbox.createWebhook(channel: "#alerts"))
            let made = try await app.api(.POST, "/api/v1/projects/\(p.tenancy.projectID)/integrations", token: p.tenancy.owner, json: [
                "name": "hook", "source": "notifications", "sink": ["type": "slack_webhook", "url": "http://sandbox.local/sandbox/services/\(hook)"],
            ])
            #expect(made.status == .created, "\(made.body)")
            let id = try #require(made.string("id"))
            _ = try await p.send(app, ["type": "notification", "title": "Hello hooks"])
            try await app.deliveriesIdle()
            let shown = try await app.api(.GET, "/api/v1/integrations/\(id)", token: p.tenancy.owner)
            #expect((shown["lastDelivery"] as? [String: Any])?["outcome"] as? String == "sent", "\(shown.body)")
            #expect(await p.messages().filter { $0.viaWebhook }.count == 1)
        }
        try await withApp(environment: Self.env, sandbox: true) { app in
            // No delivery loop: the delivery waits, pending, until the integration is deleted.
            let p = try await SlackProject.make(app)
            let made = try await app.api(.POST, "/api/v1/projects/\(p.tenancy.projectID)/integrations", token: p.tenancy.owner, json: [
                "name": "later", "source": "notifications", "sink": ["type": "webhook", "url": "http://127.0.0.1:9/never"],
            ])
            let id = try #require(made.string("id"))
            _ = try await p.send(app, ["type": "notification", "title": "Never sent"])
            #expect(try await app.api(.DELETE, "/api/v1/integrations/\(id)", token: p.tenancy.owner).status == .noContent)
            let cancelled = try await app.api(.GET, "/api/v1/deliveries?state=cancelled", token: p.tenancy.owner).array
            #expect(cancelled.map { $0["sink"] as? String } == ["webhook"])
            #expect(cancelled.first?["lastErrorCode"] as? String == "integration_deleted")
            let pending = try await app.api(.GET, "/api/v1/deliveries?state=pending", token: p.tenancy.owner).array
            #expect(pending.map { $0["sink"] as? String } == ["slack"], "the settings' own delivery goes on")
        }
    }

    @Test("a task is sent once however often it is started, its state follows its delivery; a rehearsal skips it")
    func tasks() async throws {
        try await withApp(environment: Self.env, sandbox: true, workers: true, clock: ManualClock()) { app in
            let p = try await SlackProject.make(app)
            let owner = p.tenancy.owner
            let live = try #require(try await app.api(.POST, "/api/v1/projects/\(p.tenancy.projectID)/runbooks", token: owner,
                                                      json: ["name": "Failover", "mode": "live"]).string("id"))
            let task = try #require(try await app.api(.POST, "/api/v1/runbooks/\(live)/tasks", token: owner,
                                                      json: ["type": "slack_message", "channel": "#alerts", "message": "Failing over"]).string("id"))
            #expect(try await app.api(.POST, "/api/v1/tasks/\(task)/start", token: owner).status == .accepted)
            #expect(try await app.api(.POST, "/api/v1/tasks/\(task)/start", token: owner).status == .ok)
            try await app.deliveriesIdle()
            let done = try await app.api(.GET, "/api/v1/tasks/\(task)", token: owner)
            #expect(done.string("state") == "sent", "\(done.body)")
            #expect(done.string("ts") == (await p.messages().first { $0.text.contains("Failing over") })?.ts)
            #expect(try await app.api(.POST, "/api/v1/tasks/\(task)/start", token: owner).status == .ok)
            try await app.deliveriesIdle()
            #expect(await p.messages().filter { $0.text.contains("Failing over") }.count == 1)

            let drill = try #require(try await app.api(.POST, "/api/v1/projects/\(p.tenancy.projectID)/runbooks", token: owner,
                                                       json: ["name": "Drill", "mode": "rehearsal"]).string("id"))
            let skipped = try #require(try await app.api(.POST, "/api/v1/runbooks/\(drill)/tasks", token: owner,
                                                         json: ["type": "slack_message", "channel": "#alerts", "message": "Drill only"]).string("id"))
            #expect(try await app.api(.POST, "/api/v1/tasks/\(skipped)/start", token: owner).string("state") == "skipped")
            try await app.deliveriesIdle()
            #expect(await p.messages().allSatisfy { !$0.text.contains("Drill only") })
        }
    }
}
