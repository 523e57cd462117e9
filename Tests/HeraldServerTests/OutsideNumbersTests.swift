import Outbound
import Foundation
@testable import HeraldServer
import SlackAPI
import SlackSandbox
import Testing
import Vapor

/// Numbers from outside (request bodies, query strings, the environment, upstream answers) that
/// once could trap a conversion: each parser gets a table of them, and none may crash or be
/// taken for something it is not.
@Suite("Outside numbers never trap")
struct OutsideNumbersTests {
    @Test("sandbox conversations.list: limit", arguments: [
        ("1e300", false), ("-1", false), ("0", false), ("1.5", false), ("1001", false), ("\"abc\"", false), ("true", false),
        ("\"1e3\"", false), ("9223372036854775807", false), ("-9223372036854775809", false), ("1", true), ("1000", true), ("\"7\"", true),
    ])
    func sandboxLimit(_ limit: String, _ ok: Bool) async throws {
        // setup
        let workspace = SandboxWorkspace()
        let token = await workspace.issueBotToken()
        let handler = SandboxHTTPHandler(workspace: workspace)
        let request = OutboundRequest(method: "POST", url: URL(string: "http://sandbox.local/sandbox/api/conversations.list")!,
                                       headers: ["authorization": "Bearer \(token)", "content-type": "application/json"],
                                       body: Data(#"{"limit":\#(limit)}"#.utf8))
        // MUT
        let response = await handler.handle(request)
        // validate
        let json = try #require(JSONValue.parse(response.body))
        #expect(json["ok"]?.bool == ok, "\(String(decoding: response.body, as: UTF8.self))")
        if !ok { #expect(json["error"]?.string == "invalid_limit") }
    }

    @Test("GET /deliveries: limit, state and project are refused unless they are what the document says", arguments: [
        ("limit=99999999999999999999", "limit"), ("limit=1e3", "limit"), ("limit=-1", "limit"), ("limit=0", "limit"),
        ("limit=1001", "limit"), ("limit=", "limit"), ("limit=ten", "limit"), ("state=", "state"), ("state=SENT", "state"),
        ("project=", "project"), ("project=not-a-uuid", "project"), ("limit=1", nil), ("limit=1000", nil), ("state=sent&limit=5", nil),
    ] as [(String, String?)])
    func deliveriesQuery(_ query: String, _ field: String?) async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let r = try await app.api(.GET, "/api/v1/deliveries?\(query)", token: t.owner)
            #expect(r.status == (field == nil ? .ok : .unprocessableEntity), "\(r.body)")
            #expect(r.string("field") == field)
        }
    }

    @Test("configuration integers", arguments: [
        ("HERALD_PORT", "99999999999999999999"), ("HERALD_PORT", "-1"), ("HERALD_PORT", "1e3"), ("HERALD_UPDATE_INTERVAL", "9223372036854775808"),
        ("HERALD_DELIVERY_MAX_AGE", "0"), ("HERALD_DELIVERY_CONCURRENCY", "4097"), ("HERALD_CHANNEL_RATE", "1e400"), ("HERALD_CHANNEL_RATE", "nan"),
        ("HERALD_CHANNEL_RATE", "inf"),
    ])
    func configuration(_ variable: String, _ value: String) {
        #expect(throws: ConfigurationError.self) { try HeraldConfiguration(environment: [variable: value]) }
    }

    @Test("tag values: numbers of any size become text, never a trap", arguments: [
        ("1e300", "1e+300"), ("-0", "0"), ("123456789012345678901234567890", "1.2345678901234568e+29"), ("true", "true"), ("1.5", "1.5"),
    ])
    func tagNumbers(_ json: String, _ stored: String) async throws {
        try await withApp(sandbox: true) { app in
            let p = try await SlackProject.make(app)
            let r = try await app.api(.POST, "/api/v1/events", token: p.eventKey,
                                      rawBody: #"{"type":"incident","action":"trigger","key":"k","title":"t","tags":{"n":\#(json)}}"#)
            #expect(r.status == .accepted, "\(r.body)")
            let incident = try #require(try await Incident.query(on: app.db).first())
            #expect(incident.tags["n"] == stored)
        }
    }
}
