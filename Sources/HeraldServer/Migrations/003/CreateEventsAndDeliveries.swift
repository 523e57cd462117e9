import Fluent
import SQLKit

// Schema version 003: events, incidents and their timeline, living messages, the delivery
// outbox and per-channel pacing.

struct CreateIncidents: AsyncMigration {
    var name: String { "003_create_incidents" }

    func prepare(on database: any Database) async throws {
        try await database.schema("incidents")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("service_id", .uuid, .references("services", "id", onDelete: .setNull))
            .field("dedup_key", .string, .required)
            .field("title", .string, .required)
            .field("description", .string)
            .field("severity", .string)
            .field("tags", .string, .required)
            .field("status", .string, .required)
            .field("assignee", .string)
            .field("version", .int, .required)
            .field("link", .string)
            .field("opened_at", .datetime, .required)
            .field("acknowledged_at", .datetime)
            .field("resolved_at", .datetime)
            .field("last_event_at", .datetime, .required)
            .create()
        let sql = database as! any SQLDatabase
        // One open incident per key and project; resolved ones may repeat the key.
        try await sql.raw("CREATE UNIQUE INDEX incidents_open_key ON incidents (project_id, dedup_key) WHERE status <> 'resolved'").run()
        try await sql.raw("CREATE INDEX incidents_project_status ON incidents (project_id, status)").run()
        // The latest incident with a key (resolved ones included), for late acknowledgements.
        try await sql.raw("CREATE INDEX incidents_project_key_opened ON incidents (project_id, dedup_key, opened_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("incidents").delete()
    }
}

struct CreateEvents: AsyncMigration {
    var name: String { "003_create_events" }

    func prepare(on database: any Database) async throws {
        try await database.schema("events")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("incident_id", .uuid, .references("incidents", "id", onDelete: .setNull))
            .field("kind", .string, .required)
            .field("action", .string)
            .field("dedup_key", .string)
            .field("title", .string)
            .field("text", .string)
            .field("severity", .string)
            .field("service_id", .uuid, .references("services", "id", onDelete: .setNull))
            .field("tags", .string, .required)
            .field("link", .string)
            .field("rule", .string)
            .field("source", .string, .required)
            .field("outcome", .string)
            .field("occurred_at", .datetime, .required)
            .field("received_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).raw("CREATE INDEX events_project_received ON events (project_id, received_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("events").delete()
    }
}

struct CreateIncidentTimeline: AsyncMigration {
    var name: String { "003_create_incident_timeline" }

    func prepare(on database: any Database) async throws {
        try await database.schema("incident_timeline")
            .id()
            .field("incident_id", .uuid, .required, .references("incidents", "id", onDelete: .cascade))
            .field("event_id", .uuid, .references("events", "id", onDelete: .setNull))
            .field("kind", .string, .required)
            .field("summary", .string, .required)
            .field("actor", .string)
            .field("at", .datetime, .required)
            .field("seq", .int, .required)
            .create()
        try await (database as! any SQLDatabase).raw("CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, seq)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("incident_timeline").delete()
    }
}

struct CreateMessages: AsyncMigration {
    var name: String { "003_create_messages" }

    func prepare(on database: any Database) async throws {
        try await database.schema("messages")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("incident_id", .uuid, .references("incidents", "id", onDelete: .cascade))
            .field("event_id", .uuid, .references("events", "id", onDelete: .setNull))
            .field("sink", .string, .required)
            .field("target", .string, .required)
            .field("credential", .string, .required)
            .field("pacing_key", .string, .required)
            .field("channel_id", .string)
            .field("ts", .string)
            .field("rendered_version", .int, .required)
            .field("last_sent_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "incident_id", "sink", "target", "credential")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("messages").delete()
    }
}

struct CreateDeliveries: AsyncMigration {
    var name: String { "003_create_deliveries" }

    func prepare(on database: any Database) async throws {
        try await database.schema("deliveries")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("message_id", .uuid, .required, .references("messages", "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("sink", .string, .required)
            .field("target", .string, .required)
            .field("pacing_key", .string, .required)
            .field("state", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("lease_expires_at", .datetime)
            .field("claimed_by", .string)
            .field("last_error", .string)
            .field("last_error_code", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("sent_at", .datetime)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at)").run()
        try await sql.raw("CREATE INDEX deliveries_message ON deliveries (message_id, state)").run()
        try await sql.raw("CREATE INDEX deliveries_channel_due ON deliveries (pacing_key, state, next_attempt_at)").run()
        try await sql.raw("CREATE INDEX deliveries_project ON deliveries (project_id, created_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("deliveries").delete()
    }
}

struct CreateChannelPacing: AsyncMigration {
    var name: String { "003_create_channel_pacing" }

    func prepare(on database: any Database) async throws {
        try await database.schema("channel_pacing")
            .field("pacing_key", .string, .identifier(auto: false))
            .field("next_allowed_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("channel_pacing").delete()
    }
}
