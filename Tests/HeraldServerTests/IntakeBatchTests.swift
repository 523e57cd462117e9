import FluentKit
import Foundation
@testable import HeraldServer
import HeraldCore
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor

/// Group commit of intake: a batch must mean exactly what its events would mean one at a time.
@Suite("Intake batches")
struct IntakeBatchTests {
    private func item(_ kind: IncomingEvent.Kind, key: String? = nil, title: String? = nil, text: String? = nil,
                      service: String? = nil, project: UUID) -> IntakeItem {
        IntakeItem(event: IncomingEvent(kind: kind, key: key, title: title, text: text, service: service, source: "api", actor: "api"),
                   projectID: project, eventKeyID: nil)
    }

    @Test("one batch, in order: the same key opened, appended, resolved and opened again; failures stay alone")
    func orderWithinABatch() async throws {
        try await withApp(sandbox: true, workers: false) { app in
            let p = try await SlackProject.make(app)
            let project = try #require(UUID(uuidString: p.tenancy.projectID))
            let items = [
                item(.incident(.trigger), key: "db", title: "DB down", project: project),          // 0 opens
                item(.notification, title: "deploy", project: project),                           // 1
                item(.incident(.update), key: "db", text: "still down", project: project),         // 2 appends
                item(.incident(.trigger), key: "web", title: "Web", service: "nope", project: project), // 3 unknown service: 422
                item(.incident(.resolve), key: "db", project: project),                            // 4 resolves
                item(.incident(.acknowledge), key: "db", project: project),                        // 5 late: refused, recorded
                item(.incident(.trigger), key: "db", title: "DB down again", project: project),    // 6 a new incident
                item(.incident(.update), key: "ghost", text: "?", project: project),               // 7 no open incident
                item(.incident(.trigger), key: "cache", title: "", project: project),              // 8 no title: 422
                item(.incident(.trigger), key: "cache", title: "Cache", project: project),         // 9 opens
            ]
            let results = await app.herald.intake.submit(items, intake: EventIntake(app: app))
            #expect(results.count == items.count)
            func outcome(_ i: Int) -> String {
                switch results[i] {
                case .success(let r): r.outcome
                case .failure(let e as FieldError): "field:\(e.field)"
                case .failure(IntakeError.noOpenIncident): "noOpenIncident"
                case .failure(IntakeError.unknownService(let name)): "unknownService:\(name)"
                case .failure(let e): "error:\(e)"
                }
            }
            #expect((0..<items.count).map(outcome) == [
                "opened", "notified", "appended", "unknownService:nope", "resolved", "refused", "opened", "noOpenIncident",
                "field:title", "opened",
            ])
            let first = try results[0].get().incidentID, again = try results[6].get().incidentID
            #expect(first != nil && again != nil && first != again)
            #expect(try results[2].get().incidentID == first && results[4].get().incidentID == first)

