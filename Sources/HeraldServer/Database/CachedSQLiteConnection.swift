import FluentKit
import Foundation
import HeraldCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import SQLiteKit
import VaporCSQLite

/// SQLite only: a writer's connection straight on SQLite's C API (the library SQLiteNIO vendors,
/// so one SQLite in the process), keeping each statement it prepares. SQLiteNIO prepares every
/// statement afresh and finalizes it after: on the intake writer's thread, that was 15 % of its
/// time (and binding values through `Codable` 7.5 %), while that thread is the one every event
/// waits for. Statements run on the calling thread, which is the writer's own (see
/// ``SQLiteWriter``), so no statement waits for a thread hop either.
final class CachedSQLiteConnection: @unchecked Sendable {
    /// Guards everything below; a statement runs inside it, from bind to last row.
    private let lock = NIOLock()
    private var handle: OpaquePointer?
    private var statements: [String: Prepared] = [:]
    /// Statements kept, at most (intake's multi-row inserts have one text per row count).
    static let maxStatements = 512

    /// A kept statement and its columns' names.
    private struct Prepared {
        var statement: OpaquePointer
        var columns: CachedSQLiteRow.Columns
    }

    init(path: String) throws {
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
        var opened: OpaquePointer?
        let status = sqlite_nio_sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            let error = SQLiteStatementError(code: status, message: opened.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open")
            sqlite_nio_sqlite3_close(opened)
            throw error
        }
        handle = opened
    }

    /// Runs `sql` with `binds`, calling `row` with each row's values (in the columns' order).
    func run(_ sql: String, _ binds: [SQLiteData], _ row: (CachedSQLiteRow.Columns, [SQLiteData]) -> Void) throws {
        try lock.withLock {
            guard let handle else { throw SQLiteStatementError.closed("the connection is closed") }
            let prepared = try prepared(sql, on: handle)
            let statement = prepared.statement
            defer {
                sqlite_nio_sqlite3_reset(statement)
                sqlite_nio_sqlite3_clear_bindings(statement)
            }
            for (index, value) in binds.enumerated() {
                let i = Int32(index + 1)
                let status: Int32 = switch value {
                case .text(let text): sqlite_nio_sqlite3_bind_text64(statement, i, text, UInt64(text.utf8.count), transientValue, UInt8(SQLITE_UTF8))
                case .integer(let n): sqlite_nio_sqlite3_bind_int64(statement, i, Int64(n))
                case .float(let x): sqlite_nio_sqlite3_bind_double(statement, i, x)
                case .null: sqlite_nio_sqlite3_bind_null(statement, i)
                case .blob(let bytes):
                    bytes.withUnsafeReadableBytes { sqlite_nio_sqlite3_bind_blob64(statement, i, $0.baseAddress, UInt64($0.count), transientValue) }
                }
                guard status == SQLITE_OK else { throw error(status, on: handle) }
            }
            let count = Int32(prepared.columns.names.count)
            while true {
                let status = sqlite_nio_sqlite3_step(statement)
                if status == SQLITE_DONE { return }
                guard status == SQLITE_ROW else { throw error(status, on: handle) }
                var values: [SQLiteData] = []
                values.reserveCapacity(Int(count))
                for column in 0..<count { values.append(try value(statement, column)) }
                row(prepared.columns, values)
            }
        }
    }

    /// Finalizes every kept statement and closes the connection.
    func close() {
        lock.withLock {
            for prepared in statements.values { sqlite_nio_sqlite3_finalize(prepared.statement) }
            statements = [:]
            if let handle { sqlite_nio_sqlite3_close(handle) }
            handle = nil
        }
    }

    deinit {
        close()
    }

    private func prepared(_ sql: String, on handle: OpaquePointer) throws -> Prepared {
        if let kept = statements[sql] { return kept }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK else { throw error(status, on: handle) }
        guard let statement else { throw SQLiteStatementError(code: SQLITE_MISUSE, message: "no statement in the text") }
        var names: [String] = []
        for i in 0..<sqlite_nio_sqlite3_column_count(statement) {
            names.append(sqlite_nio_sqlite3_column_name(statement, i).map { String(cString: $0) } ?? "")
        }
        let prepared = Prepared(statement: statement, columns: CachedSQLiteRow.Columns(names))
        if statements.count >= Self.maxStatements {
            for kept in statements.values { sqlite_nio_sqlite3_finalize(kept.statement) }
            statements = [:]
        }
        statements[sql] = prepared
        return prepared
    }

