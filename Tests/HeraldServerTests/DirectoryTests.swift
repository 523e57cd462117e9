import FluentKit
import Foundation
@testable import HeraldServer
import HeraldCore
import Testing
import Vapor

/// The directory's operations, as the command line and the API call them alike (issue 9).
@Suite("Directory: users, organizations, memberships")
struct DirectoryTests {
    @Test("provision finds or creates the user, creates or joins the organization, and takes the role given; the API's addMember sees the same user")
    func provision() async throws {
        try await withApp { app in
            let directory = Directory(services: app.herald, db: app.db)
            let first = try await directory.provision(email: "ana@example.com", name: "Ana", organization: "Ops", role: nil, tokenName: "cli")
            #expect(first.createdUser)
            let org = try #require(first.organization)
            #expect(org.created && org.role == .owner && org.name == "Ops")
            // Again with a role: the same user and organization, the membership changed, a second token.
            let again = try await directory.provision(email: "ana@example.com", name: "Other", organization: org.id.apiString, role: .admin,
                                                      tokenName: "cli")
            #expect(!again.createdUser && again.userID == first.userID)
            #expect(again.organization?.created == false && again.organization?.role == .admin)
            #expect(again.token != first.token)
            #expect(try await User.find(first.userID, on: app.db)?.name == "Ana")
            // Joining an existing organization by name needs a role.
            await #expect(throws: Directory.Failure.roleRequired(organization: "Ops")) {
                _ = try await directory.provision(email: "bo@example.com", name: nil, organization: "ops", role: nil, tokenName: "cli")
            }
            #expect(try await User.query(on: app.db).filter(\.$email == "bo@example.com").count() == 0, "the failed call wrote nothing")
            // A second "Ops" (another owner's) makes the name ambiguous; the id still works.
            let other = try await directory.provision(email: "cy@example.com", name: nil, organization: nil, role: nil, tokenName: "cli")
            _ = try await directory.createOrganization(name: "Ops", ownerID: other.userID)
            await #expect(throws: Directory.Failure.ambiguousOrganization("Ops")) {
                _ = try await directory.provision(email: "bo@example.com", name: nil, organization: "Ops", role: .responder, tokenName: "cli")
            }
            let member = try await directory.addMember(orgID: org.id, email: "cy@example.com", name: "Cy in Ops", role: .responder)
            #expect(member.$user.id == other.userID)
            let twice = await problem { _ = try await directory.addMember(orgID: org.id, email: "cy@example.com", name: nil, role: .admin) }
            #expect(twice?.status == .conflict && twice?.field == "email")
            // An organization name that is not a valid name is refused, naming the field.
            await #expect(throws: FieldError.self) {
                _ = try await directory.provision(email: "dee@example.com", name: nil, organization: "   ", role: nil, tokenName: "cli")
            }
        }
    }
}

