import FluentKit
import Foundation
@testable import HeraldServer
import HeraldCore
import HeraldSinks
import SlackAPI
import SQLKit
import Testing
import Vapor

/// Migrations keep data (issue 9): a database as Herald's schema 004 left it, migrated to today's.
@Suite("Migrations keep data")
struct MigrationTests {
    @Test("005: Slack living messages posted before the migration keep their channel and ts, and are still edited in place")
    func neutralMessageReference() async throws {
        var overrides = HeraldOverrides(random: { 0.5 })
        overrides.schemaVersion = 4
        try await withApp(environment: ["HERALD_CHANNEL_RATE": "0"], sandbox: true, overrides: overrides) { app in
            // A project, its Slack settings, and a living message, written the way schema 004 held them
            // (with SQL where today's models have columns 004 had not).
            let sql = app.db as! any SQLDatabase
            let owner = try await app.makeUser("owner@example.com").token
            let org = try await app.api(.POST, "/api/v1/orgs", token: owner, json: ["name": "Acme"])
            let orgID = try #require(org.string("id").flatMap { UUID(uuidString: $0) })
            let created = try await app.api(.POST, "/api/v1/orgs/\(orgID.apiString)/projects", token: owner, json: ["name": "Checkout"])
            let projectID = try #require(created.string("id").flatMap { UUID(uuidString: $0) })
            let sandbox = try #require(app.herald.sandboxWorkspace)
            let token = await sandbox.issueBotToken()
            let secrets = app.herald.security.secrets
            try await sql.raw("""
                INSERT INTO slack_settings (id, project_id, enabled, token_sealed, token_fingerprint, channels, created_at, updated_at)
                VALUES (\(bind: UUID()), \(bind: projectID), \(bind: true), \(bind: try secrets.seal(token, context: SlackSettings.tokenContext)),
                        \(bind: secrets.fingerprint(token)), '["#alerts"]', \(bind: app.herald.now()), \(bind: app.herald.now()))
                """).run()
            let alertsID = try #require(await sandbox.allChannels().first { $0.name == "alerts" }).id
            let posted = try await app.herald.slack.client.postMessage(token: token, SlackMessage(channel: "#alerts", text: "[TRIGGERED] Disk full"))
            #expect(posted.channel == alertsID)
            let incidentID = UUID(), messageID = UUID(), now = app.herald.now()
            try await sql.raw("""
                INSERT INTO incidents (id, project_id, dedup_key, title, tags, status, version, opened_at, last_event_at)
                VALUES (\(bind: incidentID), \(bind: projectID), 'disk-1', 'Disk full', '{}', 'triggered', 1, \(bind: now), \(bind: now))
                """).run()
            try await sql.raw("""
                INSERT INTO incident_timeline (id, incident_id, kind, summary, at, seq)
                VALUES (\(bind: UUID()), \(bind: incidentID), 'trigger', 'Triggered: Disk full', \(bind: now), 1)
                """).run()
            try await sql.raw("""
                INSERT INTO messages (id, project_id, incident_id, sink, target, credential, pacing_key, channel_id, ts, rendered_version,
                                      last_sent_at, created_at)
                VALUES (\(bind: messageID), \(bind: projectID), \(bind: incidentID), 'slack', '#alerts', 'settings', 'slack|-|#alerts',
                        \(bind: posted.channel), \(bind: posted.ts), 1, \(bind: now), \(bind: now))
                """).run()
            // An unposted message (its post still pending) stays without a reference.
            try await sql.raw("""
                INSERT INTO messages (id, project_id, incident_id, sink, target, credential, pacing_key, rendered_version, created_at)
                VALUES (\(bind: UUID()), \(bind: projectID), NULL, 'slack', '#ops', 'settings', 'slack|-|#ops', 0, \(bind: now))
                """).run()

            // MUT: `herald migrate` with today's migrations.
            app.registerMigrations(5...Int.max)
            try await DatabaseSetup.prepare(app)

            let refs = try await sql.raw("SELECT target, external_ref FROM messages ORDER BY target").all()
                .map { (try $0.decode(column: "target", as: String.self), try $0.decode(column: "external_ref", as: String?.self)) }
            #expect(refs.map(\.0) == ["#alerts", "#ops"])
            #expect(refs[0].1.flatMap(SlackMessageReference.init(decoding:)) == SlackMessageReference(channel: posted.channel, ts: posted.ts))
            #expect(refs[1].1 == nil)
            let columns = try await sql.raw("SELECT * FROM messages").all().first?.allColumns ?? []
            #expect(!columns.contains("ts") && !columns.contains("channel_id"), "\(columns)")
            let detail = try await app.api(.GET, "/api/v1/incidents/\(incidentID.apiString)", token: owner)
            let shown = try #require((detail["messages"] as? [[String: Any]])?.first)
            #expect(shown["channelId"] as? String == posted.channel)
            #expect(shown["ts"] as? String == posted.ts)

            // The message posted before the migration is edited in place by the acknowledge.
            app.startDeliveryWorker()
            let ack = try await app.api(.POST, "/api/v1/incidents/\(incidentID.apiString)/acknowledge", token: owner)
            #expect(ack.status == .ok, "\(ack.body)")
            try await app.deliveriesIdle()
            let messages = await sandbox.messages(in: "#alerts")
            #expect(messages.count == 1)
            #expect(messages.first?.ts == posted.ts)
            #expect(messages.first?.edits == 1)
            #expect(messages.first?.attachments?.array?.first?["color"]?.string == SlackRenderer.amber)
        }
    }
}
