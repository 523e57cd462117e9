import FluentKit
import Foundation
@testable import HeraldServer
import HeraldCore
import HeraldSinks
import SlackSandbox
import SQLKit
import Testing
import Vapor

/// The living message and the delivery engine against the in-process sandbox (SPEC §2, §5).
/// Short intervals stand in for the defaults: updates every 2 s, pacing off unless a test turns it on.
@Suite("Delivery engine and living messages")
struct DeliveryEngineTests {
    static let env = ["HERALD_UPDATE_INTERVAL": "2", "HERALD_CHANNEL_RATE": "0"]
    /// Jitter at its midpoint, so backoff is exactly base·2^n.
    static let overrides = HeraldOverrides(random: { 0.5 })

    func trigger(_ key: String, title: String = "Disk full on db-1") -> [String: Any] {
        ["type": "incident", "action": "trigger", "key": key, "title": title, "severity": "critical"]
    }

    @Test("trigger → one red post; ten updates in the interval → exactly one update with the latest text, one interval later; resolve → green at once")
    func livingMessage() async throws {
        let clock = ManualClock()
        try await withApp(environment: ["HERALD_UPDATE_INTERVAL": "4", "HERALD_CHANNEL_RATE": "0"], sandbox: true, workers: true,
                          overrides: Self.overrides, clock: clock) { app in
            // setup
            let p = try await SlackProject.make(app)
            // MUT: trigger
            let opened = try await p.send(app, trigger("disk-1"))
            #expect(opened.status == .accepted, "\(opened.body)")
            #expect(opened.string("outcome") == "opened")
            try await app.deliveriesIdle()
            #expect(try await app.api(.GET, "/api/v1/deliveries?state=sent", token: p.tenancy.owner).array.count == 1)
            let post = try #require(await p.messages().first)
            #expect(post.attachments?.array?.first?["color"]?.string == SlackRenderer.red)
            #expect(post.text.contains("Disk full on db-1"))
            #expect(post.receivedAt == clock.start)
            // ten updates inside the interval, sent together, then one more
            try await withThrowingTaskGroup(of: String?.self) { group in
                for i in 1...10 {
                    group.addTask {
                        try await p.send(app, ["type": "incident", "action": "update", "key": "disk-1", "text": "usage \(90 + i)%"]).string("outcome")
                    }
                }
                for try await outcome in group { #expect(outcome == "appended") }
            }
            let last = try await p.send(app, ["type": "incident", "action": "update", "key": "disk-1", "text": "usage 100%"])
            #expect(last.string("outcome") == "appended")
            // Not before the interval has passed since the post…
            try await app.deliveriesIdle()
            clock.set(3.5)
            try await app.deliveriesIdle()
            #expect(await p.messages().first?.edits == 0, "updated before the interval")
            // …and then once, with the latest event.
            clock.set(4)
            try await app.deliveriesIdle()
            let updated = try #require(await p.messages().first)
            #expect(updated.edits == 1)
            #expect(updated.attachments?.encoded().range(of: Data("usage 100%".utf8)) != nil, "the update shows the latest event")
            #expect(updated.updatedAt == [clock.start.addingTimeInterval(4)], "updated exactly one interval after the post")
            clock.set(8.5)
            try await app.deliveriesIdle()
            #expect(await p.messages().first?.edits == 1, "exactly one update for the eleven events")
            // resolve: immediate (the clock does not move), green, showing the resolution
            let resolved = try await p.send(app, ["type": "incident", "action": "resolve", "key": "disk-1", "text": "cleaned up"])
            #expect(resolved.string("outcome") == "resolved")
            try await app.deliveriesIdle()
            let green = try #require(await p.messages().first)
            #expect(green.edits == 2, "a status change does not wait for the interval")
            #expect(green.updatedAt.last == clock.now)
            #expect(green.attachments?.array?.first?["color"]?.string == SlackRenderer.green)
            #expect(green.attachments?.encoded().range(of: Data("Resolved".utf8)) != nil)
            #expect(await p.messages().count == 1, "one message per incident per destination")
            // The delivery log: one post, two updates, all sent.
            let log = try await app.api(.GET, "/api/v1/deliveries?project=\(p.tenancy.projectID)", token: p.tenancy.owner)
            #expect(log.array.map { $0["state"] as? String } == ["sent", "sent", "sent"])
            #expect(log.array.compactMap { $0["kind"] as? String }.sorted() == ["post", "update", "update"])
        }
    }

    @Test("a 429 with Retry-After: 2 is retried 2 s later, not sooner, and delivered once")
    func rateLimited() async throws {
        let clock = ManualClock()
        try await withApp(environment: Self.env, sandbox: true, workers: true, overrides: Self.overrides, clock: clock) { app in
            let p = try await SlackProject.make(app)
            await p.sandbox.injectFault(SandboxFault(kind: .rateLimited, method: "chat.postMessage", count: 1, retryAfter: 2))
            _ = try await p.send(app, trigger("rl-1"))
            try await app.deliveriesIdle()
            #expect(await p.messages().isEmpty)
            var log = try await app.api(.GET, "/api/v1/deliveries", token: p.tenancy.owner)
            #expect(log.array.first?["state"] as? String == "pending")
            #expect(log.array.first?["lastErrorCode"] as? String == "ratelimited")
            // Backoff alone would retry after 1 s; Retry-After says 2.
            clock.set(1.5)
            try await app.deliveriesIdle()
            #expect(await p.messages().isEmpty, "retried before Retry-After")
            clock.set(2)
            try await app.deliveriesIdle()
            #expect(await p.messages().map(\.receivedAt) == [clock.start.addingTimeInterval(2)])
            log = try await app.api(.GET, "/api/v1/deliveries", token: p.tenancy.owner)
            #expect(log.array.count == 1)
            #expect(log.array.first?["attempts"] as? Int == 2)
            #expect(log.array.first?["state"] as? String == "sent")
            // Nothing is left to send: it stays delivered exactly once.
            clock.set(600)
            try await app.deliveriesIdle()
            #expect(await p.messages().count == 1, "delivered exactly once")
        }
    }

    @Test("5xx answers are retried with backoff (1 s, then 2 s) and delivered once")
    func serverErrors() async throws {
        let clock = ManualClock()
        try await withApp(environment: Self.env, sandbox: true, workers: true, overrides: Self.overrides, clock: clock) { app in
            let p = try await SlackProject.make(app)
            await p.sandbox.injectFault(SandboxFault(kind: .http, method: "chat.postMessage", count: 2, status: 500))
            _ = try await p.send(app, trigger("5xx-1"))
            try await app.deliveriesIdle()
            clock.set(1)
            try await app.deliveriesIdle()
            #expect(await p.messages().isEmpty, "the second attempt failed too")
            clock.set(2.5)
            try await app.deliveriesIdle()
            #expect(await p.messages().isEmpty, "the third attempt waits 2 s after the second")
            clock.set(3)
            try await app.deliveriesIdle()
            let log = try await app.api(.GET, "/api/v1/deliveries", token: p.tenancy.owner)
            #expect(log.array.first?["attempts"] as? Int == 3)
            #expect(log.array.first?["state"] as? String == "sent")
            #expect(await p.messages().map(\.receivedAt) == [clock.start.addingTimeInterval(3)])
        }
    }

    @Test("channel_not_found fails at once with Slack's error kept")
    func permanentFailure() async throws {
        try await withApp(environment: Self.env, sandbox: true, workers: true, overrides: Self.overrides) { app in
            let p = try await SlackProject.make(app, channels: "#does-not-exist #alerts")
            _ = try await p.send(app, trigger("perm-1"))
            try await app.deliveriesIdle()
            let failed = try await app.api(.GET, "/api/v1/deliveries?state=failed", token: p.tenancy.owner).array
            #expect(failed.count == 1)
            #expect(failed.first?["lastErrorCode"] as? String == "channel_not_found")
            #expect(failed.first?["attempts"] as? Int == 1)
            #expect(failed.first?["target"] as? String == "#does-not-exist")
            // The other destination is unaffected.
            #expect(await p.messages().count == 1)
        }
    }

    @Test("a message deleted in Slack is re-posted and remembered")
    func repost() async throws {
        try await withApp(environment: Self.env, sandbox: true, workers: true, overrides: Self.overrides) { app in
            let p = try await SlackProject.make(app)
            let opened = try await p.send(app, trigger("gone-1"))
            let incidentID = try #require(opened.string("incidentId"))
            try await app.deliveriesIdle()
            let first = try #require(await p.messages().first)
            #expect(await p.sandbox.deleteMessage(channel: first.channel, ts: first.ts))
            _ = try await p.send(app, ["type": "incident", "action": "acknowledge", "key": "gone-1"])
            try await app.deliveriesIdle()
            #expect(await p.messages().count == 1)
            let second = try #require(await p.messages().first)
            #expect(second.ts != first.ts)
            #expect(second.attachments?.array?.first?["color"]?.string == SlackRenderer.amber)
            // The new message is remembered.
            let detail = try await app.api(.GET, "/api/v1/incidents/\(incidentID)", token: p.tenancy.owner)
            #expect((detail["messages"] as? [[String: Any]])?.first?["ts"] as? String == second.ts)
            // Later updates go to the new message.
            _ = try await p.send(app, ["type": "incident", "action": "resolve", "key": "gone-1"])
            try await app.deliveriesIdle()
            #expect(await p.messages().first?.edits == 1)
            #expect(await p.messages().count == 1)
        }
    }

    @Test("notifications: one message per destination, never updated")
    func notifications() async throws {
        let clock = ManualClock()
        try await withApp(environment: Self.env, sandbox: true, workers: true, overrides: Self.overrides, clock: clock) { app in
            let p = try await SlackProject.make(app, channels: "#alerts #ops")
            let r = try await p.send(app, ["type": "notification", "title": "Deploy finished", "text": "v1.2.3 is live", "severity": "info"])
            #expect(r.status == .accepted)
            #expect(r.string("outcome") == "notified")
            try await app.deliveriesIdle()
            #expect(await p.messages("#alerts").count == 1)
            #expect(await p.messages("#ops").count == 1)
            #expect(await p.messages("#ops").first?.text.contains("Deploy finished") == true)
            // Metrics: attempts by outcome, deliveries by state, queue depth (sampled once a second).
            clock.set(1)
            try await app.deliveriesIdle()
            let text = try await app.api(.GET, "/metrics").body
            #expect(text.contains(#"herald_delivery_attempts_total{sink="slack",state="sent"} 2"#))
            #expect(text.contains(#"herald_deliveries{sink="slack",state="sent"} 2"#))
            #expect(text.contains("herald_delivery_queue_depth 0"))
            #expect(text.contains("herald_delivery_attempt_duration_seconds_bucket"))
        }
    }

    @Test("pacing: at most HERALD_CHANNEL_RATE messages per second per channel, each channel on its own")
    func pacing() async throws {
        let clock = ManualClock()
        try await withApp(environment: ["HERALD_UPDATE_INTERVAL": "2", "HERALD_CHANNEL_RATE": "2"], sandbox: true, workers: true,
                          clock: clock) { app in
            let p = try await SlackProject.make(app, channels: "#alerts #ops")
            for i in 0..<4 {
                _ = try await p.send(app, ["type": "notification", "title": "n\(i)"])
            }
            // At 2 messages per second, one message per channel every 0.5 s, and no sooner.
            for (elapsed, expected) in [(0.0, 1), (0.25, 1), (0.5, 2), (0.75, 2), (1.0, 3), (1.5, 4), (5.0, 4)] {
                clock.set(elapsed)
                try await app.deliveriesIdle()
                #expect(await p.messages("#alerts").count == expected, "#alerts at \(elapsed) s")
                #expect(await p.messages("#ops").count == expected, "#ops at \(elapsed) s")
            }
            for channel in ["#alerts", "#ops"] {
                let times = await p.messages(channel).map { $0.receivedAt.timeIntervalSince(clock.start) }
                #expect(times == [0, 0.5, 1.0, 1.5], "\(channel)")
            }
        }
    }

    @Test("a trigger after resolve opens a new incident and a new message")
    func reopen() async throws {
        try await withApp(environment: Self.env, sandbox: true, workers: true, overrides: Self.overrides) { app in
            let p = try await SlackProject.make(app)
            let first = try await p.send(app, trigger("re-1"))
            _ = try await p.send(app, ["type": "incident", "action": "resolve", "key": "re-1"])
            let second = try await p.send(app, trigger("re-1"))
            #expect(second.string("outcome") == "opened")
            #expect(second.string("incidentId") != first.string("incidentId"))
            try await app.deliveriesIdle()
            #expect(await p.messages().count == 2)
        }
    }
}

@Suite("Incidents: state machine over the API and events")
struct IncidentTests {
    @Test("concurrent acknowledge and resolve end resolved; a late acknowledge is refused and recorded")
    func races() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            for round in 0..<5 {
                let key = "race-\(round)"
                let opened = try await p.send(app, ["type": "incident", "action": "trigger", "key": key, "title": "Race"])
                let id = try #require(opened.string("incidentId"))
                async let ack = app.api(.POST, "/api/v1/incidents/\(id)/acknowledge", token: p.tenancy.responder)
                async let res = p.send(app, ["type": "incident", "action": "resolve", "key": key])
                let (a, r) = try await (ack, res)
                #expect([HTTPStatus.ok, .conflict].contains(a.status), "\(a.body)")
                #expect(r.status == .accepted, "\(r.body)")
                let detail = try await app.api(.GET, "/api/v1/incidents/\(id)", token: p.tenancy.owner)
                #expect(detail.string("status") == "resolved")
            }
            // A late acknowledge, by event and by API.
            let opened = try await p.send(app, ["type": "incident", "action": "trigger", "key": "late", "title": "Late"])
            let id = try #require(opened.string("incidentId"))
            _ = try await p.send(app, ["type": "incident", "action": "resolve", "key": "late"])
            let late = try await p.send(app, ["type": "incident", "action": "acknowledge", "key": "late"])
            #expect(late.status == .conflict)
            let api = try await app.api(.POST, "/api/v1/incidents/\(id)/acknowledge", token: p.tenancy.responder)
            #expect(api.status == .conflict)
            let detail = try await app.api(.GET, "/api/v1/incidents/\(id)", token: p.tenancy.owner)
            #expect(detail.string("status") == "resolved")
            let kinds = (detail["timeline"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds.filter { $0 == "refused" }.count == 2)
        }
    }

