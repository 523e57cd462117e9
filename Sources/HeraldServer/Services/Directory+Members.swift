import Fluent
import Foundation
import HeraldCore

/// Members of organizations and admins of projects: who they are, role changes, removal.
extension Directory {
    /// The user's organizations, with their role in each, by name.
    func organizations(of userID: UUID) async throws -> [(Organization, OrgRole)] {
        try await Membership.query(on: db)
            .filter(\.$user.$id == userID)
            .with(\.$organization)
            .all()
            .sorted { $0.organization.name.lowercased() < $1.organization.name.lowercased() }
            .map { ($0.organization, $0.orgRole) }
    }

    /// The organization's projects, by name.
    func projects(orgID: UUID) async throws -> [Project] {
        try await Project.query(on: db).filter(\.$organization.$id == orgID).sort(\.$nameKey).all()
    }

    /// The project's services, by name.
    func services(projectID: UUID) async throws -> [Service] {
        try await Service.query(on: db).filter(\.$project.$id == projectID).sort(\.$nameKey).all()
    }

    /// The organization's members (with their users), by email.
    func members(orgID: UUID) async throws -> [Membership] {
        try await Membership.query(on: db)
            .filter(\.$organization.$id == orgID)
            .with(\.$user)
            .all()
            .sorted { $0.user.email < $1.user.email }
    }

    /// Gives the member with `email` the role `role`, for the caller `callerID`. Decided under the
    /// organization's row lock, the caller's own role included, so two owners demoting each other
    /// at once leave one owner. Admins cannot grant or touch the owner role; the last owner stays.
    func changeRole(orgID: UUID, email: String, to role: OrgRole, callerID: UUID) async throws -> Membership {
        try await gate.transaction(db) { db in
            let (membership, standing) = try await Self.lockedMembership(email, orgID: orgID, caller: callerID, on: db)
            try Access.enforce(.grantOrgRole(role), standing, notFound: "Organization")
            try Access.enforce(.grantOrgRole(membership.orgRole), standing, notFound: "Organization")
            if membership.orgRole == .owner, role != .owner {
                try await Self.requireAnotherOwner(orgID: orgID, on: db)
            }
            membership.role = role.rawValue
            try await membership.save(on: db)
            return membership
        }
    }

    /// Removes the member with `email` from the organization and from its projects' admins, for
    /// the caller `callerID` (under the organization's lock, as ``changeRole(orgID:email:to:callerID:)``).
    func removeMember(orgID: UUID, email: String, callerID: UUID) async throws {
        try await gate.transaction(db) { db in
            let (membership, standing) = try await Self.lockedMembership(email, orgID: orgID, caller: callerID, on: db)
            try Access.enforce(.manageOrg, standing, notFound: "Organization")
            try Access.enforce(.grantOrgRole(membership.orgRole), standing, notFound: "Organization")
            if membership.orgRole == .owner { try await Self.requireAnotherOwner(orgID: orgID, on: db) }
            let projectIDs = try await Project.query(on: db).filter(\.$organization.$id == orgID).all(\.$id)
            try await ProjectMember.query(on: db)
                .filter(\.$user.$id == membership.$user.id)
                .filter(\.$project.$id ~~ projectIDs)
                .delete()
            try await membership.delete(on: db)
        }
    }

    /// A project admin, named as the project's organization names them.
    struct ProjectAdmin: Sendable {
        var userID: UUID
        var email: String
        var name: String
        var role: String
    }

    /// The project's admins, by email.
    func projectAdmins(projectID: UUID, orgID: UUID) async throws -> [ProjectAdmin] {
        let rows = try await ProjectMember.query(on: db)
            .filter(\.$project.$id == projectID)
            .with(\.$user)
            .all()
        var names: [UUID: String] = [:]
        for membership in try await Membership.query(on: db).filter(\.$organization.$id == orgID)
            .filter(\.$user.$id ~~ rows.map(\.$user.id)).all()
        {
            if let name = membership.name { names[membership.$user.id] = name }
        }
        return try rows.sorted { $0.user.email < $1.user.email }.map { row in
            ProjectAdmin(userID: try row.user.requireID(), email: row.user.email,
                         name: names[row.$user.id] ?? row.user.name, role: row.role)
        }
    }

