import Foundation
@testable import HeraldServer
import Testing
import Vapor

/// Every tenancy endpoint against every role: owners/admins manage the organization, project admins
/// their project, responders and stakeholders only read, outsiders get 404 and never data.
@Suite("Authorization on every endpoint")
struct AuthorizationTests {
    struct Case: CustomStringConvertible, @unchecked Sendable {
        var method: HTTPMethod
        var path: String
        var body: [String: Any]?
        /// Expected status per role: owner, admin, responder, stakeholder, outsider.
        var expected: [String: HTTPStatus]
        var description: String { "\(method) \(path)" }
    }

    static let roles = ["owner", "admin", "responder", "stakeholder", "outsider"]

    static func read(_ path: String) -> Case {
        Case(method: .GET, path: path, expected: ["owner": .ok, "admin": .ok, "responder": .ok, "stakeholder": .ok, "outsider": .notFound])
    }

    static func manage(_ method: HTTPMethod, _ path: String, _ body: [String: Any]?, success: HTTPStatus) -> Case {
        Case(method: method, path: path, body: body,
             expected: ["owner": success, "admin": success, "responder": .forbidden, "stakeholder": .forbidden, "outsider": .notFound])
    }

    /// Cases with `{org}`, `{p}`, `{s}` and `{n}` (a per-role counter for unique names) to fill in.
    static let cases: [Case] = [
        read("/api/v1/orgs/{org}"),
        read("/api/v1/orgs/{org}/members"),
        read("/api/v1/orgs/{org}/projects"),
        read("/api/v1/projects/{p}"),
        read("/api/v1/projects/{p}/members"),
        read("/api/v1/projects/{p}/services"),
        read("/api/v1/services/{s}"),
        manage(.POST, "/api/v1/orgs/{org}/projects", ["name": "project {n}"], success: .created),
        manage(.POST, "/api/v1/orgs/{org}/members", ["email": "new{n}@example.com", "role": "responder"], success: .created),
        manage(.POST, "/api/v1/projects/{p}/services", ["name": "service {n}"], success: .created),
        manage(.POST, "/api/v1/projects/{p}/keys", ["name": "key {n}"], success: .created),
        manage(.GET, "/api/v1/projects/{p}/keys", nil, success: .ok),
        // The target is the org admin, so granting it never changes the callers' own powers mid-loop.
        manage(.PUT, "/api/v1/projects/{p}/members/admin@example.com", ["role": "admin"], success: .ok),
    ]

    @Test("role matrix", arguments: cases)
    func matrix(_ c: Case) async throws {
        try await withApp { app in
            // setup
            let t = try await Tenancy.make(app)
            for (n, role) in Self.roles.enumerated() {
                let path = c.path.replacingOccurrences(of: "{org}", with: t.orgID)
                    .replacingOccurrences(of: "{p}", with: t.projectID)
                    .replacingOccurrences(of: "{s}", with: t.serviceID)
                let body = c.body.map { $0.mapValues { v in (v as? String)?.replacingOccurrences(of: "{n}", with: "\(n)") ?? v } }
                let before = try await snapshotCounts(app)
                // MUT
                let response = try await app.api(c.method, path, token: t.token(role), json: body)
                // validate
                #expect(response.status == c.expected[role], "\(role): \(response.body)")
                if response.status.code >= 400 {
                    #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true)
                    #expect(try await snapshotCounts(app) == before, "\(role): a refused request changed data")
                    #expect(!response.body.contains("Acme"), "\(role): refusal leaked the organization")
                }
            }
        }
    }

    @Test("a project admin manages the project but not the organization")
    func projectAdmin() async throws {
        try await withApp { app in
            // setup
            let t = try await Tenancy.make(app)
            let grant = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/members/stakeholder@example.com",
                                          token: t.admin, json: ["role": "admin"])
            #expect(grant.status == .ok, "\(grant.body)")
            // MUT + validate
            let service = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/services", token: t.stakeholder, json: ["name": "api"])
            #expect(service.status == .created, "\(service.body)")
            let key = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/keys", token: t.stakeholder)
            #expect(key.status == .created, "\(key.body)")
            let project = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/projects", token: t.stakeholder, json: ["name": "Other"])
            #expect(project.status == .forbidden)
            let member = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/members", token: t.stakeholder,
                                           json: ["email": "x@example.com", "role": "responder"])
            #expect(member.status == .forbidden)
            // A second project in the same organization is not theirs to manage.
            let second = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/projects", token: t.owner, json: ["name": "Second"])
            let secondID = try #require(second.string("id"))
            let denied = try await app.api(.POST, "/api/v1/projects/\(secondID)/services", token: t.stakeholder, json: ["name": "api"])
            #expect(denied.status == .forbidden)
            // Removing the grant takes the power away.
            let revoke = try await app.api(.DELETE, "/api/v1/projects/\(t.projectID)/members/stakeholder@example.com", token: t.owner)
            #expect(revoke.status == .noContent)
            let after = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/services", token: t.stakeholder, json: ["name": "web"])
            #expect(after.status == .forbidden)
        }
    }

    @Test("an outsider cannot reach another tenant's project, service or keys by id")
    func crossTenant() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let keys = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/keys", token: t.owner)
            let keyID = try #require(keys.string("id"))
            for (method, path) in [
                (HTTPMethod.GET, "/api/v1/projects/\(t.projectID)"),
                (.GET, "/api/v1/services/\(t.serviceID)"),
                (.DELETE, "/api/v1/projects/\(t.projectID)/keys/\(keyID)"),
                (.DELETE, "/api/v1/orgs/\(t.orgID)/members/owner@example.com"),
                (.PATCH, "/api/v1/orgs/\(t.orgID)/members/owner@example.com"),
            ] {
                let response = try await app.api(method, path, token: t.outsider, json: method == .PATCH ? ["role": "stakeholder"] : nil)
                #expect(response.status == .notFound, "\(method) \(path): \(response.body)")
                // The problem echoes only the caller's own path, never the other tenant's data.
                #expect(!response.body.contains("Checkout") && !response.body.contains("Acme") && !response.body.contains("payments"))
            }
            // The outsider's own organization lists only theirs.
            let orgs = try await app.api(.GET, "/api/v1/orgs", token: t.outsider)
            #expect(orgs.array.map { $0["name"] as? String } == ["Other"])
            // And the key still works: the refused revoke changed nothing.
            let list = try await app.api(.GET, "/api/v1/projects/\(t.projectID)/keys", token: t.owner)
            #expect(list.array.map { $0["id"] as? String } == [keyID])
            #expect(list.array.first?.keys.contains("revokedAt") == false)
        }
    }
}
