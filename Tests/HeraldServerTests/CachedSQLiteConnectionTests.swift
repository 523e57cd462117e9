import FluentKit
import Foundation
import HeraldCore
@testable import HeraldServer
import Logging
import NIOPosix
import SQLKit
import Testing

/// The writers' connection: kept statements run again with new values, every kind of value goes
/// in and comes out as SQLiteKit's would, and a failed statement leaves the connection usable.
@Suite struct CachedSQLiteConnectionTests {
    static func database() throws -> (CachedSQLiteConnection, any SQLDatabase) {
        let connection = try CachedSQLiteConnection(path: ":memory:")
        return (connection, connection.sql(logger: Logger(label: "test"), on: MultiThreadedEventLoopGroup.singleton.any()))
    }

    @Test("one statement kept and run with other values; every kind of value read back")
    func values() async throws {
        let (connection, sql) = try Self.database()
        defer { connection.close() }
        try await sql.raw("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, x REAL, b BLOB, s TEXT, at REAL)").run()
        let ids = [UUID(), UUID()]
        let at = Date(timeIntervalSince1970: 1_700_000_000.25)
        for (i, id) in ids.enumerated() {
            try await sql.raw("""
                INSERT INTO t (id, n, x, b, s, at) VALUES (\(bind: StoredUUID(id)), \(bind: i + 1), \(bind: 2.5 * Double(i + 1)),
                  \(bind: Data([0, 1, UInt8(i)])), \(bind: i == 0 ? "é 🔥" : nil as String?), \(bind: at))
                """).run()
        }
        let rows = try await sql.raw("SELECT id, n, x, b, s, at FROM t ORDER BY n").all()
        #expect(rows.count == 2)
        #expect(try rows.map { try $0.decodeUUID(column: "id") } == ids)
        #expect(try rows.map { try $0.decode(column: "n", as: Int.self) } == [1, 2])
        #expect(try rows.map { try $0.decode(column: "x", as: Double.self) } == [2.5, 5])
        #expect(try rows.map { try $0.decode(column: "b", as: Data.self) } == [Data([0, 1, 0]), Data([0, 1, 1])])
        #expect(try rows.map { try $0.decode(column: "s", as: String?.self) } == ["é 🔥", nil])
        #expect(try rows[1].decodeNil(column: "s") && !rows[0].decodeNil(column: "s"))
        #expect(try rows[0].decode(column: "at", as: Date.self) == at)
        #expect(rows[0].allColumns == ["id", "n", "x", "b", "s", "at"] && !rows[0].contains(column: "missing"))
        #expect(throws: MissingColumn.self) { try rows[0].decode(column: "missing", as: String.self) }
        // The id is stored as Foundation's text, so other connections read it as before.
        #expect(try rows[0].decode(column: "id", as: String.self) == ids[0].uuidString)
    }

    @Test("text is read back whole by its length, a NUL inside it included")
    func textWithNUL() async throws {
        let (connection, sql) = try Self.database()
        defer { connection.close() }
        try await sql.raw("CREATE TABLE t (s TEXT)").run()
        for text in ["a\u{0}b", "\u{0}", "é\u{0}🔥\u{0}"] {
            try await sql.raw("DELETE FROM t").run()
            try await sql.raw("INSERT INTO t (s) VALUES (\(bind: text))").run()
            let row = try #require(try await sql.raw("SELECT s, length(CAST(s AS BLOB)) AS n FROM t").first())
            #expect(try row.decode(column: "s", as: String.self) == text)
            #expect(try row.decode(column: "n", as: Int.self) == text.utf8.count)
        }
    }

    @Test("a failed statement throws SQLite's error and the connection goes on")
    func failure() async throws {
        let (connection, sql) = try Self.database()
        defer { connection.close() }
        try await sql.raw("CREATE TABLE t (id INTEGER PRIMARY KEY)").run()
        try await sql.raw("INSERT INTO t (id) VALUES (\(bind: 1))").run()
        let error = try #require(await #expect(throws: SQLiteStatementError.self) {
            try await sql.raw("INSERT INTO t (id) VALUES (\(bind: 1))").run()
        })
        #expect(error.isConstraintFailure && !error.isSyntaxError)
        #expect(error.description.contains("UNIQUE"))
        try await sql.raw("INSERT INTO t (id) VALUES (\(bind: 2))").run()
        let syntax = try #require(await #expect(throws: SQLiteStatementError.self) { try await sql.raw("SELEC 1").run() })
        #expect(syntax.isSyntaxError)
        #expect(try await sql.raw("SELECT COUNT(*) AS n FROM t").first()?.decode(column: "n", as: Int.self) == 2)
    }

    @Test("more statements than it keeps: the earlier ones are prepared again")
    func manyStatements() async throws {
        let (connection, sql) = try Self.database()
        defer { connection.close() }
        for i in 0..<(CachedSQLiteConnection.maxStatements + 10) {
            #expect(try await sql.raw("SELECT \(unsafeRaw: String(i)) AS v").first()?.decode(column: "v", as: Int.self) == i)
        }
        #expect(try await sql.raw("SELECT 0 AS v").first()?.decode(column: "v", as: Int.self) == 0)
    }

    @Test("a closed connection refuses statements")
    func closed() async throws {
        let (connection, sql) = try Self.database()
        connection.close()
        let error = try #require(await #expect(throws: SQLiteStatementError.self) { try await sql.raw("SELECT 1").run() })
        #expect(error.isConnectionClosed)
    }

    @Test("a writer that has shut down opens no connection again")
    func writerShutDown() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let writer = SQLiteWriter(path: path, pragmas: ["PRAGMA busy_timeout = 5000"])
        let gate = WriteGate(serialize: true)
        let logger = Logger(label: "test")
        try await writer.transaction(through: gate, logger: logger) { sql in try await sql.raw("CREATE TABLE t (n INTEGER)").run() }
        await writer.shutdown()
        await #expect(throws: SQLiteStatementError.self) {
            try await writer.transaction(through: gate, logger: logger) { sql in try await sql.raw("INSERT INTO t (n) VALUES (1)").run() }
        }
    }
}
