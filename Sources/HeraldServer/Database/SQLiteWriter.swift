import FluentSQLiteDriver
import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import SQLKit
import Vapor

/// SQLite only: a connection of intake's own, on an event loop of its own, for the set-based
/// writes of event batches (see ``IntakeBatcher``).
///
/// Fluent's SQLite pool has one connection per event loop, and those loops also serve HTTP: a
/// batch then waits for the pool and, at each of its statements, for a loop busy with requests.
/// This connection's loop does nothing else, so a batch's statements follow each other without
/// waiting. It writes through the same ``WriteGate`` as everything else.
final class SQLiteWriter: Sendable {
    private let group: MultiThreadedEventLoopGroup
    /// A thread of its own for the connection's blocking SQLite calls: on the shared pool, each
    /// statement of a batch queued behind the pool connections' reads.
    private let threadPool: NIOThreadPool
    private let source: SQLiteConnectionSource
    private let connection = NIOLockedValueBox<SQLiteConnection?>(nil)
    private let opening = AsyncMutex()
    private let pragmas: [String]
    let eventLoop: any EventLoop

    init(path: String, pragmas: [String]) {
        self.pragmas = pragmas
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        eventLoop = group.next()
        threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        source = SQLiteConnectionSource(configuration: .init(storage: .file(path: path), enableForeignKeys: true), threadPool: threadPool)
    }

    /// The connection, opened (and tuned like the pool's) on first use.
    func database(logger: Logger) async throws -> any SQLDatabase {
        if let open = connection.withLockedValue({ $0 }) { return open.sql() }
        await opening.lock()
        do {
            if let open = connection.withLockedValue({ $0 }) {
                await opening.unlock()
                return open.sql()
            }
            let made = try await source.makeConnection(logger: logger, on: eventLoop).get()
            let sql = made.sql()
            for pragma in pragmas { try await sql.raw("\(unsafeRaw: pragma)").run() }
            connection.withLockedValue { $0 = made }
            await opening.unlock()
            return sql
        } catch {
            await opening.unlock()
            throw error
        }
    }

    /// Closes the connection after a failure (it may be left inside a transaction); the next use
    /// opens a fresh one.
    func reset() async {
        if let open = connection.withLockedValue({ c in defer { c = nil }; return c }) { try? await open.close() }
    }

    func shutdown() async {
        if let open = connection.withLockedValue({ c in defer { c = nil }; return c }) { try? await open.close() }
        try? await group.shutdownGracefully()
        try? await threadPool.shutdownGracefully()
    }
}

/// Closes the intake writer when the application stops.
struct SQLiteWriterLifecycle: LifecycleHandler {
    let writer: SQLiteWriter

    func shutdownAsync(_ application: Application) async {
        await writer.shutdown()
    }
}