            // What failed left nothing behind; everything else is there, once.
            #expect(try await rowCount(app, "events") == 7)
            #expect(try await rowCount(app, "incidents") == 3)
            let sql = app.db as! any SQLDatabase
            let timeline = try await sql.raw("SELECT kind, seq FROM incident_timeline WHERE incident_id = \(bind: first!) ORDER BY seq")
                .all().map { "\(try $0.decode(column: "seq", as: Int.self)):\(try $0.decode(column: "kind", as: String.self))" }
            #expect(timeline == ["1:trigger", "2:update", "3:resolve", "4:refused"])
            let statuses = try await Incident.query(on: app.db).all().map { "\($0.key):\($0.status)" }.sorted()
            #expect(statuses == ["cache:triggered", "db:resolved", "db:triggered"])
            // One post per incident opened and one for the notification; the first incident's later
            // changes fold into its post, still pending (no worker runs here).
            let kinds = try await Delivery.query(on: app.db).all().map(\.kind).sorted()
            #expect(kinds == ["post", "post", "post", "post"])
        }
    }

    @Test("appends to open incidents go set-based: each incident updated once, its timeline in order, one living-message update per message")
    func setBasedAppends() async throws {
        let clock = ManualClock()
        try await withApp(sandbox: true, workers: false, clock: clock) { app in
            // setup: three open incidents; A's post was sent (so a change needs an update), B's is
            // still pending (a change folds into it); C is resolved.
            let p = try await SlackProject.make(app)
            let project = try #require(UUID(uuidString: p.tenancy.projectID))
            var ids: [String: UUID] = [:]
            for key in ["A", "B", "C"] {
                let r = try await p.send(app, ["type": "incident", "action": "trigger", "key": key, "title": "Incident \(key)"])
                let id = try #require(r.string("incidentId"))
                ids[key] = UUID(uuidString: id)
                #expect(ids[key] != nil)
            }
            _ = try await p.send(app, ["type": "incident", "action": "resolve", "key": "C"])
            let sql = app.db as! any SQLDatabase
            try await sql.raw("""
                UPDATE messages SET external_ref = '{"channel":"C01","ts":"1.000001"}', last_sent_at = \(bind: clock.now) WHERE incident_id = \(bind: ids["A"]!)
                """).run()
            try await sql.raw("""
                UPDATE deliveries SET state = 'sent' WHERE message_id IN (SELECT id FROM messages WHERE incident_id = \(bind: ids["A"]!))
                """).run()
            let deliveriesBefore = try await rowCount(app, "deliveries")
            let batchesBefore = app.herald.intake.totals.batches
            // MUT: one batch.
            let results = await app.herald.intake.submit([
                item(.incident(.update), key: "A", text: "a1", project: project),
                item(.incident(.trigger), key: "B", title: "B again", project: project),
                item(.incident(.update), key: "C", text: "too late", project: project),
                item(.incident(.trigger), key: "A", title: "A renamed", project: project),
            ], intake: EventIntake(app: app))
            // validate
            #expect(app.herald.intake.totals.batches == batchesBefore + 1)
            let outcomes = results.map { r -> String in
                switch r {
                case .success(let v): "\(v.outcome):\(v.incidentID == nil ? "-" : "incident")"
                case .failure(IntakeError.noOpenIncident): "noOpenIncident"
                case .failure(let e): "error:\(e)"
                }
            }
            #expect(outcomes == ["appended:incident", "appended:incident", "noOpenIncident", "appended:incident"])
            #expect(try results[0].get().incidentID == ids["A"] && results[1].get().incidentID == ids["B"])
            func timeline(_ key: String) async throws -> [String] {
                try await TimelineEntry.query(on: app.db).filter(\.$incident.$id == ids[key]!).sort(\.$seq).all().map { "\($0.seq):\($0.kind):\($0.summary)" }
            }
            #expect(try await timeline("A") == ["1:trigger:Triggered: Incident A", "2:update:a1", "3:trigger:A renamed"])
            #expect(try await timeline("B") == ["1:trigger:Triggered: Incident B", "2:trigger:B again"])
            let a = try #require(try await Incident.find(ids["A"]!, on: app.db))
            #expect(a.title == "A renamed" && a.details == "a1" && a.version == 3)
            let b = try #require(try await Incident.find(ids["B"]!, on: app.db))
            #expect(b.title == "B again" && b.version == 2)
            // A got one update, due one interval (300 s) after its post; B's change folded into its pending post.
            #expect(try await rowCount(app, "deliveries") == deliveriesBefore + 1)
            let update = try #require(try await Delivery.query(on: app.db).filter(\.$kind == "update").first())
            #expect(update.nextAttemptAt == clock.start.addingTimeInterval(300))
            #expect(try await rowCount(app, "events") == 4 + 3)
        }
    }

    @Test("concurrent requests share transactions and each gets its own answer")
    func concurrentRequests() async throws {
        try await withApp(sandbox: true, workers: false) { app in
            let p = try await SlackProject.make(app)
            // Batches hold at a gate until every request is in: those that find every batch slot
            // taken queue, and then share one transaction. (A batch slot that starts late takes
            // everything queued by then, so fewer than `slots` batches may be held.)
            let gate = TestGate()
            let slots = app.herald.configuration.database.isPostgres ? 2 : 1
            app.herald.intake = IntakeBatcher(concurrentBatches: slots, metrics: app.herald.metrics,
                                              beforeBatch: { batch in await gate.wait(carrying: batch.count) })
            let held = NIOLockedValueBox((batches: 0, waiting: 0))
            // 60 requests at once: 20 triggers of one key, 20 of distinct keys, 10 notifications, 10 with an unknown service.
            let answers = try await withThrowingTaskGroup(of: (Int, HTTPStatus, String).self) { group in
                group.addTask {
                    try await until("every request is in a held or waiting batch", releasing: [gate]) {
                        // The gate first: events only move from waiting to held, so reading in this
                        // order can miss one in between (and poll again), never count one twice.
                        let (arrived, carried) = gate.held
                        let waiting = app.herald.intake.waitingEvents
                        return carried + waiting == 60 && (arrived == slots || waiting == 0)
                    }
                    held.withLockedValue { $0 = (gate.arrived, app.herald.intake.waitingEvents) }
                    gate.open()
                    return (-1, .ok, "")
                }
                for i in 0..<60 {
                    group.addTask {
                        let body: [String: Any] = switch i {
                        case 0..<20: ["type": "incident", "action": "trigger", "key": "shared", "title": "Shared \(i)"]
                        case 20..<40: ["type": "incident", "action": "trigger", "key": "k\(i)", "title": "Own \(i)"]
                        case 40..<50: ["type": "notification", "title": "Note \(i)"]
                        default: ["type": "incident", "action": "trigger", "key": "s\(i)", "title": "S", "service": "missing"]
                        }
                        let r = try await p.send(app, body)
                        return (i, r.status, r.body)
                    }
                }
                var answers: [Int: (HTTPStatus, String)] = [:]
                for try await (i, status, body) in group where i >= 0 { answers[i] = (status, body) }
                return answers
            }
            let totals = app.herald.intake.totals
            // Every request went through the batcher: one transaction per held batch, and one for
            // all that queued behind them (at most slots + 1 for 60 requests).
            let (heldBatches, queued) = held.withLockedValue { $0 }
            #expect(totals.events == 60)
            #expect(totals.batches == heldBatches + (queued > 0 ? 1 : 0))
            #expect(totals.batches <= slots + 1)
            let responses = answers.mapValues { APIResponse(status: $0.0, headers: [:], body: $0.1) }
            for (i, r) in responses {
                if i < 50 { #expect(r.status == .accepted, "\(i): \(r.body)") } else {
                    #expect(r.status == .notFound && r.string("field") == "service", "\(i): \(r.body)")
                }
            }
            let shared = (0..<20).map { responses[$0]!.string("outcome") }
            #expect(shared.filter { $0 == "opened" }.count == 1)
            #expect(shared.filter { $0 == "appended" }.count == 19)
            #expect(Set((0..<20).compactMap { responses[$0]!.string("incidentId") }).count == 1)
            #expect(try await rowCount(app, "incidents") == 21)
            #expect(try await rowCount(app, "events") == 50)
            // Posts: one per incident and one per notification; the shared incident's appends fold into its pending post.
            #expect(try await Delivery.query(on: app.db).filter(\.$kind == "post").count() == 31)
            #expect(try await Delivery.query(on: app.db).count() == 31)
            // Every event id answered is a stored event.
            let ids = Set(responses.values.compactMap { $0.string("id") })
            #expect(ids.count == 50)
            let stored = Set(try await Event.query(on: app.db).all().map { $0.id!.apiString })
            #expect(ids == stored)
        }
    }
}

