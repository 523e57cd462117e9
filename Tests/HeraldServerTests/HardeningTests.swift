import FluentKit
import Foundation
@testable import HeraldServer
import HeraldCore
import NIOConcurrencyHelpers
import SlackSandbox
import SQLKit
import Testing
import Vapor

/// What no upstream answer or input may do: crash Herald, stall it, or leak between tenants (issue 8).
@Suite("Hardening: upstream answers and delivery")
struct DeliveryHardeningTests {
    static let overrides = HeraldOverrides(random: { 0.5 })

    @Test("a 429 with a huge Retry-After neither crashes the worker nor waits forever: the delivery is dead at once")
    func hugeRetryAfter() async throws {
        let clock = ManualClock()
        try await withApp(environment: ["HERALD_CHANNEL_RATE": "0", "HERALD_DELIVERY_MAX_AGE": "60"], sandbox: true, workers: true,
                          overrides: Self.overrides, clock: clock) { app in
            let p = try await SlackProject.make(app)
            await p.sandbox.injectFault(SandboxFault(kind: .rateLimited, method: "chat.postMessage", retryAfterHeader: "9223372036854775807"))
            _ = try await p.send(app, ["type": "incident", "action": "trigger", "key": "rl", "title": "Rate limited"])
            try await app.deliveriesIdle()
            // Slack asks for more than the max age: waiting is in vain and retrying sooner is not allowed.
            let delivery = try #require(try await Delivery.query(on: app.db).first())
            #expect(delivery.state == "dead")
            #expect(delivery.lastErrorCode == "ratelimited")
            #expect(delivery.attempts == 1)
            // And the worker is alive: the next event is delivered.
            _ = try await p.send(app, ["type": "notification", "title": "Still here"])
            try await app.deliveriesIdle()
            #expect(await p.messages().map(\.text) == ["Still here"])
        }
    }

    @Test("a 429 with a broken Retry-After is plain backoff", arguments: ["1e300", "-30", "soon", "Tue, 01 Dec 1970 00:00:00 GMT"])
    func brokenRetryAfter(_ header: String) async throws {
        let retryAt = 1.0
        let clock = ManualClock()
        try await withApp(environment: ["HERALD_CHANNEL_RATE": "0", "HERALD_DELIVERY_MAX_AGE": "60"], sandbox: true, workers: true,
                          overrides: Self.overrides, clock: clock) { app in
            // setup
            let p = try await SlackProject.make(app)
            await p.sandbox.injectFault(SandboxFault(kind: .rateLimited, method: "chat.postMessage", retryAfterHeader: header))
            // MUT
            _ = try await p.send(app, ["type": "incident", "action": "trigger", "key": "rl", "title": "Rate limited"])
            try await app.deliveriesIdle()
            // validate: still alive, and the retry is where the policy says.
            let pending = try #require(try await Delivery.query(on: app.db).first())
            #expect(pending.state == "pending")
            #expect(pending.lastErrorCode == "ratelimited")
            #expect(pending.nextAttemptAt == clock.start.addingTimeInterval(retryAt))
            clock.set(retryAt)
            try await app.deliveriesIdle()
            #expect(await p.messages().count == 1)
            #expect(try await Delivery.query(on: app.db).first()?.state == "sent")
        }
    }

