import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import HeraldCore
import SQLKit
import Vapor

extension DatabaseID {
    /// A second PostgreSQL pool holding the migration lock, so the lock's connection is never the
    /// one migrations need.
    static let psqlLock = DatabaseID(string: "psql_lock")
}

enum DatabaseSetup {
    /// Registers the configured database as the default.
    static func register(_ database: HeraldConfiguration.Database, on app: Application) throws {
        switch database {
        case .sqlite(let path):
            app.databases.use(.sqlite(.file(path), sqlLogLevel: .trace), as: .sqlite)
        case .postgres(let location):
            var sqlConfiguration = SQLPostgresConfiguration(
                hostname: location.host, port: location.port, username: location.username,
                password: location.password, database: location.database,
                tls: location.requireTLS ? try .require(.init(configuration: .makeClientConfiguration())) : .disable
            )
            sqlConfiguration.searchPath = location.searchPath
            app.databases.use(.postgres(configuration: sqlConfiguration, maxConnectionsPerEventLoop: 4, sqlLogLevel: .trace), as: .psql)
            app.databases.use(.postgres(configuration: sqlConfiguration, maxConnectionsPerEventLoop: 1, sqlLogLevel: .trace), as: .psqlLock, isDefault: false)
            app.databases.default(to: .psql)
        }
    }

    /// Set on every SQLite connection: a 5 s busy timeout (replacing SQLiteNIO's retry-forever
    /// handler); `synchronous` as configured (`FULL` by default: every commit reaches the disk
    /// before Herald answers, so an accepted event survives power loss; group commit makes that one
    /// fsync per batch); 16 MiB of page cache (SQLite's default is 2 MiB), so the outbox's indexes
    /// stay in memory; temporary files in memory: a multi-row statement's journal (kept only to undo
    /// that statement) otherwise spills past 64 KiB to a file created, written and deleted each time.
    static func sqliteConnectionPragmas(_ configuration: HeraldConfiguration) -> [String] {
        ["PRAGMA busy_timeout = 5000", "PRAGMA synchronous = \(configuration.sqliteSynchronous.rawValue.uppercased())",
         "PRAGMA cache_size = -16384", "PRAGMA temp_store = MEMORY"]
    }

    /// SQLite: write-ahead logging (persists in the file), and ``sqliteConnectionPragmas(_:)`` on each
    /// event loop's connection.
    static func tuneSQLite(_ app: Application) async throws {
        guard case .sqlite = app.herald.configuration.database else { return }
        guard let sql = app.db as? any SQLDatabase else { return }
        try await sql.raw("PRAGMA journal_mode = WAL").run()
        let pragmas = sqliteConnectionPragmas(app.herald.configuration)
        for eventLoop in app.eventLoopGroup.makeIterator() {
            let db = app.databases.database(logger: app.logger, on: eventLoop)
            for pragma in pragmas { try await (db as? any SQLDatabase)?.raw("\(unsafeRaw: pragma)").run() }
        }
    }

    /// Runs pending migrations and creates the first owner, under a PostgreSQL advisory lock so that
    /// several processes starting together do not race.
    static func prepare(_ app: Application) async throws {
        try await withMigrationLock(app) {
            try await app.autoMigrate()
            try await bootstrapAdmin(app)
        }
    }

    private static func withMigrationLock(_ app: Application, _ body: @escaping @Sendable () async throws -> Void) async throws {
        guard app.herald.configuration.database.isPostgres,
              let lockDB = app.databases.database(.psqlLock, logger: app.logger, on: app.eventLoopGroup.any())
        else { return try await body() }
        // A session-level lock held on one connection, keyed by schema so that per-schema test
        // databases do not wait on each other.
        let key = "hashtext('herald-migrate:' || current_schema())"
        try await lockDB.withConnection { conn in
            guard let sql = conn as? any SQLDatabase else { return }
            try await sql.raw("SELECT pg_advisory_lock(\(unsafeRaw: key))").run()
            do {
                try await body()
            } catch {
                try? await sql.raw("SELECT pg_advisory_unlock(\(unsafeRaw: key))").run()
                throw error
            }
            try await sql.raw("SELECT pg_advisory_unlock(\(unsafeRaw: key))").run()
        }
    }

    /// `HERALD_ADMIN_EMAIL` + `HERALD_ADMIN_TOKEN`: on a database with no users, create that user
    /// with that API token. Does nothing once any user exists.
    static func bootstrapAdmin(_ app: Application) async throws {
        let config = app.herald.configuration
        guard let email = config.adminEmail, let token = config.adminToken else { return }
        let logger = app.logger
        try await app.herald.storage.writeGate.transaction(app.db) { db in
            guard try await User.query(on: db).count() == 0 else { return }
            let user = User(email: email, name: String(email.split(separator: "@")[0]))
            try await user.create(on: db)
            let row = APIToken(userID: try user.requireID(), name: "HERALD_ADMIN_TOKEN",
                               tokenHash: CredentialFactory.hash(token), displayPrefix: String(token.prefix(4)))
            try await row.create(on: db)
            logger.notice("created the first user \(email) with HERALD_ADMIN_TOKEN; create an organization with POST /api/v1/orgs")
        }
    }
}