@Suite("Intake: changes folded into a pending delivery are never lost")
struct FoldedDeliveryTests {
    @Test("a delivery a worker claims between intake's read and its write does not swallow the change: the change gets a delivery of its own")
    func claimedMeanwhile() async throws {
        try await withApp(sandbox: true, workers: false, clock: ManualClock()) { app in
            let p = try await SlackProject.make(app)
            let project = try #require(UUID(uuidString: p.tenancy.projectID))
            let opened = try await p.send(app, ["type": "incident", "action": "trigger", "key": "db", "title": "DB down"])
            let incidentID = try #require(opened.string("incidentId").flatMap(UUID.init(uuidString:)))
            let sql = app.db as! any SQLDatabase
            let post = try #require(try await Delivery.query(on: app.db).filter(\.$kind == "post").first())
            // Intake reads the post as pending and plans to fold the acknowledge into it…
            let item = IntakeItem(event: IncomingEvent(kind: .incident(.acknowledge), key: "db", source: "api", actor: "api"),
                                  projectID: project, eventKeyID: nil)
            let state = try await IntakeState.read([item], skipping: [], on: sql)
            let entry = try #require(try await app.herald.routing.cache.entry(for: project, secrets: app.herald.security.secrets,
                                                                              now: app.herald.now(), on: app.db))
            let intake = EventIntake(app: app)
            var plan = IntakePlan(state: state, entries: [project: entry], now: app.herald.now(), updateInterval: 300,
                                  canEdit: { app.herald.delivery.sinks.canEdit($0) },
                                  route: { e, query in intake.route(e, query) })
            #expect(try plan.apply(item).outcome == "acknowledged")
            #expect(plan.deliveries.isEmpty, "folded into the pending post")
            // …but a worker claims the post first (it renders the incident as it was: triggered).
            try await sql.raw("UPDATE deliveries SET state = 'sending', claimed_by = 'other' WHERE id = \(bind: post.requireID())").run()
            // (Statement by statement here: the test holds the plan, which is not Sendable.)
            _ = try await plan.write(on: sql, known: app.herald.delivery.pacingKeys)
            let pending = try await Delivery.query(on: app.db).filter(\.$state == DeliveryState.pending.rawValue).all()
            #expect(pending.map(\.kind) == ["update"], "the acknowledge has a delivery of its own")
            #expect(pending.first?.nextAttemptAt == app.herald.now(), "a status change goes at once")
            #expect(try await Incident.find(incidentID, on: app.db)?.status == "acknowledged")
            // Had the post still been pending, the change would have folded into it and no delivery been added.
            try await sql.raw("UPDATE deliveries SET state = 'pending', claimed_by = NULL WHERE id = \(bind: post.requireID())").run()
            try await sql.raw("DELETE FROM deliveries WHERE kind = 'update'").run()
            let resolve = IntakeItem(event: IncomingEvent(kind: .incident(.resolve), key: "db", source: "api", actor: "api"),
                                     projectID: project, eventKeyID: nil)
            let again = try await IntakeState.read([resolve], skipping: [], on: sql)
            var second = IntakePlan(state: again, entries: [project: entry], now: app.herald.now(), updateInterval: 300,
                                    canEdit: { app.herald.delivery.sinks.canEdit($0) },
                                    route: { e, query in intake.route(e, query) })
            #expect(try second.apply(resolve).outcome == "resolved")
            _ = try await second.write(on: sql, known: app.herald.delivery.pacingKeys)
            #expect(try await Delivery.query(on: app.db).all().map(\.kind) == ["post"])
        }
    }
}