    @Test("the incident API: create, list by status, acknowledge, reassign, resolve; roles enforced")
    func api() async throws {
        // On the injectable clock: each step waits for the delivery loop to be idle, never for time to pass.
        try await withApp(environment: ["HERALD_SLACK_SIGNING_SECRET": "s3cret", "HERALD_CHANNEL_RATE": "0"], sandbox: true, workers: true,
                          clock: ManualClock()) { app in
            let p = try await SlackProject.make(app)
            let t = p.tenancy
            try await p.installApp(app)
            let created = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/incidents", token: t.responder,
                                            json: ["title": "Checkout errors", "service": "payments", "severity": "high", "tags": ["region": "eu", "pods": 3]])
            #expect(created.status == .created, "\(created.body)")
            let id = try #require(created.string("id"))
            #expect(created.string("severity") == "error")
            #expect(created.string("service") == "payments")
            #expect((created["tags"] as? [String: String])?["pods"] == "3")
            try await app.deliveriesIdle()
            #expect(await p.messages().count == 1)
            // Buttons, because the signing secret is set and the organization's app is installed.
            let message = try #require(await p.messages().first)
            let json = String(decoding: message.attachments?.encoded() ?? Data(), as: UTF8.self)
            #expect(json.contains("incident.acknowledge") && json.contains("incident.resolve") && json.contains("incident.reassign"))
            let stakeholder = try await app.api(.POST, "/api/v1/incidents/\(id)/acknowledge", token: t.stakeholder)
            #expect(stakeholder.status == .forbidden)
            let outsider = try await app.api(.GET, "/api/v1/incidents/\(id)", token: t.outsider)
            #expect(outsider.status == .notFound)
            let ack = try await app.api(.POST, "/api/v1/incidents/\(id)/acknowledge", token: t.responder)
            #expect(ack.string("status") == "acknowledged")
            try await app.deliveriesIdle()
            #expect(await p.messages().first?.attachments?.array?.first?["color"]?.string == SlackRenderer.amber)
            let badAssignee = try await app.api(.POST, "/api/v1/incidents/\(id)/reassign", token: t.responder, json: ["assignee": "outsider@example.org"])
            #expect(badAssignee.status == .notFound)
            #expect(badAssignee.string("field") == "assignee")
            let reassigned = try await app.api(.POST, "/api/v1/incidents/\(id)/reassign", token: t.responder, json: ["assignee": "admin@example.com"])
            #expect(reassigned.string("assignee") == "admin@example.com")
            try await app.deliveriesIdle()
            #expect(await p.messages().first?.attachments?.encoded().range(of: Data("admin@example.com".utf8)) != nil)
            let open = try await app.api(.GET, "/api/v1/projects/\(t.projectID)/incidents?status=open", token: t.stakeholder)
            #expect(open.array.map { $0["id"] as? String } == [id])
            let resolved = try await app.api(.POST, "/api/v1/incidents/\(id)/resolve", token: t.admin)
            #expect(resolved.string("status") == "resolved")
            let none = try await app.api(.GET, "/api/v1/projects/\(t.projectID)/incidents?status=open", token: t.stakeholder)
            #expect(none.array.isEmpty)
            let bad = try await app.api(.GET, "/api/v1/projects/\(t.projectID)/incidents?status=sleeping", token: t.stakeholder)
            #expect(bad.status == .unprocessableEntity)
            let detail = try await app.api(.GET, "/api/v1/incidents/\(id)", token: t.stakeholder)
            let kinds = (detail["timeline"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds == ["trigger", "acknowledge", "reassign", "resolve"])
            try await app.deliveriesIdle()
            #expect(await p.messages().first?.attachments?.array?.first?["color"]?.string == SlackRenderer.green)
            // Resolved messages carry no buttons.
            let final = String(decoding: await p.messages().first?.attachments?.encoded() ?? Data(), as: UTF8.self)
            #expect(!final.contains("incident.acknowledge"))
        }
    }

