import Fluent
import Foundation
import SQLKit
import Vapor

extension Request {
    /// A write transaction through the application's ``WriteGate``. Every write goes through it, so
    /// SQLite never sees two writers (and never answers SQLITE_BUSY).
    func write<T: Sendable>(file: String = #fileID, line: Int = #line,
                            _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await herald.storage.writeGate.transaction(db, file: file, line: line, body)
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
    let mutex: AsyncMutex?

    init(serialize: Bool) {
        mutex = serialize ? AsyncMutex() : nil
    }

    /// `HERALD_DEBUG_GATE` set: each transaction prints how long it waited for the gate and held it.
    private static let debug = ProcessInfo.processInfo.environment["HERALD_DEBUG_GATE"] != nil

    func transaction<T: Sendable>(_ db: any Database, file: String = #fileID, line: Int = #line,
                                  _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        guard mutex != nil else { return try await db.transaction(body) }
        return try await serialized(file: file, line: line) {
            try await db.withConnection { conn in try await Self.immediate(conn as! any SQLDatabase) { try await body(conn) } }
        }
    }

    /// A write transaction on a connection of its own (SQLite's ``SQLiteWriter``), serialised with
    /// all the others.
    func transaction<T: Sendable>(on sql: any SQLDatabase, file: String = #fileID, line: Int = #line,
                                  _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await serialized(file: file, line: line) { try await Self.immediate(sql) { try await body(sql) } }
    }

    /// Runs `body` holding the mutex (when there is one), released however `body` ends.
    private func serialized<T>(file: String, line: Int, _ body: () async throws -> T) async throws -> T {
        guard let mutex else { return try await body() }
        let started = ContinuousClock.now
        await mutex.lock()
        if Self.debug {
            FileHandle.standardError.write(Data("gate \(file):\(line) waited \(ContinuousClock.now - started)\n".utf8))
        }
        let acquired = ContinuousClock.now
        do {
            let result = try await body()
            if Self.debug { FileHandle.standardError.write(Data("gate \(file):\(line) held \(ContinuousClock.now - acquired)\n".utf8)) }
            await mutex.unlock()
            return result
        } catch {
            await mutex.unlock()
            throw error
        }
    }

    /// `BEGIN IMMEDIATE`, `body`, `COMMIT` on one connection; `ROLLBACK` if `body` or the commit fails.
    private static func immediate<T>(_ sql: any SQLDatabase, _ body: () async throws -> T) async throws -> T {
        try await sql.raw("BEGIN IMMEDIATE").run()
        do {
            let result = try await body()
            try await sql.raw("COMMIT").run()
            return result
        } catch {
            try? await sql.raw("ROLLBACK").run()
            throw error
        }
    }
}
