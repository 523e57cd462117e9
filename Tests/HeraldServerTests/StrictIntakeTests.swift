import FluentKit
import Foundation
import HeraldCore
@testable import HeraldServer
import Testing
import Vapor

/// Every intake (Herald's events, Alertmanager, PagerDuty) reads one JSON grammar, keeps text whole
/// or refuses it, and gives a key one meaning whatever its Unicode form.
@Suite("Strict intake")
struct StrictIntakeTests {
    /// Values outside the grammar, each put where the intake ignores it.
    static let probes: [String] = [
        "[1,]", #"{"a":"b",}"#, "01", "1.", "-", "1e", "--1", #""\q""#, #""\uZZZZ""#, #""\ud800""#, "NaN",
        #"{"a":1,"a":2}"#, #"{"\u00e9":1,"e\u0301":2}"#, String(repeating: "[", count: 513) + String(repeating: "]", count: 513),
    ]

    enum Intake: String, CaseIterable, Sendable {
        case events, alertmanager, pagerduty

        func document(_ probe: String, key: String) -> String {
            switch self {
            case .events: #"{"type":"notification","title":"t","ignored":\#(probe)}"#
            case .alertmanager: #"{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A"},"ignored":\#(probe)}]}"#
            case .pagerduty:
                #"{"routing_key":"\#(key)","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info","ignored":\#(probe)}}"#
            }
        }

        func post(_ app: Application, _ body: String, key: String, contentType: String = "application/json") async throws -> APIResponse {
            switch self {
            case .events: try await app.api(.POST, "/api/v1/events", token: key, rawBody: body, contentType: contentType)
            case .alertmanager: try await app.api(.POST, "/api/v1/alertmanager", token: key, rawBody: body, contentType: contentType)
            case .pagerduty: try await app.api(.POST, "/v2/enqueue", rawBody: body, contentType: contentType)
            }
        }
    }