    @Test("a delivery that cannot be prepared is retried with backoff, dead after its max age, and holds back no other")
    func preparationFailure() async throws {
        let clock = ManualClock()
        try await withApp(environment: ["HERALD_CHANNEL_RATE": "0", "HERALD_DELIVERY_MAX_AGE": "60"], sandbox: true,
                          overrides: Self.overrides, clock: clock) { app in
            // setup: two incidents, one of them unreadable (as a corrupt row would be).
            let p = try await SlackProject.make(app)
            let bad = try #require(try await p.send(app, ["type": "incident", "action": "trigger", "key": "bad", "title": "Bad"]).string("incidentId"))
            _ = try await p.send(app, ["type": "incident", "action": "trigger", "key": "good", "title": "Good"])
            let sql = app.db as! any SQLDatabase
            let badID = try #require(UUID(uuidString: bad))
            if TestDatabase.isPostgres {
                try await sql.raw("ALTER TABLE incidents ALTER COLUMN title DROP NOT NULL").run()
                try await sql.raw("UPDATE incidents SET title = NULL WHERE id = \(bind: badID)").run()
            } else {
                try await sql.raw("UPDATE incidents SET opened_at = 'not a date' WHERE id = \(bind: badID)").run()
            }
            // MUT: both are claimed in one batch.
            app.startDeliveryWorker()
            try await app.deliveriesIdle()
            // validate: the good one went; the bad one counted an attempt and backs off.
            let messages = await p.messages()
            #expect(messages.count == 1)
            #expect(messages.first?.text.contains("Good") == true)
            func badDelivery() async throws -> Delivery {
                try #require(try await Delivery.query(on: app.db).join(Message.self, on: \Delivery.$message.$id == \Message.$id)
                    .filter(Message.self, \.$incident.$id == badID).first())
            }
            var delivery = try await badDelivery()
            #expect(delivery.state == "pending")
            #expect(delivery.attempts == 1)
            #expect(delivery.lastErrorCode == "prepare_failed")
            #expect(delivery.nextAttemptAt == clock.start.addingTimeInterval(1))
            clock.set(1)
            try await app.deliveriesIdle()
            delivery = try await badDelivery()
            #expect(delivery.attempts == 2)
            #expect(delivery.nextAttemptAt == clock.start.addingTimeInterval(3), "backoff doubles: 1 s, then 2 s")
            // At its max age, the next failure is final.
            clock.set(60)
            try await app.deliveriesIdle()
            delivery = try await badDelivery()
            #expect(delivery.state == "dead")
            #expect(delivery.attempts == 3)
            clock.set(600)
            try await app.deliveriesIdle()
            #expect(try await badDelivery().attempts == 3, "a dead delivery is not tried again")
        }
    }

    @Test("the Slack test message goes to every channel at once, with one deadline: a hanging Slack costs one deadline, and each channel reports timeout")
    func testMessageAgainstAHangingSlack() async throws {
        try await withApp(sandbox: true) { app in
            // setup: 20 channels, every post hangs.
            let t = try await Tenancy.make(app)
            let sandbox = try #require(app.herald.sandboxWorkspace)
            let bot = await sandbox.issueBotToken()
            let channels = (1...20).map { "#c\($0)" }
            let put = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner,
                                        json: ["enabled": true, "token": bot, "channels": channels.joined(separator: " ")])
            #expect(put.status == .ok, "\(put.body)")
            await sandbox.injectFault(SandboxFault(kind: .hang, method: "chat.postMessage", count: 20))
            app.herald.slack.testDeadline = .milliseconds(500)
            // MUT
            let r = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/settings/slack/test", token: t.owner)
            // validate: an outcome for every channel, in order; and they were sent together, up to the bound.
            #expect(r.status == .ok, "\(r.body)")
            let results = try #require(r["results"] as? [[String: Any]])
            #expect(results.compactMap { $0["channel"] as? String } == channels)
            #expect(results.allSatisfy { $0["ok"] as? Bool == false && $0["error"] as? String == "timeout" })
            #expect(await sandbox.peakHanging == SlackSettingsService.testConcurrency)
        }
    }
}

