import Fluent
import SQLKit

// Schema version 007: the Slack app — installations with their workspace, OAuth states, receipts
// of Slack's requests, watched channels, threaded updates.

/// An organization's Slack app installation (SPEC §1, §6): its workspace, bot user and scopes, so an
/// inbound request finds its organization by team. The bot token itself is the organization's
/// sealed Slack token (`slack_settings`). One organization, one workspace; one workspace is
/// installed into at most one organization (a partial unique index over the live rows).
struct CreateSlackInstallations: AsyncMigration {
    var name: String { "007_create_slack_installations" }

    func prepare(on database: any Database) async throws {
        try await database.schema("slack_installations")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("team_id", .string, .required)
            .field("team_name", .string)
            .field("bot_user_id", .string)
            .field("app_id", .string)
            .field("scopes", .string, .required)
            .field("installed_by", .uuid)
            .field("installed_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .field("revoked_reason", .string)
            .field("channels_json", .string)
            .field("channels_fetched_at", .datetime)
            .unique(on: "organization_id")
            .create()
        try await (database as! any SQLDatabase).raw("""
            CREATE UNIQUE INDEX slack_installations_live_team ON slack_installations (team_id) WHERE revoked_at IS NULL
            """).run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("slack_installations").delete()
    }
}

/// OAuth `state`s handed out by `/slack/install`: each used once, within its expiry, by the browser
/// that started the install (the hash of a cookie set with the link).
struct CreateSlackOAuthStates: AsyncMigration {
    var name: String { "007_create_slack_oauth_states" }

    func prepare(on database: any Database) async throws {
        try await database.schema("slack_oauth_states")
            .field("nonce", .string, .identifier(auto: false))
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("browser_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("slack_oauth_states").delete()
    }
}

/// What Herald has already done for Slack: an event id, an action, a view submission. A retry or a
/// repeated payload finds its receipt and changes nothing.
struct CreateSlackReceipts: AsyncMigration {
    var name: String { "007_create_slack_receipts" }

    func prepare(on database: any Database) async throws {
        try await database.schema("slack_receipts")
            .field("receipt_key", .string, .identifier(auto: false))
            .field("received_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).raw("CREATE INDEX slack_receipts_received ON slack_receipts (received_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("slack_receipts").delete()
    }
}

/// A service's watched channel (a message there opens an incident); `threadUpdates` at the settings
/// levels (null: inherit) and on integrations; per message, whether its updates are also threaded
/// and the last timeline entry replied; per reply delivery, the entries it reports.
struct AddWatchedChannelsAndThreads: AsyncMigration {
    var name: String { "007_add_watched_channels_and_threads" }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE services ADD COLUMN watch_channel TEXT").run()
        try await sql.raw("CREATE INDEX services_watch_channel ON services (watch_channel)").run()
        try await sql.raw("ALTER TABLE slack_settings ADD COLUMN thread_updates BOOLEAN").run()
        try await sql.raw("ALTER TABLE integrations ADD COLUMN thread_updates BOOLEAN NOT NULL DEFAULT false").run()
        try await sql.raw("ALTER TABLE messages ADD COLUMN thread_updates BOOLEAN NOT NULL DEFAULT false").run()
        try await sql.raw("ALTER TABLE messages ADD COLUMN replied_seq BIGINT NOT NULL DEFAULT 0").run()
        try await sql.raw("ALTER TABLE deliveries ADD COLUMN reply_from_seq BIGINT").run()
        try await sql.raw("ALTER TABLE deliveries ADD COLUMN reply_to_seq BIGINT").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE deliveries DROP COLUMN reply_to_seq").run()
        try await sql.raw("ALTER TABLE deliveries DROP COLUMN reply_from_seq").run()
        try await sql.raw("ALTER TABLE messages DROP COLUMN replied_seq").run()
        try await sql.raw("ALTER TABLE messages DROP COLUMN thread_updates").run()
        try await sql.raw("ALTER TABLE integrations DROP COLUMN thread_updates").run()
        try await sql.raw("ALTER TABLE slack_settings DROP COLUMN thread_updates").run()
        try await sql.raw("DROP INDEX services_watch_channel").run()
        try await sql.raw("ALTER TABLE services DROP COLUMN watch_channel").run()
    }
}
