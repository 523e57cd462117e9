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
        return try await Directory(services: req.herald, db: req.db).projects(orgID: org.requireID()).map(ProjectDTO.init)
    }

    func show(req: Request) async throws -> ProjectDTO {
        try ProjectDTO(try await req.project(.readProject).0)
    }

    struct ProjectMemberDTO: Content {
        var userId: String
        var email: String
        var name: String
        var role: String

        init(_ admin: Directory.ProjectAdmin) {
            userId = admin.userID.apiString
            email = admin.email
            name = admin.name
            role = admin.role
        }
    }

    /// Project admins, named as their organization names them (see ``MemberDTO``).
    func members(req: Request) async throws -> [ProjectMemberDTO] {
        let (project, _) = try await req.project(.readProject)
        return try await Directory(services: req.herald, db: req.db)
            .projectAdmins(projectID: project.requireID(), orgID: project.$organization.id).map(ProjectMemberDTO.init)
    }

    /// Makes an organization member an admin of this project.
    func setMember(req: Request) async throws -> ProjectMemberDTO {
        let (project, _) = try await req.project(.manageProject)
        let body = try await req.decodeJSON(RoleBody.self)
        guard let role = ProjectRole(rawValue: body.role) else {
            throw FieldError(field: "role", detail: "must be \"admin\"")
        }
        return try await ProjectMemberDTO(Directory(services: req.herald, db: req.db)
            .setProjectAdmin(projectID: project.requireID(), orgID: project.$organization.id, email: req.memberEmail, role: role))
    }

    func removeMember(req: Request) async throws -> HTTPStatus {
        let (project, _) = try await req.project(.manageProject)
        try await Directory(services: req.herald, db: req.db)
            .removeProjectAdmin(projectID: project.requireID(), orgID: project.$organization.id, email: req.memberEmail)
        return .noContent
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
        return try await Directory(services: req.herald, db: req.db).services(projectID: project.requireID()).map(ServiceDTO.init)
    }

    func showService(req: Request) async throws -> ServiceDTO {
        try ServiceDTO(try await req.service(.readProject).0)
    }
}