@Suite("Hardening: intake limits on every endpoint")
struct IntakeLimitTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String
        var field: String
        var testDescription: String { name }
    }

    static let zalgo = "Z" + String(repeating: "\u{301}", count: 100_000)

    static let eventCases: [Case] = [
        Case(name: "key over 255 bytes", body: #"{"type":"incident","action":"trigger","title":"t","key":"\#(String(repeating: "k", count: 256))"}"#, field: "key"),
        Case(name: "key of 128 two-byte characters", body: #"{"type":"incident","action":"trigger","title":"t","key":"\#(String(repeating: "é", count: 128))"}"#, field: "key"),
        Case(name: "key with a control character", body: #"{"type":"incident","action":"trigger","title":"t","key":"a\u0007b"}"#, field: "key"),
        Case(name: "title of one letter and 100,000 combining marks", body: #"{"type":"notification","title":"\#(zalgo)"}"#, field: "title"),
        Case(name: "service name over 200", body: #"{"type":"notification","title":"t","service":"\#(String(repeating: "s", count: 201))"}"#, field: "service"),
        Case(name: "rule over 200", body: #"{"type":"notification","title":"t","rule":"\#(String(repeating: "r", count: 201))"}"#, field: "rule"),
        Case(name: "tag value over 500", body: #"{"type":"notification","title":"t","tags":{"a":"\#(String(repeating: "v", count: 501))"}}"#, field: "tags.a"),
        Case(name: "51 tags", body: #"{"type":"notification","title":"t","tags":{\#((0...50).map { "\"k\($0)\":\"v\"" }.joined(separator: ","))}}"#, field: "tags"),
    ]

    @Test("POST /api/v1/events refuses what is over its limits, counted in Unicode scalars and bytes", arguments: eventCases)
    func events(_ c: Case) async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            let r = try await app.api(.POST, "/api/v1/events", token: p.eventKey, rawBody: c.body)
            #expect(r.status == .unprocessableEntity, "\(r.body.prefix(300))")
            #expect(r.string("field") == c.field)
            #expect(try await rowCount(app, "events") == 0)
        }
    }

    @Test("names are limited in Unicode scalars: a letter with 100,000 combining marks is not a 200-character name")
    func combiningMarks() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let before = try await snapshotCounts(app)
            for (path, body) in [("/api/v1/orgs", ["name": Self.zalgo]), ("/api/v1/orgs/\(t.orgID)/projects", ["name": Self.zalgo]),
                                 ("/api/v1/projects/\(t.projectID)/services", ["name": Self.zalgo]),
                                 ("/api/v1/orgs/\(t.orgID)/members", ["email": "z@example.com", "name": Self.zalgo, "role": "responder"])] {
                let r = try await app.api(.POST, path, token: t.owner, json: body)
                #expect(r.status == .unprocessableEntity, "\(path): \(r.body.prefix(200))")
                #expect(r.string("field") == "name")
            }
            #expect(try await snapshotCounts(app) == before)
        }
    }

    @Test("PagerDuty refuses keys and tag fields over the limits, and cuts custom_details (display text) with an ellipsis")
    func pagerDuty() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            func enqueue(_ body: [String: Any]) async throws -> APIResponse {
                var full = body
                full["routing_key"] = p.eventKey
                return try await app.api(.POST, "/v2/enqueue", json: full)
            }
            let payload: [String: Any] = ["summary": "s", "source": "host", "severity": "info"]
            for (body, fault) in [
                (["event_action": "trigger", "dedup_key": String(repeating: "d", count: 256), "payload": payload], "'dedup_key' must be at most 255 bytes"),
                (["event_action": "resolve", "dedup_key": String(repeating: "é", count: 128)], "'dedup_key' must be at most 255 bytes"),
                (["event_action": "trigger", "payload": payload.merging(["component": String(repeating: "c", count: 501)]) { $1 }],
                 "'payload.component' must be at most 500 characters"),
                (["event_action": "trigger", "payload": payload.merging(["source": String(repeating: "h", count: 501)]) { $1 }],
                 "'payload.source' must be at most 500 characters"),
                (["event_action": "trigger", "payload": payload.merging(["summary": Self.zalgo]) { $1 }], "'payload.summary' must be at most 1024 characters"),
            ] as [([String: Any], String)] {
                let r = try await enqueue(body)
                #expect(r.status == .badRequest, "\(r.body.prefix(300))")
                #expect((r["errors"] as? [String])?.contains(fault) == true, "\(r.body.prefix(300))")
            }
            #expect(try await rowCount(app, "events") == 0)
            // Display text is cut, not refused.
            let details = Dictionary(uniqueKeysWithValues: (0..<2_000).map { ("field\($0)", String(repeating: "x", count: 100)) })
            let big = try await enqueue(["event_action": "trigger", "dedup_key": "big", "payload": payload.merging(["custom_details": details]) { $1 }])
            #expect(big.status == .accepted, "\(big.body.prefix(300))")
            let incident = try #require(try await Incident.query(on: app.db).filter(\.$key == "big").first())
            let description = try #require(incident.details)
            #expect(description.unicodeScalars.count <= EventValidation.maxText)
            #expect(description.unicodeScalars.count > EventValidation.maxText - 10)
            #expect(description.hasSuffix("…"))
        }
    }

    @Test("Alertmanager: an alert over the limits becomes a bounded incident (hash-derived key, 50 tags, cut text), found again by the same alert")
    func alertmanagerLimits() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            var labels = Dictionary(uniqueKeysWithValues: (0..<2_000).map { (String(format: "label%04d", $0), "v") })
            labels["alertname"] = "Huge"
            labels["alertname2"] = String(repeating: "l", count: 600)
            let fingerprint = String(repeating: "f", count: 5_000)
            let alert: [String: Any] = ["status": "firing", "labels": labels, "fingerprint": fingerprint,
                                        "annotations": ["summary": String(repeating: "S", count: 1_500), "description": Self.zalgo]]
            for _ in 0..<2 {
                let r = try await app.api(.POST, "/api/v1/alertmanager?key=\(p.eventKey)", json: ["version": "4", "status": "firing", "alerts": [alert]])
                #expect(r.status == .ok, "\(r.body.prefix(300))")
            }
            let incidents = try await Incident.query(on: app.db).all()
            #expect(incidents.count == 1, "the same alert finds its incident again")
            let incident = try #require(incidents.first)
            #expect(incident.key == EventValidation.fittedKey(prefix: "alertmanager:", fingerprint))
            #expect(incident.key.hasPrefix("alertmanager:sha256:") && incident.key.utf8.count <= EventValidation.maxKeyBytes)
            #expect(incident.tags.count == EventValidation.maxTags)
            #expect(incident.tags["alertname"] == "Huge")
            #expect(incident.tags.values.allSatisfy { $0.unicodeScalars.count <= EventValidation.maxTagValue })
            #expect(incident.tags["alertname2"] == String(repeating: "l", count: EventValidation.maxTagValue - 1) + "…")
            #expect(incident.title.unicodeScalars.count == EventValidation.maxTitle && incident.title.hasSuffix("…"))
            #expect((incident.details ?? "").unicodeScalars.count <= EventValidation.maxText)
        }
    }

    @Test("Alertmanager: alerts of one payload sharing a key collapse to the last one; every state stays on the timeline")
    func alertmanagerCollapse() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            // Short alerts, so that 15,001 of them fit in the 1 MiB body limit.
            func alert(_ status: String, _ fingerprint: String) -> [String: Any] {
                ["status": status, "labels": ["alertname": "S"], "fingerprint": fingerprint]
            }
            // 15,000 alerts with one label set, plus one of its own.
            let alerts = Array(repeating: alert("firing", "same"), count: 14_998) + [alert("resolved", "same"), alert("firing", "same"),
                                                                                       alert("firing", "other")]
            let r = try await app.api(.POST, "/api/v1/alertmanager?key=\(p.eventKey)", json: ["version": "4", "status": "firing", "alerts": alerts])
            #expect(r.status == .ok, "\(r.body.prefix(300))")
            let outcomes = (r["results"] as? [[String: Any]] ?? []).compactMap { $0["outcome"] as? String }
            #expect(outcomes.count == 15_001)
            #expect(outcomes.filter { $0 == "collapsed" }.count == 14_999)
            #expect(outcomes.suffix(2) == ["opened", "opened"])
            #expect(try await rowCount(app, "incidents") == 2)
            #expect(try await rowCount(app, "events") == 2, "one event per key")
            let incident = try #require(try await Incident.query(on: app.db).filter(\.$key == "alertmanager:same").first())
            #expect(incident.status == "triggered")
            let timeline = try await TimelineEntry.query(on: app.db).filter(\.$incident.$id == incident.requireID()).sort(\.$seq).all()
            #expect(timeline.map(\.seq) == [1, 2, 3])
            #expect(timeline.map(\.kind) == ["collapsed", "collapsed", "trigger"])
            #expect(timeline[0].summary.hasPrefix("14998 firing alerts"))
            #expect(timeline[1].summary.hasPrefix("1 resolved alert"))
        }
    }

    @Test("Alertmanager: a payload that alternates one key's state thousands of times gives a bounded timeline, not a failure")
    func alertmanagerAlternating() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            func alert(_ status: String) -> [String: Any] { ["status": status, "labels": ["alertname": "Flap"], "fingerprint": "flap"] }
            // Open the incident, so that the alternating payload goes the row-by-row way (an append).
            let first = try await app.api(.POST, "/api/v1/alertmanager?key=\(p.eventKey)", json: ["version": "4", "alerts": [alert("firing")]])
            #expect(first.status == .ok)
            let alerts = (0..<6_000).map { alert($0 % 2 == 0 ? "firing" : "resolved") } + [alert("firing")]
            let r = try await app.api(.POST, "/api/v1/alertmanager?key=\(p.eventKey)", json: ["version": "4", "alerts": alerts])
            #expect(r.status == .ok, "\(r.body.prefix(300))")
            let incident = try #require(try await Incident.query(on: app.db).first())
            let timeline = try await TimelineEntry.query(on: app.db).filter(\.$incident.$id == incident.requireID()).sort(\.$seq).all()
            #expect(timeline.map(\.seq) == Array(1...(2 + CollapsedRun.maxEntries)))
            #expect(timeline.filter { $0.kind == "collapsed" }.count == CollapsedRun.maxEntries)
            #expect(timeline.last?.kind == "trigger")
            let summed = try #require(timeline.dropLast().last)
            #expect(summed.summary.hasPrefix("\(6_000 - (CollapsedRun.maxEntries - 1)) more alerts"), "\(summed.summary)")
        }
    }

    @Test("Alertmanager: a payload is applied in chunks, and another tenant's event goes between them")
    func alertmanagerChunks() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            let projectID = try #require(UUID(uuidString: p.tenancy.projectID))
            // Another tenant, with a project and key of its own.
            let other = try await app.api(.POST, "/api/v1/orgs/\(p.tenancy.outsiderOrgID)/projects", token: p.tenancy.outsider, json: ["name": "Theirs"])
            let otherProject = try #require(other.string("id"))
            let otherKey = try #require(try await app.api(.POST, "/api/v1/projects/\(otherProject)/keys", token: p.tenancy.outsider).string("key"))
            // Every batch is recorded; the first one holds until the other tenant's event waits behind it.
            let gate = TestGate()
            let batches = NIOLockedValueBox<[[UUID]]>([])
            // One batch at a time (on PostgreSQL too), so the other tenant's event must wait its turn.
            app.herald.intake = IntakeBatcher(concurrentBatches: 1, metrics: app.herald.metrics, beforeBatch: { items in
                let first = batches.withLockedValue { b in b.append(items.map(\.projectID)); return b.count == 1 }
                if first { await gate.wait() }
            })
            let chunk = EventIntake.chunkSize
            let alerts = (0..<(chunk * 3 + 5)).map { i -> [String: Any] in
                ["status": "firing", "labels": ["alertname": "A\(i)"], "fingerprint": "fp\(i)"]
            }
            async let payload = app.api(.POST, "/api/v1/alertmanager?key=\(p.eventKey)", json: ["version": "4", "alerts": alerts])
            try await until("the first chunk is held", releasing: [gate]) { gate.arrived == 1 }
            async let theirs = app.api(.POST, "/api/v1/events", token: otherKey, json: ["type": "notification", "title": "Theirs"])
            try await until("the other tenant's event waits", releasing: [gate]) { app.herald.intake.waitingEvents == 1 }
            gate.open()
            let (a, b) = try await (payload, theirs)
            #expect(a.status == .ok)
            #expect(b.status == .accepted)
            // The payload went in chunks of at most `chunkSize`; the other tenant's event was applied
            // right after the first chunk, not after the whole payload.
            let seen = batches.withLockedValue { $0 }
            let ours = seen.map { $0.filter { $0 == projectID }.count }.filter { $0 > 0 }
            #expect(ours == [chunk, chunk, chunk, 5])
            let theirsAt = try #require(seen.firstIndex { $0.contains { $0 != projectID } })
            #expect(theirsAt == 1, "batches: \(seen.map(\.count))")
        }
    }
}

