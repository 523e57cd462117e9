import FluentSQLiteDriver
import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import SQLKit
import Vapor

/// SQLite only: a connection (``CachedSQLiteConnection``) with a thread of its own, for one kind of write transaction: intake's
/// set-based writes of event batches (see ``IntakeBatcher``) and the delivery loop's
/// record-and-claim each have one.
///
/// Fluent's SQLite pool has one connection per event loop, and those loops also serve HTTP: a
/// batch then waits for the pool and, at each of its statements, for a loop busy with requests.
/// Here a transaction's task runs on the connection's own thread (``executor``), so its statements
/// follow each other with no thread switch at all. It writes through the same ``WriteGate`` as
/// everything else.
final class SQLiteWriter: Sendable {
    /// One thread for the connection's blocking SQLite calls and for the tasks that issue them: on
    /// the shared pool, each statement of a batch queued behind the pool connections' reads, and
    /// with a thread for the calls and another for the task, each statement cost two wake-ups,
    /// which on busy cores took longer than the statement.
    private let threadPool: NIOThreadPool
    /// Runs a task's jobs on ``threadPool``'s thread (see ``ThreadPoolExecutor``).
    let executor: ThreadPoolExecutor
    private let path: String
    private let connection = NIOLockedValueBox<CachedSQLiteConnection?>(nil)
    private let opening = AsyncMutex()
    private let pragmas: [String]
    /// Whether the thread's priority was raised (or tried) already.
    private let prioritised = NIOLockedValueBox(false)
    /// Set by ``shutdown()``: a transaction after it opens no new connection.
    private let stopped = NIOLockedValueBox(false)

    init(path: String, pragmas: [String]) {
        self.path = path
        self.pragmas = pragmas
        threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        executor = ThreadPoolExecutor(threadPool)
    }

    /// The connection, opened (and tuned like the pool's, foreign keys on) on first use. Called
    /// on the writer's thread (see ``transaction(through:logger:file:line:_:)``), where it opens.
    func database(logger: Logger) async throws -> any SQLDatabase {
        // Any loop: SQLKit's future-returning calls complete on it (statements run on this thread).
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        if let open = connection.withLockedValue({ $0 }) { return open.sql(logger: logger, on: loop) }
        await opening.lock()
        do {
            if let open = connection.withLockedValue({ $0 }) {
                await opening.unlock()
                return open.sql(logger: logger, on: loop)
            }
            guard !stopped.withLockedValue({ $0 }) else {
                throw SQLiteStatementError.closed("the SQLite writer has shut down")
            }
            let made = try CachedSQLiteConnection(path: path)
            let sql = made.sql(logger: logger, on: loop)
            for pragma in ["PRAGMA foreign_keys = ON"] + pragmas { try await sql.raw("\(unsafeRaw: pragma)").run() }
            if let refused = await raisePriority() {
                logger.notice("""
                    the SQLite writer's thread keeps the normal priority (\(refused)); Herald raises it to nice \(Self.nice) \
                    when allowed (root, CAP_SYS_NICE, or systemd's LimitNICE=\(Self.nice)), so that on busy cores the \
                    thread holding the write lock is not kept waiting
                    """)
            }
            connection.withLockedValue { $0 = made }
            await opening.unlock()
            return sql
        } catch {
            await opening.unlock()
            throw error
        }
    }

    /// The writers' threads' nice value, where the process may take it.
    static let nice: Int32 = -10

    /// Raises the writer thread's priority: it holds SQLite's one write lock, and on saturated cores
    /// (measured on 2) it spent as long waiting for a CPU as running, with every other write waiting
    /// behind it. Returns why not, when the process may not (the thread then keeps its priority).
    private func raisePriority() async -> String? {
        guard prioritised.withLockedValue({ done in defer { done = true }; return !done }) else { return nil }
        return try? await threadPool.runIfActive { ThreadPriority.setCurrent(nice: Self.nice) } ?? nil
    }

    /// A write transaction on this connection through `gate`, its task on the connection's thread.
    /// After a failure the connection starts afresh (it may be left inside a transaction).
    func transaction<T: Sendable>(through gate: WriteGate, logger: Logger, file: String = #fileID, line: Int = #line,
                                  _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(executor) {
            do {
                let sql = try await database(logger: logger)
                return try await gate.transaction(on: sql, file: file, line: line, body)
            } catch {
                await reset()
                throw error
            }
        }
    }

    /// Closes the connection; the next use opens a fresh one.
    func reset() async {
        connection.withLockedValue { c in defer { c = nil }; return c }?.close()
    }

    func shutdown() async {
        stopped.withLockedValue { $0 = true }
        await reset()
        try? await threadPool.shutdownGracefully()
    }
}

/// Runs a task's jobs on a one-thread `NIOThreadPool`, the writer's thread: a transaction's
/// statements run there, in the task's own jobs (``CachedSQLiteConnection`` is called directly),
/// so they need no thread switch. Nothing here may block waiting for the pool.
final class ThreadPoolExecutor: TaskExecutor, @unchecked Sendable {
    private let pool: NIOThreadPool

    init(_ pool: NIOThreadPool) {
        self.pool = pool
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // A job must run even while the pool stops (it may be a continuation owed an answer).
        pool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Closes the writers when the application stops.
struct SQLiteWriterLifecycle: LifecycleHandler {
    let writers: [SQLiteWriter]

    func shutdownAsync(_ application: Application) async {
        for writer in writers { await writer.shutdown() }
    }
}
