import Foundation
import HeraldCore
import Vapor

// Response and request bodies of the tenancy API (SPEC §8). Ids are lower-case UUID strings.

extension UUID {
    /// The id as the API writes it (lower case), without Foundation's `snprintf`.
    var apiString: String { lowercaseText }
}

struct OrgDTO: Content {
    var id: String
    var name: String
    var createdAt: Date?
    /// The caller's role in it.
    var role: OrgRole?

    init(_ org: Organization, role: OrgRole?) throws {
        self.id = try org.requireID().apiString
        self.name = org.name
        self.createdAt = org.createdAt
        self.role = role
    }
}

struct NameBody: Decodable {
    var name: String
}

/// A member as their organization sees them: the name is the organization's own for them
/// (``Membership/name``), else the user's own.
struct MemberDTO: Content {
    var userId: String
    var email: String
    var name: String
    var role: String
    var createdAt: Date?

    /// `membership` with its user loaded.
    init(_ membership: Membership) throws {
        let user = membership.user
        self.userId = try user.requireID().apiString
        self.email = user.email
        self.name = membership.name ?? user.name
        self.role = membership.role
        self.createdAt = membership.createdAt
    }
}

struct AddMemberBody: Decodable {
    var email: String
    var name: String?
    var role: String
}

struct RoleBody: Decodable {
    var role: String
}

struct ProjectDTO: Content {
    var id: String
    var orgId: String
    var name: String
    var createdAt: Date?

    init(_ project: Project) throws {
        self.id = try project.requireID().apiString
        self.orgId = project.$organization.id.apiString
        self.name = project.name
        self.createdAt = project.createdAt
    }
}

struct ServiceDTO: Content {
    var id: String
    var projectId: String
    var name: String
    var createdAt: Date?

    init(_ service: Service) throws {
        self.id = try service.requireID().apiString
        self.projectId = service.$project.id.apiString
        self.name = service.name
        self.createdAt = service.createdAt
    }
}

struct OptionalNameBody: Decodable {
    var name: String?
}

/// A credential as listed: never the secret itself.
struct CredentialDTO: Content {
    var id: String
    var name: String
    var prefix: String
    var createdAt: Date?
    var lastUsedAt: Date?
    var revokedAt: Date?

    init(_ key: EventKey) throws {
        self.init(id: try key.requireID(), name: key.name, prefix: key.displayPrefix, createdAt: key.createdAt,
                  lastUsedAt: key.lastUsedAt, revokedAt: key.revokedAt)
    }

    init(_ token: APIToken) throws {
        self.init(id: try token.requireID(), name: token.name, prefix: token.displayPrefix, createdAt: token.createdAt,
                  lastUsedAt: token.lastUsedAt, revokedAt: token.revokedAt)
    }

    private init(id: UUID, name: String, prefix: String, createdAt: Date?, lastUsedAt: Date?, revokedAt: Date?) {
        self.id = id.apiString
        self.name = name
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// A credential just created: the only time the secret is shown.
struct NewCredentialDTO: Content {
    var id: String
    var name: String
    var prefix: String
    var createdAt: Date?
    /// Set for event keys.
    var key: String?
    /// Set for API tokens.
    var token: String?
}

struct UserDTO: Content {
    var id: String
    var email: String
    var name: String

    init(_ user: User) throws {
        self.id = try user.requireID().apiString
        self.email = user.email
        self.name = user.name
    }
}