/// The domain services every front end calls (API today; pages and the Slack app next), driven
/// directly, without HTTP (issue 9).
@Suite("Services: members, credentials, incidents")
struct DomainServiceTests {
    @Test("role changes decide on the caller's own role: an admin cannot grant or touch the owner role, the last owner stays, removal drops project admin too")
    func roles() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            let directory = Directory(services: app.herald, db: app.db)
            let orgID = try #require(UUID(uuidString: t.orgID)), projectID = try #require(UUID(uuidString: t.projectID))
            let owner = try await userID(app, "owner@example.com"), admin = try await userID(app, "admin@example.com")
            // An admin may not grant owner, nor change an owner's role.
            #expect(await problem { _ = try await directory.changeRole(orgID: orgID, email: "responder@example.com", to: .owner, callerID: admin) }?
                .status == .forbidden)
            #expect(await problem { _ = try await directory.changeRole(orgID: orgID, email: "owner@example.com", to: .admin, callerID: admin) }?
                .status == .forbidden)
            // The only owner cannot step down; with a second owner one can.
            let last = await problem { _ = try await directory.changeRole(orgID: orgID, email: "owner@example.com", to: .admin, callerID: owner) }
            #expect(last?.status == .conflict && last?.field == "role")
            #expect(try await directory.changeRole(orgID: orgID, email: "admin@example.com", to: .owner, callerID: owner).orgRole == .owner)
            #expect(try await directory.changeRole(orgID: orgID, email: "owner@example.com", to: .responder, callerID: admin).orgRole == .responder)
            // A project admin who leaves the organization is no project admin any more.
            let made = try await directory.setProjectAdmin(projectID: projectID, orgID: orgID, email: "stakeholder@example.com", role: .admin)
            #expect(made.email == "stakeholder@example.com" && made.name == "Stakeholder" && made.role == "admin")
            #expect(try await directory.projectAdmins(projectID: projectID, orgID: orgID).map(\.email) == ["stakeholder@example.com"])
            try await directory.removeMember(orgID: orgID, email: "stakeholder@example.com", callerID: admin)
            #expect(try await directory.projectAdmins(projectID: projectID, orgID: orgID).isEmpty)
            #expect(try await directory.members(orgID: orgID).map(\.user.email) == ["admin@example.com", "owner@example.com", "responder@example.com"])
            // Someone outside the organization cannot be made a project admin.
            let outsider = await problem {
                _ = try await directory.setProjectAdmin(projectID: projectID, orgID: orgID, email: "outsider@example.org", role: .admin)
            }
            #expect(outsider?.status == .notFound && outsider?.field == "email")
        }
    }

    @Test("a revoked event key stops working in this process at once, though it was cached; its secret is stored only as a hash")
    func credentials() async throws {
        // Herald's clock stands still: the key stays within its cache's lifetime, so only the
        // revocation can make it stop working.
        try await withApp(clock: ManualClock()) { app in
            let t = try await Tenancy.make(app)
            let projectID = try #require(UUID(uuidString: t.projectID))
            let owner = try await userID(app, "owner@example.com")
            let credentials = CredentialService(services: app.herald, db: app.db)
            let (row, secret) = try await credentials.createEventKey(projectID: projectID, name: "ci", createdBy: owner)
            #expect(row.keyHash == CredentialFactory.hash(secret) && !row.keyHash.contains(secret) && secret.hasPrefix(row.displayPrefix))
            let grant = try await EventKeyAuthenticator.grant(for: secret, services: app.herald, on: app.db)
            #expect(grant?.projectID == projectID)
            try await credentials.revokeEventKey(id: row.requireID(), projectID: projectID)
            #expect(try await EventKeyAuthenticator.grant(for: secret, services: app.herald, on: app.db) == nil)
            // Another project's key id is not found, and revoking twice is fine.
            #expect(await problem { try await credentials.revokeEventKey(id: row.requireID(), projectID: UUID()) }?.status == .notFound)
            try await credentials.revokeEventKey(id: row.requireID(), projectID: projectID)
            let (token, tokenSecret) = try await credentials.createToken(userID: owner, name: "laptop")
            #expect(try await credentials.tokens(userID: owner).contains { $0.id == token.id })
            try await credentials.revokeToken(id: token.requireID(), userID: owner)
            #expect(try await APITokenAuthenticator.caller(for: tokenSecret, on: app.db, gate: app.herald.storage.writeGate, now: app.herald.now()) == nil)
        }
    }

    @Test("incidents: opened from a draft (every bad field at once), acknowledged, reassigned only to members, refused once resolved, and the detail shows the timeline")
    func incidents() async throws {
        try await withApp(sandbox: true, workers: false) { app in
            let p = try await SlackProject.make(app)
            let projectID = try #require(UUID(uuidString: p.tenancy.projectID)), orgID = try #require(UUID(uuidString: p.tenancy.orgID))
            let incidents = IncidentService(intake: EventIntake(app: app))
            do {
                _ = try await incidents.open(.init(title: "  ", severity: "apocalyptic"), projectID: projectID, actor: "ana@example.com")
                Issue.record("an empty title was accepted")
            } catch let error as DomainError {
                let problem = Problem(error)
                #expect(problem.status == .unprocessableEntity && Set(problem.errors.map(\.field)) == ["title", "severity"], "\(problem)")
            }
            let id = try await incidents.open(.init(title: "Checkout down", severity: "critical"), projectID: projectID, actor: "ana@example.com")
            try await incidents.act(.acknowledge, incidentID: id, actor: "ana@example.com")
            let stranger = await problem {
                try await incidents.reassign(incidentID: id, orgID: orgID, to: "outsider@example.org", actor: "ana@example.com")
            }
            #expect(stranger?.status == .notFound && stranger?.field == "assignee")
            try await incidents.reassign(incidentID: id, orgID: orgID, to: "responder@example.com", actor: "ana@example.com")
            try await incidents.act(.resolve, incidentID: id, actor: "ana@example.com")
            #expect(await problem { try await incidents.act(.acknowledge, incidentID: id, actor: "ana@example.com") }?.status == .conflict)
            let detail = try await incidents.detail(id)
            #expect(detail.incident.status == "resolved" && detail.incident.assignee == "responder@example.com")
            #expect(detail.timeline.map(\.kind) == ["trigger", "acknowledge", "reassign", "resolve", "refused"])
            #expect(detail.messages.count == 1 && detail.messages[0].lastDelivery != nil)
            #expect(try await incidents.list(projectID: projectID, filter: .open).isEmpty)
            #expect(try await incidents.list(projectID: projectID, filter: .status(.resolved)).map(\.incident.id) == [id])
        }
    }
}

/// The id of the user with `email`.
private func userID(_ app: Application, _ email: String) async throws -> UUID {
    try #require(try await User.query(on: app.db).filter(\.$email == email).first()?.requireID())
}

/// The API's answer to the domain error `body` throws, if it throws one.
private func problem(_ body: () async throws -> Void) async -> Problem? {
    do {
        try await body()
        return nil
    } catch let error as DomainError {
        return Problem(error)
    } catch {
        Issue.record("not a problem: \(error)")
        return nil
    }
}
