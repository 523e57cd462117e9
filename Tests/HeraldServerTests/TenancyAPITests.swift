import FluentKit
import Foundation
@testable import HeraldServer
import HeraldCore
import Testing
import Vapor

@Suite("Organizations, members, projects and services")
struct TenancyAPITests {
    @Test("creating an organization makes the caller its owner and lists it")
    func createOrg() async throws {
        try await withApp { app in
            // setup
            let (_, token) = try await app.makeUser("ann@example.com")
            // MUT
            let created = try await app.api(.POST, "/api/v1/orgs", token: token, json: ["name": "  Acme  "])
            // validate
            #expect(created.status == .created)
            #expect(created.string("name") == "Acme")
            #expect(created.string("role") == "owner")
            let id = try #require(created.string("id"))
            #expect(UUID(uuidString: id) != nil)
            let list = try await app.api(.GET, "/api/v1/orgs", token: token)
            #expect(list.status == .ok)
            #expect(list.array.map { $0["id"] as? String } == [id])
            let one = try await app.api(.GET, "/api/v1/orgs/\(id)", token: token)
            #expect(one.string("name") == "Acme")
            let members = try await app.api(.GET, "/api/v1/orgs/\(id)/members", token: token)
            #expect(members.array.map { $0["email"] as? String } == ["ann@example.com"])
            #expect(members.array.first?["role"] as? String == "owner")
        }
    }

    @Test("organization names are unique, ignoring case")
    func duplicateOrg() async throws {
        try await withApp { app in
            let (_, token) = try await app.makeUser("ann@example.com")
            _ = try await app.api(.POST, "/api/v1/orgs", token: token, json: ["name": "Acme"])
            let before = try await snapshotCounts(app)
            let again = try await app.api(.POST, "/api/v1/orgs", token: token, json: ["name": "ACME"])
            #expect(again.status == .conflict)
            #expect(again.string("field") == "name")
            #expect(try await snapshotCounts(app) == before)
        }
    }

