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
            await #expect(throws: Problem.self) {
                _ = try await directory.addMember(orgID: org.id, email: "cy@example.com", name: nil, role: .admin)
            }
            // An organization name that is not a valid name is refused, naming the field.
            await #expect(throws: FieldError.self) {
                _ = try await directory.provision(email: "dee@example.com", name: nil, organization: "   ", role: nil, tokenName: "cli")
            }
        }
    }
}
