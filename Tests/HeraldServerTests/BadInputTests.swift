import Foundation
@testable import HeraldServer
import Testing
import Vapor
import VaporTesting

/// Bad input gets a problem+json naming the field at fault, and changes nothing.
@Suite("Bad input")
struct BadInputTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var body: String?
        var contentType: String? = "application/json"
        var status: HTTPStatus
        var field: String?
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "malformed JSON", body: #"{"name": "x""#, status: .badRequest),
        Case(name: "not an object", body: #"["x"]"#, status: .badRequest),
        Case(name: "empty body", body: nil, status: .badRequest),
        Case(name: "missing field", body: #"{"nom": "x"}"#, status: .unprocessableEntity, field: "name"),
        Case(name: "wrong type", body: #"{"name": 42}"#, status: .unprocessableEntity, field: "name"),
        Case(name: "null", body: #"{"name": null}"#, status: .unprocessableEntity, field: "name"),
        Case(name: "blank name", body: #"{"name": "   "}"#, status: .unprocessableEntity, field: "name"),
        Case(name: "overlong name", body: #"{"name": "\#(String(repeating: "x", count: 201))"}"#, status: .unprocessableEntity, field: "name"),
        Case(name: "control character", body: #"{"name": "a\u0007b"}"#, status: .unprocessableEntity, field: "name"),
        Case(name: "form body", body: "name=x", contentType: "application/x-www-form-urlencoded", status: .unsupportedMediaType),
    ]

    @Test("creating a project", arguments: cases)
    func project(_ c: Case) async throws {
        try await withApp { app in
            // setup
            let t = try await Tenancy.make(app)
            let before = try await snapshotCounts(app)
            // MUT
            let response = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/projects", token: t.owner, rawBody: c.body, contentType: c.contentType)
            // validate
            #expect(response.status == c.status, "\(response.body)")
            #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true)
            #expect(response.string("field") == c.field)
            #expect(response["status"] as? Int == Int(c.status.code))
            #expect((response.string("detail") ?? "").isEmpty == false)
            #expect(try await snapshotCounts(app) == before)
        }
    }

    @Test("member input: every bad field is named at once")
    func memberFields() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let before = try await snapshotCounts(app)
            let response = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/members", token: t.owner,
                                             json: ["email": "not-an-email", "role": "king"])
            #expect(response.status == .unprocessableEntity)
            let fields = (response["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(fields == ["email", "role"])
            #expect(response.string("field") == "email")
            let missingRole = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/members", token: t.owner, json: ["email": "a@example.com"])
            #expect(missingRole.string("field") == "role")
            #expect(try await snapshotCounts(app) == before)
        }
    }

    @Test("unknown and malformed ids are 404 problems")
    func unknownIDs() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            for path in ["/api/v1/orgs/\(UUID())", "/api/v1/orgs/not-a-uuid", "/api/v1/projects/\(UUID())",
                         "/api/v1/services/%27%20OR%201=1", "/api/v1/projects/\(UUID())/services"] {
                let response = try await app.api(.GET, path, token: t.owner)
                #expect(response.status == .notFound, "\(path)")
                #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true)
            }
            let route = try await app.api(.GET, "/api/v1/nothing-here", token: t.owner)
            #expect(route.status == .notFound)
        }
    }

    @Test("missing, malformed and unknown tokens are 401 and change nothing")
    func badTokens() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let before = try await snapshotCounts(app)
            for token in [nil, "", "hrd_pat_wrong", String(repeating: "x", count: 5000), t.owner + "x"] as [String?] {
                let response = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/projects", token: token, json: ["name": "Sneaky"])
                #expect(response.status == .unauthorized)
                #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true)
            }
            var headers = HTTPHeaders()
            headers.add(name: .authorization, value: "Basic \(Data("a:b".utf8).base64EncodedString())")
            let basic = try await app.testing().sendRequest(.GET, "/api/v1/orgs", headers: headers)
            #expect(basic.status == .unauthorized)
            #expect(try await snapshotCounts(app) == before)
        }
    }

    @Test("a body over 1 MiB is refused with 413 over a real socket")
    func oversize() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let before = try await snapshotCounts(app)
            let big = #"{"name": "\#(String(repeating: "x", count: 1_100_000))"}"#
            var headers = HTTPHeaders()
            headers.bearerAuthorization = .init(token: t.owner)
            headers.contentType = .json
            let response = try await app.testing(method: .running(hostname: "127.0.0.1", port: try freeLoopbackPort()))
                .sendRequest(.POST, "/api/v1/orgs/\(t.orgID)/projects", headers: headers, body: ByteBuffer(string: big))
            #expect(response.status == .payloadTooLarge)
            #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true)
            #expect(response.body.string.contains("1 MiB"))
            #expect(try await snapshotCounts(app) == before)
            // Just under the limit is read (and refused only for the name's length).
            let fits = #"{"name": "\#(String(repeating: "x", count: 1_000_000))"}"#
            let small = try await app.testing(method: .running(hostname: "127.0.0.1", port: try freeLoopbackPort()))
                .sendRequest(.POST, "/api/v1/orgs/\(t.orgID)/projects", headers: headers, body: ByteBuffer(string: fits))
            #expect(small.status == .unprocessableEntity)
        }
    }
}