    /// Makes the organization member with `email` a project admin (`role`); idempotent. Under the
    /// organization's lock, like member removal, so a member removed meanwhile is not left a
    /// project admin.
    func setProjectAdmin(projectID: UUID, orgID: UUID, email: String, role: ProjectRole) async throws -> ProjectAdmin {
        try await gate.transaction(db) { db in
            try await db.lockRow(Organization.self, id: orgID)
            let membership = try await Self.requireMember(email, orgID: orgID, on: db)
            let user = membership.user, userID = membership.$user.id
            let row = try await ProjectMember.query(on: db)
                .filter(\.$project.$id == projectID).filter(\.$user.$id == userID).first()
                ?? ProjectMember(projectID: projectID, userID: userID, role: role.rawValue)
            row.role = role.rawValue
            try await row.save(on: db)
            return ProjectAdmin(userID: userID, email: user.email, name: membership.name ?? user.name, role: row.role)
        }
    }

    /// Ends the project admin role of the organization member with `email`.
    func removeProjectAdmin(projectID: UUID, orgID: UUID, email: String) async throws {
        try await gate.transaction(db) { db in
            let membership = try await Self.requireMember(email, orgID: orgID, on: db)
            guard let row = try await ProjectMember.query(on: db)
                .filter(\.$project.$id == projectID).filter(\.$user.$id == membership.$user.id).first()
            else { throw DomainError.notFound("Project member") }
            try await row.delete(on: db)
        }
    }

    /// Whether the organization has a member with `email` (an incident's assignee must be one).
    func isMember(orgID: UUID, email: String) async throws -> Bool {
        try await Self.member(email, orgID: orgID, on: db) != nil
    }

    /// The organization's membership of the user with `email`, with the user loaded.
    static func member(_ email: String, orgID: UUID, on db: any Database) async throws -> Membership? {
        try await Membership.query(on: db)
            .filter(\.$organization.$id == orgID)
            .join(User.self, on: \Membership.$user.$id == \User.$id)
            .filter(User.self, \.$email == email)
            .with(\.$user)
            .first()
    }

    // MARK: Steps inside a transaction

    /// ``member(_:orgID:on:)``, which must exist (`404`, field `email`).
    private static func requireMember(_ email: String, orgID: UUID, on db: any Database) async throws -> Membership {
        guard let membership = try await member(email, orgID: orgID, on: db) else {
            throw DomainError.notFound("Member", detail: "No member of this organization has the email \(email)", field: "email")
        }
        return membership
    }

    /// The member with `email`, and the caller's standing, read after locking the organization's
    /// row (PostgreSQL; SQLite has one writer), so role changes of one organization happen one at
    /// a time, each deciding on what the others left.
    private static func lockedMembership(_ email: String, orgID: UUID, caller: UUID,
                                         on db: any Database) async throws -> (Membership, Standing) {
        try await db.lockRow(Organization.self, id: orgID)
        let own = try await membership(orgID: orgID, userID: caller, on: db)
        guard let membership = try await member(email, orgID: orgID, on: db) else { throw DomainError.notFound("Member") }
        return (membership, Standing(orgRole: own?.orgRole))
    }

    private static func requireAnotherOwner(orgID: UUID, on db: any Database) async throws {
        let owners = try await Membership.query(on: db)
            .filter(\.$organization.$id == orgID)
            .filter(\.$role == OrgRole.owner.rawValue)
            .count()
        if owners <= 1 {
            throw DomainError.conflict("An organization must keep at least one owner", field: "role")
        }
    }
}
