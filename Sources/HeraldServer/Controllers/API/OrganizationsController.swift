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
        try await Directory(services: req.herald, db: req.db).organizations(of: req.caller.userID)
            .map { try OrgDTO($0.0, role: $0.1) }
    }

    func show(req: Request) async throws -> OrgDTO {
        let (org, standing) = try await req.organization(.readOrg)
        return try OrgDTO(org, role: standing.orgRole)
    }

    func members(req: Request) async throws -> [MemberDTO] {
        let (org, _) = try await req.organization(.readOrg)
        return try await Directory(services: req.herald, db: req.db).members(orgID: org.requireID()).map { try MemberDTO($0) }
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
        let role = try Self.role(try await req.decodeJSON(RoleBody.self).role)
        let membership = try await Directory(services: req.herald, db: req.db)
            .changeRole(orgID: org.requireID(), email: req.memberEmail, to: role, callerID: req.caller.userID)
        return try MemberDTO(membership)
    }

    func removeMember(req: Request) async throws -> HTTPStatus {
        let (org, _) = try await req.organization(.manageOrg)
        try await Directory(services: req.herald, db: req.db)
            .removeMember(orgID: org.requireID(), email: req.memberEmail, callerID: req.caller.userID)
        return .noContent
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
