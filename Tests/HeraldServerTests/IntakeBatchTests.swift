import FluentKit
import Foundation
@testable import HeraldServer
import HeraldCore
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

    @Test("concurrent requests share transactions and each gets its own answer")
    func concurrentRequests() async throws {
        try await withApp(sandbox: true, workers: false) { app in
            let p = try await SlackProject.make(app)
            // Batches hold at a gate until every request is in: those that find every batch slot
            // taken queue, and then share one transaction.
            let gate = TestGate()
            let slots = app.herald.configuration.database.isPostgres ? 2 : 1
            app.herald.intake = IntakeBatcher(concurrentBatches: slots, metrics: app.herald.metrics, beforeBatch: { _ in await gate.wait() })
            // 60 requests at once: 20 triggers of one key, 20 of distinct keys, 10 notifications, 10 with an unknown service.
            let answers = try await withThrowingTaskGroup(of: (Int, HTTPStatus, String).self) { group in
                group.addTask {
                    try await until("every request is in a running or waiting batch") {
                        gate.arrived == slots && app.herald.intake.waitingEvents == 60 - slots
                    }
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
            // Every request went through the batcher: one transaction per slot for the first
            // requests, and one for all that queued behind them.
            #expect(totals.events == 60)
            #expect(totals.batches == slots + 1)
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
