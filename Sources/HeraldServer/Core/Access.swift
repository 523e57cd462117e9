import Fluent
import Foundation
import HeraldCore
import Vapor

/// Loads a resource named in a path and checks the caller may do `permission` on it, per
/// ``AccessPolicy``. Unknown ids and other tenants' resources are both `404`, so nothing leaks.
extension Request {
    func uuid(_ parameter: String) -> UUID? {
        parameters.get(parameter).flatMap(UUID.init(uuidString:))
    }

    /// The `{email}` path parameter (a member), lower-cased.
    var memberEmail: String {
        (parameters.get("email") ?? "").lowercased()
    }

    func standing(inOrg orgID: UUID, project projectID: UUID? = nil) async throws -> (Standing, Membership?) {
        try await Access.standing(of: caller.userID, inOrg: orgID, project: projectID, on: db)
    }

    func enforce(_ permission: Permission, _ standing: Standing, notFound what: String) throws {
        try Access.enforce(permission, standing, notFound: what)
    }

    /// Throws unless the caller may do `permission` on `project` (a `404` naming `what` when it is
    /// hidden from them); returns their standing. Every resource that belongs to a project is checked so.
    @discardableResult
    func enforce(_ permission: Permission, onProject project: Project, notFound what: String) async throws -> Standing {
        let (standing, _) = try await standing(inOrg: project.$organization.id, project: try project.requireID())
        try enforce(permission, standing, notFound: what)
        return standing
    }

    /// The organization named by the `org` path parameter, if the caller may do `permission` on it.
    func organization(_ permission: Permission, parameter: String = "org") async throws -> (Organization, Standing) {
        guard let id = uuid(parameter), let org = try await Organization.find(id, on: db) else {
            throw DomainError.notFound("Organization")
        }
        let (standing, _) = try await standing(inOrg: id)
        try enforce(permission, standing, notFound: "Organization")
        return (org, standing)
    }

    /// The project named by the `p` path parameter, if the caller may do `permission` on it.
    func project(_ permission: Permission, parameter: String = "p") async throws -> (Project, Standing) {
        guard let id = uuid(parameter), let project = try await Project.find(id, on: db) else {
            throw DomainError.notFound("Project")
        }
        return (project, try await enforce(permission, onProject: project, notFound: "Project"))
    }

    /// The service named by the `s` path parameter, if the caller may do `permission` on its project.
    func service(_ permission: Permission, parameter: String = "s") async throws -> (Service, Project, Standing) {
        guard let id = uuid(parameter),
              let service = try await Service.query(on: db).filter(\.$id == id).with(\.$project).first()
        else { throw DomainError.notFound("Service") }
        return (service, service.project, try await enforce(permission, onProject: service.project, notFound: "Service"))
    }
}

/// Who a user is to an organization and project, and whether that allows an action: the checks
/// every front end makes (the API through ``Request``; the pages and the Slack app for the user
/// they act for).
enum Access {
    /// The user's standing in the organization (and project): their role, and project admin.
    static func standing(of userID: UUID, inOrg orgID: UUID, project projectID: UUID? = nil,
                         on db: any Database) async throws -> (Standing, Membership?) {
        let membership = try await Directory.membership(orgID: orgID, userID: userID, on: db)
        var isProjectAdmin = false
        if let projectID, membership != nil {
            isProjectAdmin = try await ProjectMember.query(on: db)
                .filter(\.$project.$id == projectID)
                .filter(\.$user.$id == userID)
                .filter(\.$role == ProjectRole.admin.rawValue)
                .first() != nil
        }
        return (Standing(orgRole: membership?.orgRole, isProjectAdmin: isProjectAdmin), membership)
    }

    /// Throws unless `standing` allows `permission`: `404` (naming `what`) when the resource is
    /// hidden from the caller, `403` when it is visible but the action is not theirs.
    static func enforce(_ permission: Permission, _ standing: Standing, notFound what: String) throws {
        switch AccessPolicy.decide(permission, for: standing) {
        case .allowed: return
        case .hidden: throw DomainError.notFound(what)
        case .forbidden: throw DomainError.forbidden(refusal(for: permission, standing))
        }
    }

    private static func refusal(for permission: Permission, _ standing: Standing) -> String {
        let role = standing.orgRole?.rawValue ?? "non-member"
        switch permission {
        case .manageOrg: return "Managing this organization needs the owner or admin role; you are \(role)"
        case .grantOrgRole(let r): return "Only an owner can grant or change the \(r.rawValue) role; you are \(role)"
        case .manageProject: return "Managing this project needs the organization owner or admin role, or project admin; you are \(role)"
        case .actOnIncidents: return "Acting on incidents needs the responder role or higher; you are \(role)"
        case .readOrg, .readProject: return "You cannot see this"
        }
    }
}
