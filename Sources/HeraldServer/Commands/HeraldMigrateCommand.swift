import Vapor

/// `herald migrate`: applies pending migrations (no prompt), then exits.
struct HeraldMigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        init() {}
    }

    var help: String { "Applies pending database migrations." }

    func run(using context: CommandContext, signature: Signature) async throws {
        // A migration may rebuild a table: never beside a running serve or worker on SQLite.
        try context.application.holdSQLiteProcessLock()
        try await DatabaseSetup.prepare(context.application)
        context.console.print("Database is migrated.")
    }
}