    struct BadEvent: Sendable, CustomStringConvertible {
        var name: String
        var body: String
        var status: HTTPStatus
        var field: String?
        var description: String { name }
    }

    static let badEventCases: [BadEvent] = [
        BadEvent(name: "unknown type", body: #"{"type":"alert","title":"x"}"#, status: .unprocessableEntity, field: "type"),
        BadEvent(name: "notification without title", body: #"{"type":"notification"}"#, status: .unprocessableEntity, field: "title"),
        BadEvent(name: "incident without key", body: #"{"type":"incident","action":"trigger","title":"x"}"#, status: .unprocessableEntity, field: "key"),
        BadEvent(name: "bad action", body: #"{"type":"incident","action":"explode","key":"k"}"#, status: .unprocessableEntity, field: "action"),
        BadEvent(name: "trigger without title", body: #"{"type":"incident","action":"trigger","key":"k"}"#, status: .unprocessableEntity, field: "title"),
        BadEvent(name: "bad severity", body: #"{"type":"notification","title":"x","severity":"apocalyptic"}"#, status: .unprocessableEntity, field: "severity"),
        BadEvent(name: "bad time", body: #"{"type":"notification","title":"x","at":"yesterday"}"#, status: .unprocessableEntity, field: "at"),
        BadEvent(name: "bad link", body: #"{"type":"notification","title":"x","link":"javascript:alert(1)"}"#, status: .unprocessableEntity, field: "link"),
        BadEvent(name: "unknown service", body: #"{"type":"notification","title":"x","service":"nope"}"#, status: .notFound, field: "service"),
        BadEvent(name: "trigger with a blank title", body: #"{"type":"incident","action":"trigger","key":"k","title":" \n"}"#, status: .unprocessableEntity, field: "title"),
        BadEvent(name: "upper-case severity", body: #"{"type":"notification","title":"x","severity":"CRITICAL"}"#, status: .unprocessableEntity, field: "severity"),
        BadEvent(name: "action on a notification", body: #"{"type":"notification","title":"x","action":"explode"}"#, status: .unprocessableEntity, field: "action"),
        BadEvent(name: "a time RFC 3339 does not allow", body: #"{"type":"notification","title":"x","at":"2024-05-01 12:00:00Z"}"#, status: .unprocessableEntity, field: "at"),
        BadEvent(name: "tags not an object", body: #"{"type":"notification","title":"x","tags":[1]}"#, status: .unprocessableEntity, field: "tags"),
        BadEvent(name: "update of an unknown key", body: #"{"type":"incident","action":"update","key":"nope"}"#, status: .notFound, field: "key"),
        BadEvent(name: "malformed JSON (the field it ends in is named)", body: #"{"type":"#, status: .badRequest, field: "type"),
        BadEvent(name: "a repeated key, named", body: #"{"type":"notification","title":"x","title":"y"}"#, status: .badRequest, field: "title"),
    ]

    @Test("bad events are refused and change nothing", arguments: badEventCases)
    func badEvents(_ c: BadEvent) async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            let before = try await rowCount(app, "events")
            let r = try await app.api(.POST, "/api/v1/events", token: p.eventKey, rawBody: c.body)
            #expect(r.status == c.status, "\(r.body)")
            #expect(r.string("field") == c.field)
            #expect(try await rowCount(app, "events") == before)
            #expect(try await rowCount(app, "deliveries") == 0)
        }
    }

    @Test("events need a valid, unrevoked event key")
    func eventKeys() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            let body: [String: Any] = ["type": "notification", "title": "x"]
            #expect(try await app.api(.POST, "/api/v1/events", json: body).status == .unauthorized)
            #expect(try await app.api(.POST, "/api/v1/events", token: p.tenancy.owner, json: body).status == .unauthorized)
            #expect(try await app.api(.POST, "/api/v1/events", token: p.eventKey, json: body).status == .accepted)
            let keys = try await app.api(.GET, "/api/v1/projects/\(p.tenancy.projectID)/keys", token: p.tenancy.owner)
            let keyID = try #require(keys.array.first?["id"] as? String)
            _ = try await app.api(.DELETE, "/api/v1/projects/\(p.tenancy.projectID)/keys/\(keyID)", token: p.tenancy.owner)
            #expect(try await app.api(.POST, "/api/v1/events", token: p.eventKey, json: body).status == .unauthorized)
            #expect(try await rowCount(app, "events") == 1)
        }
    }

    @Test("a key revoked by another process is refused within a second, though this process remembers it")
    func keyRevokedElsewhere() async throws {
        let clock = ManualClock()
        try await withApp(sandbox: true, clock: clock) { app in
            let p = try await SlackProject.make(app)
            let body: [String: Any] = ["type": "incident", "action": "trigger", "key": "k1", "title": "x"]
            #expect(try await app.api(.POST, "/api/v1/events", token: p.eventKey, json: body).status == .accepted)
            // Another process revokes it: the row changes, this process's key cache does not.
            try await (app.db as! any SQLDatabase).raw("UPDATE event_keys SET revoked_at = \(bind: clock.now)").run()
            // Within the second after the database last said it was valid, this process still takes it…
            clock.set(app.herald.security.eventKeys.recheck / 2)
            #expect(try await app.api(.POST, "/api/v1/events", token: p.eventKey, json: ["type": "notification", "title": "w"]).status == .accepted)
            // …and from then on, never.
            clock.set(app.herald.security.eventKeys.recheck)
            for b in [body, ["type": "notification", "title": "y"] as [String: Any]] {
                let r = try await app.api(.POST, "/api/v1/events", token: p.eventKey, json: b)
                #expect(r.status == .unauthorized)
                #expect(r.headers.first(name: .wwwAuthenticate) != nil)
            }
            let pd = try await app.api(.POST, "/v2/enqueue", json: [
                "routing_key": p.eventKey, "event_action": "trigger", "payload": ["summary": "s", "source": "x", "severity": "info"],
            ])
            #expect(pd.status == .badRequest)
            #expect(try await rowCount(app, "events") == 2)
            #expect(try await rowCount(app, "incidents") == 1)
        }
    }
}
