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

    /// Any user may create an organization and becomes its owner.
    func create(req: Request) async throws -> Response {
        let caller = try req.caller
        let body = try await req.decodeJSON(NameBody.self)
        let name = try Validate.name(body.name)
        let org = try await req.herald.writeGate.transaction(req.db) { db in
            if try await Organization.query(on: db).filter(\.$nameKey == name.lowercased()).first() != nil {
                throw Problem.conflict("An organization named \"\(name)\" already exists", field: "name")
            }
            let org = Organization(name: name)
            try await org.create(on: db)
            try await Membership(organizationID: org.requireID(), userID: caller.userID, role: .owner).create(on: db)
            return org
        }
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
            .map { try MemberDTO($0.user, role: $0.role, createdAt: $0.createdAt) }
    }

    /// Adds a user (created if new) to the organization with a role.
    func addMember(req: Request) async throws -> Response {
        let (org, standing) = try await req.organization(.manageOrg)
        let body = try await req.decodeJSON(AddMemberBody.self)
        let (email, name, role) = try Self.validate(body)
        try req.enforce(.grantOrgRole(role), standing, notFound: "Organization")
        let orgID = try org.requireID()
        let (user, membership) = try await req.herald.writeGate.transaction(req.db) { db in
            let user = try await User.findOrCreate(email: email, name: name, on: db)
            let userID = try user.requireID()
            if try await Membership.query(on: db).filter(\.$organization.$id == orgID)
                .filter(\.$user.$id == userID).first() != nil
            {
                throw Problem.conflict("\(email) is already a member of this organization", field: "email")
            }
            let membership = Membership(organizationID: orgID, userID: userID, role: role)
            try await membership.create(on: db)
            return (user, membership)
        }
        return try await MemberDTO(user, role: membership.role, createdAt: membership.createdAt)
            .encodeResponse(status: .created, for: req)
    }

    /// Changes a member's role. Admins cannot touch owners; the last owner cannot be demoted.
    func changeMember(req: Request) async throws -> MemberDTO {
        let (org, standing) = try await req.organization(.manageOrg)
        let body = try await req.decodeJSON(RoleBody.self)
        let role = try Self.role(body.role)
        let membership = try await Self.membership(req, org: org)
        try req.enforce(.grantOrgRole(role), standing, notFound: "Organization")
        try req.enforce(.grantOrgRole(membership.orgRole), standing, notFound: "Organization")
        try await req.herald.writeGate.transaction(req.db) { db in
            if membership.orgRole == .owner, role != .owner {
                try await Self.requireAnotherOwner(org: org, on: db)
            }
            membership.role = role.rawValue
            try await membership.save(on: db)
        }
        return try MemberDTO(membership.user, role: membership.role, createdAt: membership.createdAt)
    }

    func removeMember(req: Request) async throws -> HTTPStatus {
        let (org, standing) = try await req.organization(.manageOrg)
        let membership = try await Self.membership(req, org: org)
        try req.enforce(.grantOrgRole(membership.orgRole), standing, notFound: "Organization")
        try await req.herald.writeGate.transaction(req.db) { db in
            if membership.orgRole == .owner { try await Self.requireAnotherOwner(org: org, on: db) }
            let orgID = try org.requireID()
            let projectIDs = try await Project.query(on: db).filter(\.$organization.$id == orgID).all(\.$id)
            try await ProjectMember.query(on: db)
                .filter(\.$user.$id == membership.$user.id)
                .filter(\.$project.$id ~~ projectIDs)
                .delete()
            try await membership.delete(on: db)
        }
        return .noContent
    }

    private static func membership(_ req: Request, org: Organization) async throws -> Membership {
        let email = (req.parameters.get("email") ?? "").lowercased()
        guard let membership = try await Membership.query(on: req.db)
            .filter(\.$organization.$id == org.requireID())
            .join(User.self, on: \Membership.$user.$id == \User.$id)
            .filter(User.self, \.$email == email)
            .with(\.$user)
            .first()
        else { throw Problem.notFound("Member") }
        return membership
    }

    private static func requireAnotherOwner(org: Organization, on db: any Database) async throws {
        let owners = try await Membership.query(on: db)
            .filter(\.$organization.$id == org.requireID())
            .filter(\.$role == OrgRole.owner.rawValue)
            .count()
        if owners <= 1 {
            throw Problem.conflict("An organization must keep at least one owner", field: "role")
        }
    }

    static func role(_ raw: String, field: String = "role") throws -> OrgRole {
        guard let role = OrgRole(rawValue: raw.lowercased()) else {
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

extension User {
    /// The user with this email, created (named after the email when no name is given) if new.
    static func findOrCreate(email: String, name: String?, on db: any Database) async throws -> User {
        if let user = try await User.query(on: db).filter(\.$email == email).first() { return user }
        let user = User(email: email, name: name ?? String(email.split(separator: "@")[0]))
        try await user.create(on: db)
        return user
    }
}
