import Fluent
import SQLKit

// Schema version 006: integrations, alert rules, a clear policy per message, runbooks and their
// tasks, and a personal Slack token per user.

/// A project's named routes (SPEC §1): a source and a sink. The sink's secrets are one sealed JSON
/// value (``SinkCredential``), bound to the row's id; its last outcome is kept for the API and pages.
struct CreateIntegrations: AsyncMigration {
    var name: String { "006_create_integrations" }

    func prepare(on database: any Database) async throws {
        try await database.schema("integrations")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("name_key", .string, .required)
            .field("source", .string, .required)
            .field("sink", .string, .required)
            .field("target", .string, .required)
            .field("credential_sealed", .string)
            .field("credential_fingerprint", .string)
            .field("last_outcome", .string)
            .field("last_error", .string)
            .field("last_outcome_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "project_id", "name_key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("integrations").delete()
    }
}

/// Alert rules (SPEC §4.3) and the integrations each names, in order.
struct CreateAlertRules: AsyncMigration {
    var name: String { "006_create_alert_rules" }

    func prepare(on database: any Database) async throws {
        try await database.schema("alert_rules")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("name_key", .string, .required)
            .field("notify_on_clear", .bool, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "project_id", "name_key")
            .create()
        try await database.schema("alert_rule_integrations")
            .field("rule_id", .uuid, .required, .references("alert_rules", "id", onDelete: .cascade))
            .field("integration_id", .uuid, .required, .references("integrations", "id", onDelete: .cascade))
            .field("position", .int, .required)
            .compositeIdentifier(over: "rule_id", "integration_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("alert_rule_integrations").delete()
        try await database.schema("alert_rules").delete()
    }
}

/// Runbooks (SPEC §7) in `live` or `rehearsal` mode, their tasks, and each task's state.
struct CreateRunbooks: AsyncMigration {
    var name: String { "006_create_runbooks" }

    func prepare(on database: any Database) async throws {
        try await database.schema("runbooks")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("mode", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("runbook_tasks")
            .id()
            .field("runbook_id", .uuid, .required, .references("runbooks", "id", onDelete: .cascade))
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("type", .string, .required)
            .field("channel", .string, .required)
            .field("message", .string, .required)
            .field("run_in_rehearsal", .bool, .required)
            .field("as_user", .bool, .required)
            .field("state", .string, .required)
            .field("message_id", .uuid)
            .field("external_ref", .string)
            .field("error_code", .string)
            .field("error", .string)
            .field("started_by", .uuid, .references("users", "id", onDelete: .setNull))
            .field("started_at", .datetime)
            .field("finished_at", .datetime)
            .field("created_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).raw("CREATE INDEX runbook_tasks_message ON runbook_tasks (message_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("runbook_tasks").delete()
        try await database.schema("runbooks").delete()
    }
}

/// What a clear does to each message (``ClearPolicy``), decided when the message is created; the
/// task a message belongs to, when it is a runbook task's.
struct AddMessagePolicyAndTask: AsyncMigration {
    var name: String { "006_add_message_policy_and_task" }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE messages ADD COLUMN on_clear TEXT NOT NULL DEFAULT 'notify'").run()
        try await sql.raw("ALTER TABLE messages ADD COLUMN task_id UUID").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE messages DROP COLUMN task_id").run()
        try await sql.raw("ALTER TABLE messages DROP COLUMN on_clear").run()
    }
}

/// A user's personal Slack user token (sealed, write-only), for tasks sent as that user: a table of
/// its own, so the users table (read everywhere) never carries a secret.
struct AddUserSlackToken: AsyncMigration {
    var name: String { "006_add_user_slack_token" }

    func prepare(on database: any Database) async throws {
        try await database.schema("user_slack_tokens")
            .field("user_id", .uuid, .identifier(auto: false), .references("users", "id", onDelete: .cascade))
            .field("token_sealed", .string, .required)
            .field("token_fingerprint", .string, .required)
            .field("updated_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_slack_tokens").delete()
    }
}
