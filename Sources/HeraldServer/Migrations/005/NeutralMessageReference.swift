import Fluent
import Foundation
import HeraldSinks
import SQLKit

// Schema version 005: messages keep a sink-neutral reference instead of Slack's own columns.

/// `messages.channel_id` and `messages.ts` were Slack's. They become one opaque `external_ref`,
/// which each sink writes and reads in its own form; a Slack bot message's is
/// `{"channel":"C…","ts":"…"}` (``SlackMessageReference``), so every living message posted before
/// the migration stays editable. Channel ids and ts hold no quotes or backslashes, so the
/// concatenation below is valid JSON.
struct NeutralMessageReference: AsyncMigration {
    var name: String { "005_neutral_message_reference" }

    /// In one transaction (both databases have transactional DDL): a failure leaves the old columns.
    /// Every process of the previous version must be stopped first: it reads `channel_id` and `ts`.
    func prepare(on database: any Database) async throws {
        try await database.transaction { db in
            let sql = db as! any SQLDatabase
            try await sql.raw("ALTER TABLE messages ADD COLUMN external_ref TEXT").run()
            try await sql.raw("""
                UPDATE messages SET external_ref = '{"channel":"' || channel_id || '","ts":"' || ts || '"}'
                WHERE ts IS NOT NULL AND channel_id IS NOT NULL
                """).run()
            try await sql.raw("ALTER TABLE messages DROP COLUMN channel_id").run()
            try await sql.raw("ALTER TABLE messages DROP COLUMN ts").run()
        }
    }

    /// Back to Slack's columns; references of other sinks are dropped.
    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE messages ADD COLUMN channel_id TEXT").run()
        try await sql.raw("ALTER TABLE messages ADD COLUMN ts TEXT").run()
        let rows = try await sql.raw("SELECT id, external_ref FROM messages WHERE sink = 'slack' AND external_ref IS NOT NULL").all()
        for row in rows {
            let id = try row.decode(column: "id", as: UUID.self)
            guard let reference = SlackMessageReference(decoding: try row.decode(column: "external_ref", as: String.self)) else { continue }
            try await sql.update("messages").set("channel_id", to: reference.channel).set("ts", to: reference.ts)
                .where("id", .equal, id).run()
        }
        try await sql.raw("ALTER TABLE messages DROP COLUMN external_ref").run()
    }
}
