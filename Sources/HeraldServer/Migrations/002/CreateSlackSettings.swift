import Fluent

// Schema version 002: Slack settings per organization and project, a Slack channel per service.

struct CreateSlackSettings: AsyncMigration {
    var name: String { "002_create_slack_settings" }

    func prepare(on database: any Database) async throws {
        try await database.schema("slack_settings")
            .id()
            .field("organization_id", .uuid, .references("organizations", "id", onDelete: .cascade))
            .field("project_id", .uuid, .references("projects", "id", onDelete: .cascade))
            .field("enabled", .bool, .required)
            .field("token_sealed", .string)
            .field("token_fingerprint", .string)
            .field("channels", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "organization_id")
            .unique(on: "project_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("slack_settings").delete()
    }
}

struct AddServiceSlackChannel: AsyncMigration {
    var name: String { "002_add_service_slack_channel" }

    func prepare(on database: any Database) async throws {
        try await database.schema("services").field("slack_channel", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("services").deleteField("slack_channel").update()
    }
}
