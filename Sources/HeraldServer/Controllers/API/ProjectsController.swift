import Fluent
import HeraldCore
import Vapor

/// Projects, project admins and services (SPEC §8).
struct ProjectsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("orgs", ":org", "projects", use: create)
        routes.get("orgs", ":org", "projects", use: list)
        routes.get("projects", ":p", use: show)
        routes.get("projects", ":p", "members", use: members)
        routes.put("projects", ":p", "members", ":email", use: setMember)
        routes.delete("projects", ":p", "members", ":email", use: removeMember)
        routes.post("projects", ":p", "services", use: createService)
        routes.get("projects", ":p", "services", use: services)
        routes.get("services", ":s", use: showService)
    }

    func create(req: Request) async throws -> Response {
        let (org, _) = try await req.organization(.manageOrg)
        let name = try Validate.name(try await req.decodeJSON(NameBody.self).name)
        let project = try await Directory(services: req.herald, db: req.db).createProject(orgID: try org.requireID(), name: name)
        return try await ProjectDTO(project).encodeResponse(status: .created, for: req)
    }

    func list(req: Request) async throws -> [ProjectDTO] {
        let (org, _) = try await req.organization(.readOrg)
        return try await Project.query(on: req.db)
            .filter(\.$organization.$id == org.requireID())
            .sort(\.$nameKey)
            .all()
            .map(ProjectDTO.init)
    }

    func show(req: Request) async throws -> ProjectDTO {
        try ProjectDTO(try await req.project(.readProject).0)
    }

    struct ProjectMemberDTO: Content {
        var userId: String
        var email: String
        var name: String
        var role: String
    }

    /// Project admins, named as their organization names them (see ``MemberDTO``).
    func members(req: Request) async throws -> [ProjectMemberDTO] {
        let (project, _) = try await req.project(.readProject)
        let rows = try await ProjectMember.query(on: req.db)
            .filter(\.$project.$id == project.requireID())
            .with(\.$user)
            .all()
        var names: [UUID: String] = [:]
        for membership in try await Membership.query(on: req.db).filter(\.$organization.$id == project.$organization.id)
            .filter(\.$user.$id ~~ rows.map(\.$user.id)).all()
        {
            if let name = membership.name { names[membership.$user.id] = name }
        }
        return try rows.sorted { $0.user.email < $1.user.email }.map { row in
            ProjectMemberDTO(userId: try row.user.requireID().apiString, email: row.user.email,
                             name: names[row.$user.id] ?? row.user.name, role: row.role)
        }
    }

    /// Makes an organization member an admin of this project.
    func setMember(req: Request) async throws -> ProjectMemberDTO {
        let (project, _) = try await req.project(.manageProject)
        let body = try await req.decodeJSON(RoleBody.self)
        guard let role = ProjectRole(rawValue: body.role) else {
            throw FieldError(field: "role", detail: "must be \"admin\"")
        }
        let (user, membership) = try await Self.orgMember(req, project: project)
        let projectID = try project.requireID(), userID = try user.requireID()
        let row = try await ProjectMember.query(on: req.db)
            .filter(\.$project.$id == projectID).filter(\.$user.$id == userID).first()
            ?? ProjectMember(projectID: projectID, userID: userID, role: role.rawValue)
        row.role = role.rawValue
        try await req.write { db in try await row.save(on: db) }
        return ProjectMemberDTO(userId: userID.apiString, email: user.email, name: membership.name ?? user.name, role: row.role)
    }

    func removeMember(req: Request) async throws -> HTTPStatus {
        let (project, _) = try await req.project(.manageProject)
        let (user, _) = try await Self.orgMember(req, project: project)
        let deleted = try await ProjectMember.query(on: req.db)
            .filter(\.$project.$id == project.requireID())
            .filter(\.$user.$id == user.requireID())
            .first()
        guard let deleted else { throw Problem.notFound("Project member") }
        try await req.write { db in try await deleted.delete(on: db) }
        return .noContent
    }

    /// The user named by `{email}`, who must be a member of the project's organization, and that membership.
    private static func orgMember(_ req: Request, project: Project) async throws -> (User, Membership) {
        let email = (req.parameters.get("email") ?? "").lowercased()
        guard let user = try await User.query(on: req.db).filter(\.$email == email).first(),
              let membership = try await Membership.query(on: req.db)
                .filter(\.$organization.$id == project.$organization.id)
                .filter(\.$user.$id == user.requireID())
                .first()
        else { throw Problem(.notFound, "No member of this organization has the email \(email)", field: "email") }
        return (user, membership)
    }

    func createService(req: Request) async throws -> Response {
        let (project, _) = try await req.project(.manageProject)
        let name = try Validate.name(try await req.decodeJSON(NameBody.self).name)
        let service = try await Directory(services: req.herald, db: req.db)
            .createService(projectID: try project.requireID(), name: name, routing: req.herald.routing.cache)
        return try await ServiceDTO(service).encodeResponse(status: .created, for: req)
    }

    func services(req: Request) async throws -> [ServiceDTO] {
        let (project, _) = try await req.project(.readProject)
        return try await Service.query(on: req.db)
            .filter(\.$project.$id == project.requireID())
            .sort(\.$nameKey)
            .all()
            .map(ServiceDTO.init)
    }

    func showService(req: Request) async throws -> ServiceDTO {
        try ServiceDTO(try await req.service(.readProject).0)
    }
}
