import Fluent

// Schema version 001: tenancy, users and credentials. Shipped migrations are never edited;
// change the schema with a new folder. Each `name` is pinned so a rename never re-runs one.

struct CreateOrganizations: AsyncMigration {
    var name: String { "001_create_organizations" }

    func prepare(on database: any Database) async throws {
        try await database.schema("organizations")
            .id()
            .field("name", .string, .required)
            .field("name_key", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "name_key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("organizations").delete()
    }
}

struct CreateUsers: AsyncMigration {
    var name: String { "001_create_users" }

    func prepare(on database: any Database) async throws {
        try await database.schema("users")
            .id()
            .field("email", .string, .required)
            .field("name", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "email")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").delete()
    }
}

struct CreateMemberships: AsyncMigration {
    var name: String { "001_create_memberships" }

    func prepare(on database: any Database) async throws {
        try await database.schema("memberships")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("role", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "organization_id", "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("memberships").delete()
    }
}

struct CreateProjects: AsyncMigration {
    var name: String { "001_create_projects" }

    func prepare(on database: any Database) async throws {
        try await database.schema("projects")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("name_key", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "organization_id", "name_key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("projects").delete()
    }
}

struct CreateProjectMembers: AsyncMigration {
    var name: String { "001_create_project_members" }

    func prepare(on database: any Database) async throws {
        try await database.schema("project_members")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("role", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "project_id", "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("project_members").delete()
    }
}

struct CreateServices: AsyncMigration {
    var name: String { "001_create_services" }

    func prepare(on database: any Database) async throws {
        try await database.schema("services")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("name_key", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "project_id", "name_key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("services").delete()
    }
}

struct CreateAPITokens: AsyncMigration {
    var name: String { "001_create_api_tokens" }

    func prepare(on database: any Database) async throws {
        try await database.schema("api_tokens")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("token_hash", .string, .required)
            .field("display_prefix", .string, .required)
            .field("created_at", .datetime)
            .field("last_used_at", .datetime)
            .field("revoked_at", .datetime)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("api_tokens").delete()
    }
}

struct CreateEventKeys: AsyncMigration {
    var name: String { "001_create_event_keys" }

    func prepare(on database: any Database) async throws {
        try await database.schema("event_keys")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("key_hash", .string, .required)
            .field("display_prefix", .string, .required)
            .field("created_by", .uuid, .references("users", "id", onDelete: .setNull))
            .field("created_at", .datetime)
            .field("last_used_at", .datetime)
            .field("revoked_at", .datetime)
            .unique(on: "key_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("event_keys").delete()
    }
}