@Suite("Hardening: tenants and races")
struct TenancyHardeningTests {
    @Test("organization names are unique per owner only: another tenant's name is neither refused nor revealed")
    func organizationNames() async throws {
        try await withApp { app in
            let a = try await app.makeUser("a@example.com").token
            let b = try await app.makeUser("b@example.com").token
            #expect(try await app.api(.POST, "/api/v1/orgs", token: a, json: ["name": "orga"]).status == .created)
            let theirs = try await app.api(.POST, "/api/v1/orgs", token: b, json: ["name": "ORGA"])
            #expect(theirs.status == .created, "\(theirs.body)")
            let again = try await app.api(.POST, "/api/v1/orgs", token: a, json: ["name": "Orga"])
            #expect(again.status == .conflict)
            #expect(again.string("field") == "name")
            #expect(again.string("detail")?.contains("You already own") == true)
            #expect(try await rowCount(app, "organizations") == 2)
        }
    }

    @Test("each organization names its members for itself; the user's profile keeps a neutral name")
    func memberNames() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let mine = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/members", token: t.owner,
                                         json: ["email": "pat@example.net", "name": "Pat (VP, acquisition target)", "role": "responder"])
            #expect(mine.status == .created)
            #expect(mine.string("name") == "Pat (VP, acquisition target)")
            let theirs = try await app.api(.POST, "/api/v1/orgs/\(t.outsiderOrgID)/members", token: t.outsider,
                                           json: ["email": "pat@example.net", "role": "responder"])
            #expect(theirs.status == .created)
            #expect(theirs.string("name") == "pat", "another organization's name for the member leaked")
            let list = try await app.api(.GET, "/api/v1/orgs/\(t.outsiderOrgID)/members", token: t.outsider)
            #expect(!list.body.contains("acquisition"))
            let ours = try await app.api(.GET, "/api/v1/orgs/\(t.orgID)/members", token: t.owner)
            #expect(ours.array.first { $0["email"] as? String == "pat@example.net" }?["name"] as? String == "Pat (VP, acquisition target)")
            let user = try #require(try await User.query(on: app.db).filter(\.$email == "pat@example.net").first())
            #expect(user.name == "pat")
        }
    }

    @Test("two owners demoting each other at once leave exactly one owner")
    func lastOwnerRace() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let promote = try await app.api(.PATCH, "/api/v1/orgs/\(t.orgID)/members/admin@example.com", token: t.owner, json: ["role": "owner"])
            #expect(promote.status == .ok, "\(promote.body)")
            let orgID = try #require(UUID(uuidString: t.orgID))
            func owners() async throws -> [String] {
                try await Membership.query(on: app.db).filter(\.$organization.$id == orgID).filter(\.$role == "owner").with(\.$user).all()
                    .map(\.user.email)
            }
            for round in 0..<5 {
                // MUT: each owner demotes the other, at the same time.
                async let one = app.api(.PATCH, "/api/v1/orgs/\(t.orgID)/members/admin@example.com", token: t.owner, json: ["role": "admin"])
                async let two = app.api(.PATCH, "/api/v1/orgs/\(t.orgID)/members/owner@example.com", token: t.admin, json: ["role": "admin"])
                let statuses = try await [one.status, two.status]
                // validate: one won; the other was refused (the last owner stays, or the loser is no owner any more).
                let left = try await owners()
                #expect(left.count == 1, "round \(round): \(statuses), owners \(left)")
                #expect(statuses.filter { $0 == .ok }.count == 1, "round \(round): \(statuses)")
                #expect(statuses.contains(.conflict) || statuses.contains(.forbidden), "round \(round): \(statuses)")
                // Both owners again for the next round: the one left promotes the other.
                guard let winner = left.first else { break }
                let (token, other) = winner == "owner@example.com" ? (t.owner, "admin@example.com") : (t.admin, "owner@example.com")
                let again = try await app.api(.PATCH, "/api/v1/orgs/\(t.orgID)/members/\(other)", token: token, json: ["role": "owner"])
                #expect(again.status == .ok, "\(again.body)")
            }
        }
    }

    @Test("50 concurrent changes to one incident get 50 distinct, gapless timeline numbers")
    func timelineRace() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            let opened = try await p.send(app, ["type": "incident", "action": "trigger", "key": "busy", "title": "Busy"])
            let id = try #require(opened.string("incidentId"))
            try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for i in 0..<50 {
                    group.addTask {
                        switch i % 3 {
                        case 0: try await p.send(app, ["type": "incident", "action": "update", "key": "busy", "text": "u\(i)"]).status
                        case 1: try await p.send(app, ["type": "incident", "action": "acknowledge", "key": "busy"]).status
                        default: try await app.api(.POST, "/api/v1/incidents/\(id)/acknowledge", token: p.tenancy.responder).status
                        }
                    }
                }
                for try await status in group { #expect([.accepted, .ok].contains(status)) }
            }
            let seqs = try await TimelineEntry.query(on: app.db).filter(\.$incident.$id == UUID(uuidString: id)!).all().map(\.seq).sorted()
            #expect(seqs == Array(1...51))
        }
    }

    @Test("reassigning or acknowledging a resolved incident is refused, and the refusal is recorded")
    func refusalsAreRecorded() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            let id = try #require(try await p.send(app, ["type": "incident", "action": "trigger", "key": "done", "title": "Done"]).string("incidentId"))
            #expect(try await app.api(.POST, "/api/v1/incidents/\(id)/resolve", token: p.tenancy.responder).status == .ok)
            let reassign = try await app.api(.POST, "/api/v1/incidents/\(id)/reassign", token: p.tenancy.responder, json: ["assignee": "admin@example.com"])
            #expect(reassign.status == .conflict)
            #expect(reassign.string("detail")?.contains("recorded in the timeline") == true)
            let ack = try await app.api(.POST, "/api/v1/incidents/\(id)/acknowledge", token: p.tenancy.responder)
            #expect(ack.status == .conflict)
            let detail = try await app.api(.GET, "/api/v1/incidents/\(id)", token: p.tenancy.owner)
            let timeline = detail["timeline"] as? [[String: Any]] ?? []
            #expect(timeline.compactMap { $0["kind"] as? String } == ["trigger", "resolve", "refused", "refused"])
            #expect((timeline[2]["summary"] as? String)?.contains("Reassign to admin@example.com") == true)
            #expect(detail["assignee"] == nil)
        }
    }
}
