import Foundation
@testable import HeraldServer
import HeraldCore
import Testing
import Vapor

/// PagerDuty Events API v2 and Alertmanager webhooks, so existing senders work unchanged.
@Suite("PagerDuty and Alertmanager compatibility")
struct CompatibilityTests {
    @Test("PagerDuty: trigger, acknowledge and resolve by dedup_key, answered like PagerDuty")
    func pagerDuty() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            // A trigger without dedup_key gets one generated and returned.
            let trigger = try await app.api(.POST, "/v2/enqueue", json: [
                "routing_key": p.eventKey, "event_action": "trigger",
                "payload": ["summary": "DISK at 99% on machine prod-datapipe03.example.com", "source": "prod-datapipe03.example.com",
                            "severity": "critical", "timestamp": "2015-07-17T08:42:58.315+0000", "component": "mysql",
                            "group": "prod-datapipe", "class": "disk", "custom_details": ["free space": "1%", "ping time": "1500ms"]],
                "links": [["href": "https://example.com/", "text": "Link text"]],
            ])
            #expect(trigger.status == .accepted, "\(trigger.body)")
            #expect(trigger.string("status") == "success")
            #expect(trigger.string("message") == "Event processed")
            let dedupKey = try #require(trigger.string("dedup_key"))
            #expect(dedupKey.count == 32)
            let list = try await app.api(.GET, "/api/v1/projects/\(p.tenancy.projectID)/incidents", token: p.tenancy.owner)
            let incident = try #require(list.array.first)
            #expect(incident["key"] as? String == dedupKey)
            #expect(incident["severity"] as? String == "critical")
            #expect((incident["tags"] as? [String: String])?["component"] == "mysql")
            #expect((incident["description"] as? String)?.contains("free space: 1%") == true)
            let id = try #require(incident["id"] as? String)
            for (action, status) in [("acknowledge", "acknowledged"), ("resolve", "resolved")] {
                let r = try await app.api(.POST, "/v2/enqueue", json: ["routing_key": p.eventKey, "event_action": action, "dedup_key": dedupKey])
                #expect(r.status == .accepted)
                #expect(r.string("dedup_key") == dedupKey)
                let detail = try await app.api(.GET, "/api/v1/incidents/\(id)", token: p.tenancy.owner)
                #expect(detail.string("status") == status)
            }
            // Acknowledging an unknown key is accepted, as PagerDuty does, and changes nothing.
            let unknown = try await app.api(.POST, "/v2/enqueue", json: ["routing_key": p.eventKey, "event_action": "acknowledge", "dedup_key": "nope"])
            #expect(unknown.status == .accepted)
        }
    }

    @Test("PagerDuty: invalid events get 400 with errors and change nothing", arguments: [
        #"{"routing_key":"KEY","event_action":"trigger","payload":{"summary":"x","source":"y"}}"#,
        #"{"routing_key":"KEY","event_action":"trigger","payload":{"summary":"x","source":"y","severity":"urgent"}}"#,
        #"{"routing_key":"KEY","event_action":"explode","dedup_key":"a"}"#,
        #"{"routing_key":"KEY","event_action":"trigger"}"#,
        #"{"routing_key":"KEY","event_action":"resolve"}"#,
        #"{"routing_key":"not-a-key","event_action":"trigger","payload":{"summary":"x","source":"y","severity":"info"}}"#,
        #"{"routing_key":"KEY","#,
    ])
    func pagerDutyInvalid(_ template: String) async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            let r = try await app.api(.POST, "/v2/enqueue", rawBody: template.replacingOccurrences(of: "KEY", with: p.eventKey))
            #expect(r.status == .badRequest, "\(r.body)")
            #expect(r.string("status") == "invalid event")
            #expect((r["errors"] as? [String])?.isEmpty == false)
            #expect(try await rowCount(app, "events") == 0)
            #expect(try await rowCount(app, "incidents") == 0)
        }
    }

    static let alertmanagerPayload = """
    {"version":"4","groupKey":"{}:{alertname=\\"DiskFull\\"}","truncatedAlerts":0,"status":"firing","receiver":"herald",
     "groupLabels":{"alertname":"DiskFull"},"commonLabels":{"alertname":"DiskFull","severity":"critical"},
     "commonAnnotations":{},"externalURL":"http://alertmanager.example:9093",
     "alerts":[
      {"status":"firing","labels":{"alertname":"DiskFull","instance":"db-1","severity":"critical","service":"payments"},
       "annotations":{"summary":"Disk full on db-1","description":"/var is at 99%"},
       "startsAt":"2026-11-22T10:00:00.123456789Z","endsAt":"0001-01-01T00:00:00Z",
       "generatorURL":"http://prometheus.example:9090/graph?g0.expr=disk","fingerprint":"a1b2c3d4e5f60718"},
      {"status":"firing","labels":{"alertname":"DiskFull","instance":"db-2","severity":"warning"},
       "annotations":{"summary":"Disk filling on db-2"},
       "startsAt":"2026-11-22T10:00:01Z","endsAt":"0001-01-01T00:00:00Z",
       "generatorURL":"http://prometheus.example:9090/graph","fingerprint":"0f1e2d3c4b5a6978"}
     ]}
    """

    @Test("Alertmanager v4: each alert is an incident keyed by its fingerprint; resolved resolves it")
    func alertmanager() async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            let firing = try await app.api(.POST, "/api/v1/alertmanager?key=\(p.eventKey)", rawBody: Self.alertmanagerPayload)
            #expect(firing.status == .ok, "\(firing.body)")
            #expect(firing["alerts"] as? Int == 2)
            let list = try await app.api(.GET, "/api/v1/projects/\(p.tenancy.projectID)/incidents", token: p.tenancy.owner)
            let byKey = Dictionary(uniqueKeysWithValues: list.array.map { ($0["key"] as? String ?? "", $0) })
            let db1 = try #require(byKey["alertmanager:a1b2c3d4e5f60718"])
            #expect(db1["title"] as? String == "Disk full on db-1")
            #expect(db1["description"] as? String == "/var is at 99%")
            #expect(db1["severity"] as? String == "critical")
            #expect(db1["service"] as? String == "payments")
            #expect((db1["tags"] as? [String: String])?["instance"] == "db-1")
            #expect(byKey["alertmanager:0f1e2d3c4b5a6978"]?["severity"] as? String == "warning")
            // Repeated notifications of a firing alert add to the same incident.
            _ = try await app.api(.POST, "/api/v1/alertmanager", token: p.eventKey, rawBody: Self.alertmanagerPayload)
            #expect(try await rowCount(app, "incidents") == 2)
            let resolved = Self.alertmanagerPayload.replacingOccurrences(of: "\"status\":\"firing\"", with: "\"status\":\"resolved\"")
                .replacingOccurrences(of: "0001-01-01T00:00:00Z", with: "2026-11-22T10:05:00Z")
            let r = try await app.api(.POST, "/api/v1/alertmanager?key=\(p.eventKey)", rawBody: resolved)
            #expect(r.status == .ok)
            let after = try await app.api(.GET, "/api/v1/projects/\(p.tenancy.projectID)/incidents?status=resolved", token: p.tenancy.owner)
            #expect(after.array.count == 2)
            // Without a key: 401; a wrong version: 422.
            #expect(try await app.api(.POST, "/api/v1/alertmanager", rawBody: Self.alertmanagerPayload).status == .unauthorized)
            let v3 = try await app.api(.POST, "/api/v1/alertmanager?key=\(p.eventKey)", rawBody: #"{"version":"3","alerts":[]}"#)
            #expect(v3.status == .unprocessableEntity)
            #expect(v3.string("field") == "version")
        }
    }
}