    @Test("what the grammar refuses, every intake refuses with 400, whichever path reads it, and nothing changes",
          arguments: Intake.allCases)
    func grammar(_ intake: Intake) async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            // The document is accepted as it stands, so each refusal below is the probe's.
            let fine = try await intake.post(app, intake.document("[1]", key: p.eventKey), key: p.eventKey)
            #expect(fine.status.code < 300, "\(fine.body)")
            let before = try await rowCount(app, "events")
            for probe in Self.probes {
                let r = try await intake.post(app, intake.document(probe, key: p.eventKey), key: p.eventKey)
                #expect(r.status == .badRequest, "\(probe.prefix(40)): \(r.body.prefix(300))")
                if intake == .pagerduty {
                    #expect(r.string("status") == "invalid event")
                } else {
                    #expect(r.headers.contentType?.description.hasPrefix("application/problem+json") == true)
                }
            }
            #expect(try await rowCount(app, "events") == before)
        }
    }

    @Test("a repeated action is refused, not read with the first one winning; the field is named")
    func repeatedAction() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            let r = try await app.api(.POST, "/api/v1/events", token: p.eventKey,
                                      rawBody: #"{"type":"incident","action":"trigger","key":"k","title":"t","action":"resolve"}"#)
            #expect(r.status == .badRequest)
            #expect(r.string("field") == "action")
            #expect(r.string("detail")?.contains(#"The key "action" appears more than once"#) == true)
            #expect(try await rowCount(app, "incidents") == 0)
            let deep = try await app.api(.POST, "/api/v1/events", token: p.eventKey,
                                         rawBody: #"{"type":"notification","title":"t","x":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}")
            #expect(deep.status == .badRequest)
            #expect(deep.string("detail")?.contains("deeper than 512 levels") == true, "\(deep.body.prefix(200))")
        }
    }

    @Test("C0 control characters: refused in Herald's API with the field named, shown as symbols from the compatibility formats, read back whole")
    func controlCharacters() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            for (body, field) in [(#"{"type":"incident","action":"trigger","key":"k","title":"a\u0000b"}"#, "title"),
                                  (#"{"type":"incident","action":"trigger","key":"k","title":"\u0000"}"#, "title"),
                                  (#"{"type":"notification","title":"t","text":"x\u001b[31m"}"#, "text"),
                                  (#"{"type":"incident","action":"trigger","key":"k","title":"t","tags":{"env":"a\u0001"}}"#, "tags.env")] {
                let r = try await p.send(app, try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]))
                #expect(r.status == .unprocessableEntity, "\(body): \(r.body)")
                #expect(r.string("field") == field)
            }
            // Tab, line feed and carriage return are text.
            let fine = try await p.send(app, ["type": "incident", "action": "trigger", "key": "tabs", "title": "a\tb\r\nc"])
            #expect(fine.status == .accepted, "\(fine.body)")
            #expect(try await rowCount(app, "incidents") == 1)

            let pd = try await app.api(.POST, "/v2/enqueue", rawBody: #"""
                {"routing_key":"\#(p.eventKey)","event_action":"trigger","dedup_key":"pd","payload":{"summary":"a\u0000b","source":"s\u0007","severity":"info"}}
                """#)
            #expect(pd.status == .accepted, "\(pd.body)")
            let am = try await app.api(.POST, "/api/v1/alertmanager", token: p.eventKey, rawBody: #"""
                {"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A","color":"\u001b[31mred"},"annotations":{"summary":"a\u0000b"},"fingerprint":"f1"}]}
                """#)
            #expect(am.status == .ok, "\(am.body)")
            let pdIncident = try #require(try await Incident.query(on: app.db).filter(\.$key == "pd").first())
            let amIncident = try #require(try await Incident.query(on: app.db).filter(\.$key == "alertmanager:f1").first())
            #expect(pdIncident.title == "a\u{2400}b")
            #expect(pdIncident.tags["source"] == "s\u{2407}")
            #expect(amIncident.title == "a\u{2400}b")
            #expect(amIncident.tags["color"] == "\u{241B}[31mred")
            // Read back through the API whole.
            for incident in [pdIncident, amIncident] {
                let detail = try await app.api(.GET, "/api/v1/incidents/\(try incident.requireID().apiString)", token: p.tenancy.owner)
                #expect(detail.string("title") == "a\u{2400}b", "\(detail.body.prefix(300))")
            }
        }
    }

    @Test("tag keys and values are kept in NFC; canonically equivalent keys are one key sent twice")
    func unicodeForms() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            let twice = try await app.api(.POST, "/api/v1/events", token: p.eventKey,
                                          rawBody: #"{"type":"incident","action":"trigger","key":"k","title":"t","tags":{"\u00e9":"composed","e\u0301":"decomposed"}}"#)
            #expect(twice.status == .badRequest)
            #expect(twice.string("field") == "tags.e\u{301}")
            let r = try await app.api(.POST, "/api/v1/events", token: p.eventKey,
                                      rawBody: #"{"type":"incident","action":"trigger","key":"k","title":"t","tags":{"e\u0301t\u0065\u0301":"cafe\u0301"}}"#)
            #expect(r.status == .accepted, "\(r.body)")
            let incident = try #require(try await Incident.query(on: app.db).first())
            #expect(incident.tags.keys.map { Array($0.unicodeScalars) } == [Array("\u{E9}t\u{E9}".unicodeScalars)])
            #expect(incident.tags.values.map { Array($0.unicodeScalars) } == [Array("caf\u{E9}".unicodeScalars)])
        }
    }

    @Test("Alertmanager alerts without a fingerprint: the same labels in any order and Unicode form are one incident")
    func generatedKeys() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            for labels in [#"{"alertname":"Disk","host":"caf\u00e9","zone":"a"}"#, #"{"zone":"a","host":"cafe\u0301","alertname":"Disk"}"#] {
                let r = try await app.api(.POST, "/api/v1/alertmanager", token: p.eventKey,
                                          rawBody: #"{"version":"4","alerts":[{"status":"firing","labels":\#(labels)}]}"#)
                #expect(r.status == .ok, "\(r.body)")
            }
            let incidents = try await Incident.query(on: app.db).all()
            #expect(incidents.count == 1)
            #expect(incidents.first?.tags["host"].map { Array($0.unicodeScalars) } == Array("caf\u{E9}".unicodeScalars))
        }
    }

    @Test("the generated key: unchanged for plain labels, different for labels that used to collide")
    func labelsKey() {
        let plain = ["b": "2", "a": "1"]
        #expect(EventValidation.labelsKey(plain) == String(CredentialFactory.hash("a=1,b=2").prefix(16)))
        #expect(EventValidation.labelsKey(["a": "1,b=2"]) != EventValidation.labelsKey(["a": "1", "b": "2"]))
        #expect(EventValidation.labelsKey(["a=b": "c"]) != EventValidation.labelsKey(["a": "b=c"]))
        #expect(EventValidation.labelsKey(["k": "caf\u{E9}"]) == EventValidation.labelsKey(["k": "cafe\u{301}"]))
    }

    @Test("media types in any case; numbers no tag can hold, and PagerDuty's custom_details errors named once")
    func messages() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            for type in ["APPLICATION/JSON", "Application/Json; Charset=UTF-8", "application/VND.herald+JSON"] {
                let r = try await Intake.events.post(app, #"{"type":"notification","title":"t"}"#, key: p.eventKey, contentType: type)
                #expect(r.status == .accepted, "\(type): \(r.body)")
            }
            let huge = try await app.api(.POST, "/api/v1/events", token: p.eventKey,
                                         rawBody: #"{"type":"incident","action":"trigger","key":"k","title":"t","tags":{"n":1e999}}"#)
            #expect(huge.status == .unprocessableEntity)
            #expect(huge.string("field") == "tags.n")
            #expect(huge.string("detail")?.contains("too large") == true, "\(huge.body)")
            let details = try await app.api(.POST, "/v2/enqueue", rawBody: #"""
                {"routing_key":"\#(p.eventKey)","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info","custom_details":{"n":1e999}}}
                """#)
            #expect(details.status == .badRequest)
            let errors = try #require(details["errors"] as? [String])
            #expect(errors.count == 1)
            #expect(errors.first.map { $0.components(separatedBy: "custom_details").count - 1 } == 1, "\(errors)")
        }
    }
}
