import FluentKit
import Foundation
@testable import HeraldServer
import HeraldCore
import HeraldSinks
import SlackSandbox
import SQLKit
import Testing
import Vapor

/// One delivery core for every sink (issue 9): a second sink type, registered beside Slack, goes
/// through the same intake, outbox, retries, pacing and living-message repair.
@Suite("Sinks through one delivery core")
struct SinkCoreTests {
    static let env = ["HERALD_UPDATE_INTERVAL": "2", "HERALD_CHANNEL_RATE": "0"]

    static func overrides(_ sink: FakeSink, targets: [String] = ["room-1"]) -> HeraldOverrides {
        var overrides = HeraldOverrides(random: { 0.5 })
        overrides.sinks = [sink]
        overrides.destinationSources = [FixedDestinations(sink: sink.type.rawValue, targets: targets)]
        return overrides
    }

    func trigger(_ key: String) -> [String: Any] {
        ["type": "incident", "action": "trigger", "key": key, "title": "Queue backlog on \(key)", "severity": "warning"]
    }

    @Test("a sink that cannot edit gets a new message per status change, none for content updates, while Slack keeps one living message")
    func nonEditingSink() async throws {
        let fake = FakeSink(canEdit: false)
        let clock = ManualClock()
        try await withApp(environment: Self.env, sandbox: true, workers: true, overrides: Self.overrides(fake), clock: clock) { app in
            let p = try await SlackProject.make(app)
            let opened = try await p.send(app, trigger("q-1"))
            let incidentID = try #require(opened.string("incidentId"))
            try await app.deliveriesIdle()
            #expect(fake.messages.map(\.payload.status) == [.triggered])
            #expect(fake.messages.first?.room == "room-1")
            #expect(await p.messages().count == 1)
            // Content updates: Slack's message is edited once, one interval later; the fake gets nothing.
            for i in 1...3 {
                #expect(try await p.send(app, ["type": "incident", "action": "update", "key": "q-1", "text": "backlog \(i)k"]).string("outcome") == "appended")
            }
            clock.set(2)
            try await app.deliveriesIdle()
            #expect(await p.messages().first?.edits == 1)
            #expect(fake.messages.count == 1)
            // Status changes: a new message each, showing that status, while Slack's one message is edited.
            let ack = try await app.api(.POST, "/api/v1/incidents/\(incidentID)/acknowledge", token: p.tenancy.owner)
            #expect(ack.status == .ok, "\(ack.body)")
            try await app.deliveriesIdle()
            _ = try await p.send(app, ["type": "incident", "action": "resolve", "key": "q-1"])
            try await app.deliveriesIdle()
            #expect(fake.messages.map(\.payload.status) == [.triggered, .acknowledged, .resolved])
            #expect(fake.messages.map(\.edits) == [0, 0, 0])
            #expect(fake.messages.map(\.id) == ["m1", "m2", "m3"])
            #expect(await p.messages().count == 1)
            #expect(await p.messages().first?.edits == 3)
            #expect(fake.refusals.isEmpty, "\(fake.refusals)")
            // The delivery log and the incident show the fake's deliveries with their sink and its reference.
            let sent = try await app.api(.GET, "/api/v1/deliveries?state=sent", token: p.tenancy.owner).array
            #expect(sent.filter { $0["sink"] as? String == "fake" }.map { $0["kind"] as? String } == ["update", "update", "post"])
            let detail = try await app.api(.GET, "/api/v1/incidents/\(incidentID)", token: p.tenancy.owner)
            let messages = try #require(detail["messages"] as? [[String: Any]])
            #expect(Set(messages.compactMap { $0["sink"] as? String }) == ["slack", "fake"])
            #expect(messages.first { $0["sink"] as? String == "fake" }?["ts"] as? String == "m3")
            // Paced on the key the fake sink makes.
            let keys = try await (app.db as! any SQLDatabase).raw("SELECT DISTINCT pacing_key FROM deliveries WHERE sink = 'fake'").all()
                .map { try $0.decode(column: "pacing_key", as: String.self) }
            #expect(keys == ["fake-room:room-1"])
        }
    }