    /// A column's value, as SQLiteNIO reads it.
    private func value(_ statement: OpaquePointer, _ column: Int32) throws -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else {
                throw SQLiteStatementError(code: SQLITE_ERROR, message: "unexpected nil column text")
            }
            // By its byte length, not up to a NUL: text is read back whole (SQLiteNIO's reader stops at one).
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) { buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length)) }
            return .blob(buffer)
        case SQLITE_NULL: return .null
        default: throw SQLiteStatementError(code: SQLITE_ERROR, message: "unexpected column type")
        }
    }

    private func error(_ status: Int32, on handle: OpaquePointer) -> SQLiteStatementError {
        SQLiteStatementError(code: status, message: sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "")
    }

    /// The connection as SQLKit's database, for intake's and the delivery loop's statements.
    func sql(logger: Logger, on eventLoop: any EventLoop) -> any SQLDatabase {
        CachedSQLiteDatabase(connection: self, logger: logger, eventLoop: eventLoop)
    }
}

/// SQLite's `SQLITE_TRANSIENT` (a macro Swift cannot import): SQLite copies the bound value.
private let transientValue = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// SQLite's answer to a statement that failed: its (extended) result code and message.
struct SQLiteStatementError: Error, CustomStringConvertible, DatabaseError {
    var code: Int32
    var message: String

    /// A statement refused because there is no connection to run it on.
    static func closed(_ message: String) -> Self { Self(code: SQLITE_MISUSE, message: message) }

    var description: String { "SQLite error \(code): \(message)" }
    var isSyntaxError: Bool { code & 0xff == SQLITE_ERROR }
    var isConstraintFailure: Bool { code & 0xff == SQLITE_CONSTRAINT }
    var isConnectionClosed: Bool { code == SQLITE_MISUSE || code & 0xff == SQLITE_CANTOPEN }
}

/// A row of a ``CachedSQLiteConnection``'s statement, read as SQLiteKit reads its rows.
struct CachedSQLiteRow: SQLRow {
    /// A statement's column names and where each is, shared by its rows.
    final class Columns: Sendable {
        let names: [String]
        let index: [String: Int]

        init(_ names: [String]) {
            self.names = names
            // The first of two columns with one name wins, as in SQLiteNIO.
            index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    let columns: Columns
    let values: [SQLiteData]
    let decoder: SQLiteDataDecoder

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.index[column] != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let i = columns.index[column] else { return true }
        return values[i] == .null
    }

    func decode<D: Decodable>(column: String, as: D.Type) throws -> D {
        guard let i = columns.index[column] else {
            throw MissingColumn(column: column)
        }
        return try decoder.decode(D.self, from: values[i])
    }
}

/// A column asked of a row that has none of that name.
struct MissingColumn: Error {
    let column: String
}

/// SQLKit's view of a ``CachedSQLiteConnection``: SQLite's dialect, statements run on the calling
/// thread. Values are bound as SQLiteKit binds them; text, ids and integers without `Codable`.
struct CachedSQLiteDatabase: SQLDatabase {
    let connection: CachedSQLiteConnection
    let logger: Logger
    let eventLoop: any EventLoop
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { .debug }
    private static let encoder = SQLiteDataEncoder()
    private static let decoder = SQLiteDataDecoder()

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try run(query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> ()) throws {
        let (sql, binds) = serialize(query)
        if let level = queryLogLevel {
            logger.log(level: level, "Executing query", metadata: ["sql": .string(sql), "binds": .array(binds.map { .string("\($0)") })])
        }
        let values = try binds.map(Self.value)
        try connection.run(sql, values) { columns, row in onRow(CachedSQLiteRow(columns: columns, values: row, decoder: Self.decoder)) }
    }

    /// A bound value as SQLiteKit's encoder makes it; the commonest kinds directly.
    private static func value(_ bind: any Encodable & Sendable) throws -> SQLiteData {
        switch bind {
        case let text as String: .text(text)
        case let id as StoredUUID: id.sqliteData ?? .null
        case let n as Int: .integer(n)
        default: try encoder.encode(bind)
        }
    }
}
