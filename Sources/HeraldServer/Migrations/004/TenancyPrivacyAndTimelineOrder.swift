import Fluent
import SQLKit

// Schema version 004: organization names no longer unique across tenants, member names per
// organization, and one timeline sequence number per incident entry.

/// Organization names were unique across all tenants, so a `409` told one tenant another's
/// organization name. The unique constraint becomes a plain index (lookups by name stay fast).
/// SQLite cannot drop a table constraint, so there the table is rebuilt (foreign keys off on the
/// migrating connection, so the child tables' rows stay as they are).
struct OrganizationNamesNotUnique: AsyncMigration {
    var name: String { "004_organization_names_not_unique" }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "sqlite" {
            try await Self.rebuildOrganizations(on: database, unique: false)
        } else {
            try await sql.raw(#"ALTER TABLE organizations DROP CONSTRAINT "uq:organizations.name_key""#).run()
            try await sql.raw("CREATE INDEX organizations_name_key ON organizations (name_key)").run()
        }
    }

    /// Fails (changing nothing) if two organizations now share a name.
    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "sqlite" {
            try await Self.rebuildOrganizations(on: database, unique: true)
        } else {
            try await sql.raw(#"ALTER TABLE organizations ADD CONSTRAINT "uq:organizations.name_key" UNIQUE (name_key)"#).run()
            try await sql.raw("DROP INDEX organizations_name_key").run()
        }
    }

    /// SQLite's documented way to change a table's constraints: a new table, the rows copied, the old
    /// table dropped and the new one renamed, in one transaction with foreign keys off.
    private static func rebuildOrganizations(on database: any Database, unique: Bool) async throws {
        try await database.withConnection { connection in
            let sql = connection as! any SQLDatabase
            try await sql.raw("PRAGMA foreign_keys = OFF").run()
            do {
                try await sql.raw("BEGIN IMMEDIATE").run()
                do {
                    let constraint = unique ? #", CONSTRAINT "uq:organizations.name_key" UNIQUE ("name_key")"# : ""
                    try await sql.raw("""
                        CREATE TABLE "organizations_004" ("id" UUID PRIMARY KEY, "name" TEXT NOT NULL, "name_key" TEXT NOT NULL,
                          "created_at" REAL\(unsafeRaw: constraint))
                        """).run()
                    try await sql.raw(#"INSERT INTO "organizations_004" SELECT "id", "name", "name_key", "created_at" FROM "organizations""#).run()
                    try await sql.raw(#"DROP TABLE "organizations""#).run()
                    try await sql.raw(#"ALTER TABLE "organizations_004" RENAME TO "organizations""#).run()
                    if !unique { try await sql.raw("CREATE INDEX organizations_name_key ON organizations (name_key)").run() }
                    let broken = try await sql.raw("PRAGMA foreign_key_check").all()
                    guard broken.isEmpty else { throw MigrationFailure("rebuilding organizations broke \(broken.count) foreign keys") }
                    try await sql.raw("COMMIT").run()
                } catch {
                    try? await sql.raw("ROLLBACK").run()
                    throw error
                }
            } catch {
                try? await sql.raw("PRAGMA foreign_keys = ON").run()
                throw error
            }
            try await sql.raw("PRAGMA foreign_keys = ON").run()
        }
    }
}

/// Each organization names its members for itself: a member's name given by one organization was
/// shown to every other organization the user joined. Existing names move to the user's first
/// membership (the organization that most likely gave them), and users who belong to an
/// organization keep a neutral name (the part of their email before `@`): Herald cannot tell a
/// name the user chose from one an organization gave, so it keeps neither where others see it.
/// `revert` puts the first membership's name back on the user.
struct AddMembershipName: AsyncMigration {
    var name: String { "004_add_membership_name" }

    func prepare(on database: any Database) async throws {
        try await database.schema("memberships").field("name", .string).update()
        let sql = database as! any SQLDatabase
        try await sql.raw("""
            UPDATE memberships SET name = (SELECT u.name FROM users u WHERE u.id = memberships.user_id)
            WHERE id IN (SELECT m.id FROM memberships m WHERE NOT EXISTS (
                SELECT 1 FROM memberships e WHERE e.user_id = m.user_id
                  AND (e.created_at < m.created_at OR (e.created_at = m.created_at AND e.id < m.id))))
            """).run()
        // Users who belong to an organization keep the part of their email before `@`.
        let localPart = sql.dialect.name == "sqlite"
            ? SQLRaw("CASE WHEN instr(email, '@') > 0 THEN substr(email, 1, instr(email, '@') - 1) ELSE email END")
            : SQLRaw("split_part(email, '@', 1)")
        try await sql.raw("""
            UPDATE users SET name = \(localPart) WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id)
            """).run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("""
            UPDATE users SET name = (SELECT m.name FROM memberships m WHERE m.user_id = users.id AND m.name IS NOT NULL
                                     ORDER BY m.created_at, m.id LIMIT 1)
            WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.name IS NOT NULL)
            """).run()
        try await database.schema("memberships").deleteField("name").update()
    }
}

/// Timeline sequence numbers are unique per incident (they were read-then-written without a lock
/// on PostgreSQL). Any duplicates written before are renumbered first, keeping their order.
struct UniqueTimelineSequence: AsyncMigration {
    var name: String { "004_unique_timeline_sequence" }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("""
            UPDATE incident_timeline SET seq = r.n
            FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY incident_id ORDER BY seq, at, id) AS n FROM incident_timeline) AS r
            WHERE incident_timeline.id = r.id AND incident_timeline.seq <> r.n
            """).run()
        try await sql.raw("CREATE UNIQUE INDEX IF NOT EXISTS incident_timeline_seq ON incident_timeline (incident_id, seq)").run()
        try await sql.raw("DROP INDEX IF EXISTS incident_timeline_incident").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, seq)").run()
        try await sql.raw("DROP INDEX incident_timeline_seq").run()
    }
}

/// A migration that cannot go on.
struct MigrationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