    @Test("a second sink that can edit keeps a living message; a vanished one is re-posted by the core and remembered")
    func editingSink() async throws {
        let fake = FakeSink(type: "fake_editing", canEdit: true)
        try await withApp(environment: Self.env, workers: true, overrides: Self.overrides(fake, targets: ["room-1", "room-2"])) { app in
            let t = try await Tenancy.make(app)
            let key = try #require(try await app.api(.POST, "/api/v1/projects/\(t.projectID)/keys", token: t.owner).string("key"))
            let opened = try await app.api(.POST, "/api/v1/events", token: key, json: trigger("e-1"))
            let incidentID = try #require(opened.string("incidentId"))
            try await app.deliveriesIdle()
            #expect(fake.messages.count == 2)
            let ack = try await app.api(.POST, "/api/v1/incidents/\(incidentID)/acknowledge", token: t.owner)
            #expect(ack.status == .ok)
            try await app.deliveriesIdle()
            #expect(fake.messages.map(\.edits) == [1, 1])
            #expect(fake.messages.allSatisfy { $0.payload.status == .acknowledged })
            // Someone deletes room-1's message: the resolve re-posts it there; room-2's is edited.
            let gone = try #require(fake.messages(in: "room-1").first)
            fake.delete(gone.id)
            _ = try await app.api(.POST, "/api/v1/events", token: key, json: ["type": "incident", "action": "resolve", "key": "e-1"])
            try await app.deliveriesIdle()
            let reposted = try #require(fake.messages(in: "room-1").first)
            #expect(reposted.id != gone.id)
            #expect(reposted.edits == 0)
            #expect(reposted.payload.status == .resolved)
            #expect(fake.messages(in: "room-2").first?.edits == 2)
            let detail = try await app.api(.GET, "/api/v1/incidents/\(incidentID)", token: t.owner)
            let refs = (detail["messages"] as? [[String: Any]] ?? []).compactMap { $0["ts"] as? String }
            #expect(refs.contains(reposted.id))
            #expect(!refs.contains(gone.id))
            #expect(fake.refusals.isEmpty, "\(fake.refusals)")
        }
    }

    @Test("sends run on the delivery loop's own thread, at its lower priority; the outbound HTTP client's connections are on that loop")
    func sendsOnTheDeliveryLoop() async throws {
        let fake = FakeSink(type: "fake_loop", canEdit: true)
        try await withApp(environment: Self.env, workers: true, overrides: Self.overrides(fake)) { app in
            let t = try await Tenancy.make(app)
            let key = try #require(try await app.api(.POST, "/api/v1/projects/\(t.projectID)/keys", token: t.owner).string("key"))
            let opened = try await app.api(.POST, "/api/v1/events", token: key, json: trigger("loop-1"))
            let incidentID = try #require(opened.string("incidentId"))
            try await app.deliveriesIdle()
            #expect(try await app.api(.POST, "/api/v1/incidents/\(incidentID)/acknowledge", token: t.owner).status == .ok)
            try await app.deliveriesIdle()
            #expect(fake.calls == 2)
            #if os(Linux)
            // A post and an edit, both at the delivery loop's nice value; this test's own thread is not.
            #expect(fake.callerPriorities == [DeliveryEventLoop.nice, DeliveryEventLoop.nice])
            #expect(FakeSink.callerPriority() != DeliveryEventLoop.nice)
            #endif
            let loop = app.herald.delivery.loop
            #expect(loop.client.eventLoopGroup.next() === loop.executor.loop)
            #expect(fake.refusals.isEmpty, "\(fake.refusals)")
        }
    }

