import Fluent
import Foundation
import HeraldCore

/// Users, organizations and memberships: the domain operations the API, the command line (`herald
/// users create`), the sandbox's demo and the coming pages and Slack app share. Each is one write
/// transaction; callers have validated their input and checked the caller's permissions.
struct Directory: Sendable {
    let db: any Database
    let gate: WriteGate
    let credentials: CredentialFactory

    init(services: HeraldServices, db: any Database) {
        self.db = db
        self.gate = services.storage.writeGate
        self.credentials = services.security.credentials
    }

    enum Failure: Error, Equatable {
        /// `name` was written as an organization reference, and several organizations have it.
        case ambiguousOrganization(String)
        /// Joining an existing organization needs a role.
        case roleRequired(organization: String)
    }

    /// A new organization owned by `ownerID`. Names are unique per owner only: another tenant's
    /// organization of the same name is none of the caller's business.
    func createOrganization(name: String, ownerID: UUID) async throws -> Organization {
        try await gate.transaction(db) { db in
            // One creation at a time per user, so the check holds.
            try await db.lockRow(User.self, id: ownerID)
            if try await Membership.query(on: db)
                .filter(\.$user.$id == ownerID).filter(\.$role == OrgRole.owner.rawValue)
                .join(Organization.self, on: \Membership.$organization.$id == \Organization.$id)
                .filter(Organization.self, \.$nameKey == name.lowercased()).first() != nil
            {
                throw DomainError.conflict("You already own an organization named \"\(name)\"", field: "name")
            }
            let org = Organization(name: name)
            try await org.create(on: db)
            try await Membership(organizationID: org.requireID(), userID: ownerID, role: .owner).create(on: db)
            return org
        }
    }

    /// A new project in the organization; names are unique per organization (checked under the
    /// organization's row lock, so two at once cannot both take a name).
    func createProject(orgID: UUID, name: String) async throws -> Project {
        try await gate.transaction(db) { db in
            try await db.lockRow(Organization.self, id: orgID)
            if try await Project.query(on: db).filter(\.$organization.$id == orgID).filter(\.$nameKey == name.lowercased()).first() != nil {
                throw DomainError.conflict("A project named \"\(name)\" already exists in this organization", field: "name")
            }
            let project = Project(organizationID: orgID, name: name)
            try await project.create(on: db)
            return project
        }
    }

    /// A new service in the project; names are unique per project. The routing cache drops the
    /// project at once, so this process routes to the new service from its next event.
    func createService(projectID: UUID, name: String, routing: ProjectRoutingCache) async throws -> Service {
        let service = try await gate.transaction(db) { db in
            try await db.lockRow(Project.self, id: projectID)
            if try await Service.query(on: db).filter(\.$project.$id == projectID).filter(\.$nameKey == name.lowercased()).first() != nil {
                throw DomainError.conflict("A service named \"\(name)\" already exists in this project", field: "name")
            }
            let service = Service(projectID: projectID, name: name)
            try await service.create(on: db)
            return service
        }
        routing.invalidate(projectID)
        return service
    }

    /// Adds the user with `email` (created if new) to the organization. `name` is this
    /// organization's name for the member; the user's own name is never read or changed.
    func addMember(orgID: UUID, email: String, name: String?, role: OrgRole) async throws -> Membership {
        try await gate.transaction(db) { db in
            let (user, _) = try await Self.user(email: email, on: db)
            let userID = try user.requireID()
            if try await Self.membership(orgID: orgID, userID: userID, on: db) != nil {
                throw DomainError.conflict("\(email) is already a member of this organization", field: "email")
            }
            let membership = Membership(organizationID: orgID, userID: userID, role: role, name: name)
            try await membership.create(on: db)
            membership.$user.value = user
            return membership
        }
    }

    /// What ``provision(email:name:organization:role:tokenName:)`` did, for the operator.
    struct Provisioned: Sendable {
        var userID: UUID
        var createdUser: Bool
        var organization: (id: UUID, name: String, created: Bool, role: OrgRole)?
        /// A new API token, shown once.
        var token: String
    }

    /// `herald users create`: the user (found or created), with `organization` (an id or a name) its
    /// membership — the organization created with the user as owner if none matches (its name then
    /// validated as field `org`) — and a new API token. An existing membership takes the role given.
    func provision(email: String, name: String?, organization reference: String?, role: OrgRole?,
                   tokenName: String) async throws -> Provisioned {
        let factory = credentials
        return try await gate.transaction(db) { db in
            let (user, created) = try await Self.user(email: email, name: name, on: db)
            let userID = try user.requireID()
            var result = Provisioned(userID: userID, createdUser: created, organization: nil, token: "")
            if let reference {
                var org = try await Self.organization(reference, on: db)
                var isNew = false
                if org == nil {
                    let made = Organization(name: try Validate.name(reference, field: "org"))
                    try await made.create(on: db)
                    org = made
                    isNew = true
                }
                guard let org else { throw DomainError.notFound("Organization") }
                let orgID = try org.requireID()
                guard let effective = role ?? (isNew ? .owner : nil) else { throw Failure.roleRequired(organization: org.name) }
                if let membership = try await Self.membership(orgID: orgID, userID: userID, on: db) {
                    membership.role = effective.rawValue
                    try await membership.save(on: db)
                } else {
                    try await Membership(organizationID: orgID, userID: userID, role: effective).create(on: db)
                }
                result.organization = (orgID, org.name, isNew, effective)
            }
            result.token = try await APIToken.issue(for: userID, name: tokenName, factory: factory, on: db).1
            return result
        }
    }

    // MARK: Shared steps, inside a caller's transaction

    /// The user with this email, created if new with `name` or (by default) the part of the email
    /// before `@`: a neutral name, since an organization adding a member names them for itself only.
    static func user(email: String, name: String? = nil, on db: any Database) async throws -> (User, created: Bool) {
        if let user = try await User.query(on: db).filter(\.$email == email).first() { return (user, false) }
        let user = User(email: email, name: name ?? User.defaultName(for: email))
        try await user.create(on: db)
        return (user, true)
    }

    static func membership(orgID: UUID, userID: UUID, on db: any Database) async throws -> Membership? {
        try await Membership.query(on: db).filter(\.$organization.$id == orgID).filter(\.$user.$id == userID).first()
    }

    /// The organization with id `reference`, else the one named `reference` (any case). Names are
    /// not unique across tenants: when several organizations have the name, the id is required.
    static func organization(_ reference: String, on db: any Database) async throws -> Organization? {
        if let id = UUID(uuidString: reference), let org = try await Organization.find(id, on: db) { return org }
        let named = try await Organization.query(on: db)
            .filter(\.$nameKey == reference.trimmingCharacters(in: .whitespaces).lowercased()).limit(2).all()
        guard named.count <= 1 else { throw Failure.ambiguousOrganization(reference) }
        return named.first
    }
}

extension User {
    static func defaultName(for email: String) -> String {
        String(email.split(separator: "@").first ?? Substring(email))
    }
}