    @Test("adding a member creates the user once and refuses duplicates")
    func members() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let added = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/members", token: t.owner,
                                          json: ["email": "New.Person@Example.com", "name": "New Person", "role": "responder"])
            #expect(added.status == .created)
            #expect(added.string("email") == "new.person@example.com")
            #expect(added.string("role") == "responder")
            #expect(added.string("name") == "New Person")
            // The same user joins another organization without being duplicated.
            let elsewhere = try await app.api(.POST, "/api/v1/orgs/\(t.outsiderOrgID)/members", token: t.outsider,
                                              json: ["email": "new.person@example.com", "role": "stakeholder"])
            #expect(elsewhere.status == .created)
            #expect(elsewhere.string("userId") == added.string("userId"))
            #expect(try await User.query(on: app.db).filter(\.$email == "new.person@example.com").count() == 1)
            let duplicate = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/members", token: t.owner,
                                              json: ["email": "new.person@example.com", "role": "admin"])
            #expect(duplicate.status == .conflict)
            #expect(duplicate.string("field") == "email")
        }
    }

    @Test("admins cannot make or touch owners; the last owner stays")
    func ownerRules() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let makeOwner = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/members", token: t.admin,
                                              json: ["email": "boss@example.com", "role": "owner"])
            #expect(makeOwner.status == .forbidden)
            let promote = try await app.api(.PATCH, "/api/v1/orgs/\(t.orgID)/members/responder@example.com", token: t.admin,
                                            json: ["role": "owner"])
            #expect(promote.status == .forbidden)
            let demoteOwner = try await app.api(.PATCH, "/api/v1/orgs/\(t.orgID)/members/owner@example.com", token: t.admin,
                                                json: ["role": "stakeholder"])
            #expect(demoteOwner.status == .forbidden)
            let removeOwner = try await app.api(.DELETE, "/api/v1/orgs/\(t.orgID)/members/owner@example.com", token: t.admin)
            #expect(removeOwner.status == .forbidden)
            // The only owner cannot demote or remove themselves.
            let selfDemote = try await app.api(.PATCH, "/api/v1/orgs/\(t.orgID)/members/owner@example.com", token: t.owner,
                                               json: ["role": "admin"])
            #expect(selfDemote.status == .conflict)
            // Admins manage other roles.
            let demote = try await app.api(.PATCH, "/api/v1/orgs/\(t.orgID)/members/responder@example.com", token: t.admin,
                                           json: ["role": "stakeholder"])
            #expect(demote.status == .ok)
            #expect(demote.string("role") == "stakeholder")
            // With a second owner, the first may step down.
            let second = try await app.api(.PATCH, "/api/v1/orgs/\(t.orgID)/members/admin@example.com", token: t.owner,
                                           json: ["role": "owner"])
            #expect(second.status == .ok)
            let stepDown = try await app.api(.PATCH, "/api/v1/orgs/\(t.orgID)/members/owner@example.com", token: t.owner,
                                             json: ["role": "admin"])
            #expect(stepDown.status == .ok)
        }
    }

    @Test("removing a member takes their access and their project admin grants")
    func removeMember() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            _ = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/members/responder@example.com", token: t.owner, json: ["role": "admin"])
            let removed = try await app.api(.DELETE, "/api/v1/orgs/\(t.orgID)/members/responder@example.com", token: t.admin)
            #expect(removed.status == .noContent)
            let read = try await app.api(.GET, "/api/v1/projects/\(t.projectID)", token: t.responder)
            #expect(read.status == .notFound)
            #expect(try await rowCount(app, "project_members") == 0)
            let missing = try await app.api(.DELETE, "/api/v1/orgs/\(t.orgID)/members/nobody@example.com", token: t.admin)
            #expect(missing.status == .notFound)
        }
    }

    @Test("projects and services: create, list, get, unique names per parent")
    func projectsAndServices() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let projects = try await app.api(.GET, "/api/v1/orgs/\(t.orgID)/projects", token: t.stakeholder)
            #expect(projects.array.map { $0["name"] as? String } == ["Checkout"])
            #expect(projects.array.first?["orgId"] as? String == t.orgID)
            let dup = try await app.api(.POST, "/api/v1/orgs/\(t.orgID)/projects", token: t.owner, json: ["name": "checkout"])
            #expect(dup.status == .conflict)
            // The same name is fine in another organization.
            let other = try await app.api(.POST, "/api/v1/orgs/\(t.outsiderOrgID)/projects", token: t.outsider, json: ["name": "Checkout"])
            #expect(other.status == .created)
            let service = try await app.api(.GET, "/api/v1/services/\(t.serviceID)", token: t.responder)
            #expect(service.string("name") == "payments")
            #expect(service.string("projectId") == t.projectID)
            let services = try await app.api(.GET, "/api/v1/projects/\(t.projectID)/services", token: t.stakeholder)
            #expect(services.array.count == 1)
            let dupService = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/services", token: t.owner, json: ["name": "Payments"])
            #expect(dupService.status == .conflict)
        }
    }

    @Test("project admins must be organization members; role must be admin")
    func projectMembers() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let outsider = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/members/outsider@example.org", token: t.owner, json: ["role": "admin"])
            #expect(outsider.status == .notFound)
            #expect(outsider.string("field") == "email")
            let badRole = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/members/responder@example.com", token: t.owner, json: ["role": "owner"])
            #expect(badRole.status == .unprocessableEntity)
            #expect(badRole.string("field") == "role")
            let ok = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/members/Responder@Example.com", token: t.owner, json: ["role": "admin"])
            #expect(ok.status == .ok)
            // Idempotent.
            _ = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/members/responder@example.com", token: t.owner, json: ["role": "admin"])
            let list = try await app.api(.GET, "/api/v1/projects/\(t.projectID)/members", token: t.stakeholder)
            #expect(list.array.map { $0["email"] as? String } == ["responder@example.com"])
        }
    }
}