    @Test("a second sink's 429 is retried no sooner than its Retry-After, and its permanent error fails at once with its own code")
    func retriesForAnySink() async throws {
        let fake = FakeSink(canEdit: false)
        let clock = ManualClock()
        try await withApp(environment: Self.env, workers: true, overrides: Self.overrides(fake, targets: ["room-1", "room-9"]), clock: clock) { app in
            let t = try await Tenancy.make(app)
            let key = try #require(try await app.api(.POST, "/api/v1/projects/\(t.projectID)/keys", token: t.owner).string("key"))
            fake.fail("room-1", with: .transient(code: "http_429", detail: "slow down", retryAfter: .seconds(3)))
            _ = try await app.api(.POST, "/api/v1/events", token: key, json: ["type": "notification", "title": "Deploy finished"])
            try await app.deliveriesIdle()
            // room-9 is not one of the fake's rooms: failed at once with the fake's code, never retried.
            let failed = try await app.api(.GET, "/api/v1/deliveries?state=failed", token: t.owner).array
            #expect(failed.map { $0["lastErrorCode"] as? String } == ["unknown_room"])
            #expect(failed.first?["target"] as? String == "room-9")
            let pending = try await app.api(.GET, "/api/v1/deliveries?state=pending", token: t.owner).array
            #expect(pending.map { $0["lastErrorCode"] as? String } == ["http_429"])
            clock.set(2.9)
            try await app.deliveriesIdle()
            #expect(fake.messages.isEmpty)
            clock.set(3)
            try await app.deliveriesIdle()
            #expect(fake.messages.map(\.payload.title) == ["Deploy finished"])
            #expect(fake.calls == 3)
            // Every attempt of one delivery carries its id and its attempt number (the signed webhook's headers).
            let sent = try await app.api(.GET, "/api/v1/deliveries?state=sent", token: t.owner).array
            let deliveryID = try #require(sent.first?["id"] as? String)
            let attempts = fake.contexts.filter { $0.room == "room-1" }.map(\.context)
            #expect(attempts.map(\.deliveryID) == [deliveryID, deliveryID])
            #expect(attempts.map(\.attempt) == [1, 2])
            #expect(attempts.last?.at == app.herald.now(), "the attempt's time is the injectable clock's")
        }
    }

    @Test("pacing keys: every destination its own (two webhooks without a target never share one), one URL one key; each sink its own rate")
    func pacingKeys() async throws {
        try await withApp(environment: Self.env) { app in
            let t = try await Tenancy.make(app)
            func integration(_ name: String, _ sink: [String: Any]) async throws {
                let made = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/integrations", token: t.owner,
                                             json: ["name": name, "source": "all", "sink": sink])
                #expect(made.status == .created, "\(made.body)")
            }
            try await integration("a", ["type": "webhook", "url": "http://127.0.0.1:9/a"])
            try await integration("b", ["type": "webhook", "url": "http://127.0.0.1:9/b"])
            try await integration("a-again", ["type": "mattermost", "url": "http://127.0.0.1:9/a"])
            try await integration("c", ["type": "discord", "url": "http://127.0.0.1:9/a"])
            let key = try #require(try await app.api(.POST, "/api/v1/projects/\(t.projectID)/keys", token: t.owner).string("key"))
            _ = try await app.api(.POST, "/api/v1/events", token: key, json: ["type": "notification", "title": "n"])
            let keys = try await (app.db as! any SQLDatabase).raw("SELECT sink, pacing_key FROM messages ORDER BY created_at, id").all()
                .map { (try $0.decode(column: "sink", as: String.self), try $0.decode(column: "pacing_key", as: String.self)) }
            #expect(keys.map(\.0).sorted() == ["discord", "mattermost", "webhook", "webhook"])
            #expect(Set(keys.map(\.1)).count == 4, "\(keys)")
            #expect(keys.allSatisfy { !$0.1.contains("127.0.0.1") }, "a key holds the URL's fingerprint, never the URL")
            // Each sink type its own spacing; Slack's follows HERALD_CHANNEL_RATE.
            let plan = try #require(PacingPlan(slackRate: 4, sinks: app.herald.delivery.sinks))
            #expect(plan.interval(for: "slack") == .milliseconds(250))
            #expect(plan.interval(for: "slack_webhook") == .milliseconds(250))
            #expect(plan.interval(for: "discord") == .milliseconds(500))
            #expect(plan.interval(for: "hipchat") == .seconds(3))
            #expect(PacingPlan(slackRate: 0, sinks: app.herald.delivery.sinks) == nil, "rate 0 turns pacing off")
        }
    }

    @Test("a message of a sink type this Herald does not have fails with sink_unknown and holds back nothing else")
    func unknownSink() async throws {
        var overrides = HeraldOverrides(random: { 0.5 })
        overrides.destinationSources = [FixedDestinations(sink: "carrier_pigeon", targets: ["loft"])]
        try await withApp(environment: Self.env, sandbox: true, workers: true, overrides: overrides) { app in
            let p = try await SlackProject.make(app)
            _ = try await p.send(app, trigger("u-1"))
            try await app.deliveriesIdle()
            let failed = try await app.api(.GET, "/api/v1/deliveries?state=failed", token: p.tenancy.owner).array
            #expect(failed.map { $0["lastErrorCode"] as? String } == ["sink_unknown"])
            #expect(failed.first?["sink"] as? String == "carrier_pigeon")
            #expect(await p.messages().count == 1)
        }
    }
}
