import Fluent
import HeraldCore
import Vapor

/// `/orgs` and `/orgs/{org}/members` (SPEC §8).
struct OrganizationsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("orgs", use: create)
        routes.get("orgs", use: list)
        routes.get("orgs", ":org", use: show)
        routes.post("orgs", ":org", "members", use: addMember)
        routes.get("orgs", ":org", "members", use: members)
        routes.patch("orgs", ":org", "members", ":email", use: changeMember)
        routes.delete("orgs", ":org", "members", ":email", use: removeMember)
    }

    /// Any user may create an organization and becomes its owner. Names are unique per owner only:
    /// another tenant's organization of the same name is none of the caller's business.
    func create(req: Request) async throws -> Response {
        let caller = try req.caller
        let body = try await req.decodeJSON(NameBody.self)
        let name = try Validate.name(body.name)
        let org = try await Directory(services: req.herald, db: req.db).createOrganization(name: name, ownerID: caller.userID)
        req.logger.info("organization created", metadata: ["org": "\(org.id?.apiString ?? "")"])
        return try await OrgDTO(org, role: .owner).encodeResponse(status: .created, for: req)
    }

    func list(req: Request) async throws -> [OrgDTO] {
        let caller = try req.caller
        let memberships = try await Membership.query(on: req.db)
            .filter(\.$user.$id == caller.userID)
            .with(\.$organization)
            .all()
        return try memberships
            .sorted { $0.organization.name.lowercased() < $1.organization.name.lowercased() }
            .map { try OrgDTO($0.organization, role: $0.orgRole) }
    }

    func show(req: Request) async throws -> OrgDTO {
        let (org, standing) = try await req.organization(.readOrg)
        return try OrgDTO(org, role: standing.orgRole)
    }

    func members(req: Request) async throws -> [MemberDTO] {
        let (org, _) = try await req.organization(.readOrg)
        let rows = try await Membership.query(on: req.db)
            .filter(\.$organization.$id == org.requireID())
            .with(\.$user)
            .all()
        return try rows.sorted { $0.user.email < $1.user.email }
            .map { try MemberDTO($0) }
    }

    /// Adds a user (created if new) to the organization with a role. The name given is this
    /// organization's name for the member; the user's own name, or what other organizations call
    /// them, is never read or changed.
    func addMember(req: Request) async throws -> Response {
        let (org, standing) = try await req.organization(.manageOrg)
        let body = try await req.decodeJSON(AddMemberBody.self)
        let (email, name, role) = try Self.validate(body)
        try req.enforce(.grantOrgRole(role), standing, notFound: "Organization")
        let orgID = try org.requireID()
        let membership = try await Directory(services: req.herald, db: req.db).addMember(orgID: orgID, email: email, name: name, role: role)
        return try await MemberDTO(membership).encodeResponse(status: .created, for: req)
    }

    /// Changes a member's role. Admins cannot touch owners; the last owner cannot be demoted.
    func changeMember(req: Request) async throws -> MemberDTO {
        let (org, _) = try await req.organization(.manageOrg)
        let body = try await req.decodeJSON(RoleBody.self)
        let role = try Self.role(body.role)
        let email = try Self.memberEmail(req)
        let orgID = try org.requireID()
        let callerID = try req.caller.userID
        return try await req.herald.storage.writeGate.transaction(req.db) { db in
            // Read and decide under the organization's lock, the caller's own role included: two
            // owners demoting each other at once leave one owner.
            let (membership, standing) = try await Self.lockedMembership(email, orgID: orgID, caller: callerID, on: db)
            try req.enforce(.grantOrgRole(role), standing, notFound: "Organization")
            try req.enforce(.grantOrgRole(membership.orgRole), standing, notFound: "Organization")
            if membership.orgRole == .owner, role != .owner {
                try await Self.requireAnotherOwner(orgID: orgID, on: db)
            }
            membership.role = role.rawValue
            try await membership.save(on: db)
            return try MemberDTO(membership)
        }
    }

    func removeMember(req: Request) async throws -> HTTPStatus {
        let (org, _) = try await req.organization(.manageOrg)
        let email = try Self.memberEmail(req)
        let orgID = try org.requireID()
        let callerID = try req.caller.userID
        try await req.herald.storage.writeGate.transaction(req.db) { db in
            let (membership, standing) = try await Self.lockedMembership(email, orgID: orgID, caller: callerID, on: db)
            try req.enforce(.manageOrg, standing, notFound: "Organization")
            try req.enforce(.grantOrgRole(membership.orgRole), standing, notFound: "Organization")
            if membership.orgRole == .owner { try await Self.requireAnotherOwner(orgID: orgID, on: db) }
            let projectIDs = try await Project.query(on: db).filter(\.$organization.$id == orgID).all(\.$id)
            try await ProjectMember.query(on: db)
                .filter(\.$user.$id == membership.$user.id)
                .filter(\.$project.$id ~~ projectIDs)
                .delete()
            try await membership.delete(on: db)
        }
        return .noContent
    }

    /// The `{email}` path parameter, lower-cased.
    private static func memberEmail(_ req: Request) throws -> String {
        (req.parameters.get("email") ?? "").lowercased()
    }

    /// The member with `email`, and the caller's standing, read inside the caller's transaction
    /// after locking the organization's row (PostgreSQL; SQLite has one writer), so role changes of
    /// one organization happen one at a time, each deciding on what the others left.
    private static func lockedMembership(_ email: String, orgID: UUID, caller: UUID,
                                         on db: any Database) async throws -> (Membership, Standing) {
        try await db.lockRow(Organization.self, id: orgID)
        let own = try await Membership.query(on: db).filter(\.$organization.$id == orgID).filter(\.$user.$id == caller).first()
        guard let membership = try await Membership.query(on: db)
            .filter(\.$organization.$id == orgID)
            .join(User.self, on: \Membership.$user.$id == \User.$id)
            .filter(User.self, \.$email == email)
            .with(\.$user)
            .first()
        else { throw Problem.notFound("Member") }
        return (membership, Standing(orgRole: own?.orgRole))
    }

    private static func requireAnotherOwner(orgID: UUID, on db: any Database) async throws {
        let owners = try await Membership.query(on: db)
            .filter(\.$organization.$id == orgID)
            .filter(\.$role == OrgRole.owner.rawValue)
            .count()
        if owners <= 1 {
            throw Problem.conflict("An organization must keep at least one owner", field: "role")
        }
    }

    static func role(_ raw: String, field: String = "role") throws -> OrgRole {
        guard let role = OrgRole(rawValue: raw) else {
            throw FieldError(field: field, detail: "must be one of owner, admin, responder, stakeholder")
        }
        return role
    }

    static func validate(_ body: AddMemberBody) throws -> (String, String?, OrgRole) {
        var errors: [FieldError] = []
        var email = "", name: String?, role = OrgRole.stakeholder
        do { email = try Validate.email(body.email) } catch { errors.append(error) }
        if let raw = body.name { do { name = try Validate.name(raw) } catch { errors.append(error) } }
        do { role = try Self.role(body.role) } catch let e as FieldError { errors.append(e) }
        try Problem.throwIfInvalid(errors)
        return (email, name, role)
    }
}
