import Fluent
import Foundation
import SQLKit

extension Database {
    /// Locks row `id` of `model`'s table until the transaction ends (PostgreSQL's `FOR NO KEY
    /// UPDATE`), so writers that read-then-decide about it go one at a time. SQLite has one writer
    /// (``WriteGate``), so there it does nothing.
    func lockRow<M: Model>(_ model: M.Type, id: UUID) async throws {
        let sql = self as! any SQLDatabase
        guard sql.dialect.name != "sqlite" else { return }
        _ = try await sql.raw("SELECT id FROM \(ident: M.schema) WHERE id = \(bind: id) FOR NO KEY UPDATE").all()
    }
}
