import Fluent
import SQLKit

// Schema version 008: web sign-in — a password per user, sessions, and failed sign-ins counted for
// throttling. Each in a table of its own: the users table, read everywhere, never carries a secret.

/// A user's web password, as a Bcrypt hash.
struct CreateUserPasswords: AsyncMigration {
    var name: String { "008_create_user_passwords" }

    func prepare(on database: any Database) async throws {
        try await database.schema("user_passwords")
            .field("user_id", .uuid, .identifier(auto: false), .references("users", "id", onDelete: .cascade))
            .field("password_hash", .string, .required)
            .field("updated_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_passwords").delete()
    }
}

/// Signed-in browsers: the SHA-256 of the session cookie (never the cookie), its user, the CSRF
/// token its forms carry, and when it ends.
struct CreateWebSessions: AsyncMigration {
    var name: String { "008_create_web_sessions" }

    func prepare(on database: any Database) async throws {
        try await database.schema("web_sessions")
            .field("token_hash", .string, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("csrf_token", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_seen_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX web_sessions_user ON web_sessions (user_id)").run()
        try await sql.raw("CREATE INDEX web_sessions_expiry ON web_sessions (expires_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("web_sessions").delete()
    }
}

/// Failed sign-ins per account and per address, in a sliding window, for throttling.
struct CreateLoginThrottle: AsyncMigration {
    var name: String { "008_create_login_throttle" }

    func prepare(on database: any Database) async throws {
        try await database.schema("login_throttle")
            .field("scope_key", .string, .identifier(auto: false))
            .field("failures", .int, .required)
            .field("window_started_at", .datetime, .required)
            .field("locked_until", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("login_throttle").delete()
    }
}
