import Fluent
import Foundation
import SQLKit
import Vapor

extension Request {
    /// A write transaction through the application's ``WriteGate``. Every write goes through it, so
    /// SQLite never sees two writers (and never answers SQLITE_BUSY).
    func write<T: Sendable>(file: String = #fileID, line: Int = #line,
                            _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await herald.writeGate.transaction(db, file: file, line: line, body)
    }
}

/// A fair async mutex.
actor AsyncMutex {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func lock() async {
        if !locked {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func unlock() {
        if waiters.isEmpty { locked = false } else { waiters.removeFirst().resume() }
    }
}

/// Write transactions. SQLite allows one writer, and a deferred transaction that reads and then
/// writes fails at once (SQLITE_BUSY_SNAPSHOT) if another connection wrote in between. So on
/// SQLite every write transaction takes the write lock up front (`BEGIN IMMEDIATE`, which waits
/// through the busy timeout instead of failing) and the transactions of this process queue on one
/// mutex rather than spinning in SQLite's busy handler. PostgreSQL runs them concurrently and
/// relies on row locks.
struct WriteGate: Sendable {
    /// A write transaction on a connection of its own (SQLite's ``SQLiteWriter``), serialised with
    /// all the others.
    func transaction<T: Sendable>(on sql: any SQLDatabase, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if let mutex { await mutex.lock() }
        do {
            try await sql.raw("BEGIN IMMEDIATE").run()
            let result: T
            do {
                result = try await body(sql)
                try await sql.raw("COMMIT").run()
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw error
            }
            if let mutex { await mutex.unlock() }
            return result
        } catch {
            if let mutex { await mutex.unlock() }
            throw error
        }
    }

    let mutex: AsyncMutex?

    init(serialize: Bool) {
        mutex = serialize ? AsyncMutex() : nil
    }

    /// `HERALD_DEBUG_GATE` set: each transaction prints how long it waited for the gate.
    private static let debug = ProcessInfo.processInfo.environment["HERALD_DEBUG_GATE"] != nil

    func transaction<T: Sendable>(_ db: any Database, file: String = #fileID, line: Int = #line,
                                  _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        guard let mutex else { return try await db.transaction(body) }
        let started = ContinuousClock.now
        await mutex.lock()
        if Self.debug {
            FileHandle.standardError.write(Data("gate \(file):\(line) waited \(ContinuousClock.now - started)\n".utf8))
        }
        do {
            let result = try await db.withConnection { conn in
                let sql = conn as! any SQLDatabase
                try await sql.raw("BEGIN IMMEDIATE").run()
                do {
                    let result = try await body(conn)
                    try await sql.raw("COMMIT").run()
                    return result
                } catch {
                    try? await sql.raw("ROLLBACK").run()
                    throw error
                }
            }
            await mutex.unlock()
            return result
        } catch {
            await mutex.unlock()
            throw error
        }
    }
}
