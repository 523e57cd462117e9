import Fluent
import Foundation
import Vapor

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

/// Write transactions. SQLite allows one writer; two connections that both read and then write
/// in deferred transactions fail with SQLITE_BUSY_SNAPSHOT instead of waiting. So on SQLite every
/// write transaction of this process goes through one mutex (SQLite is single-process by design
/// here); PostgreSQL runs them concurrently and relies on row locks.
struct WriteGate: Sendable {
    let mutex: AsyncMutex?

    init(serialize: Bool) {
        mutex = serialize ? AsyncMutex() : nil
    }

    func transaction<T: Sendable>(_ db: any Database, _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        guard let mutex else { return try await db.transaction(body) }
        await mutex.lock()
        do {
            let result = try await db.transaction(body)
            await mutex.unlock()
            return result
        } catch {
            await mutex.unlock()
            throw error
        }
    }
}
