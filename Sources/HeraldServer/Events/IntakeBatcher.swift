import Fluent
import Foundation
import SQLKit

/// An event waiting to be applied, with the key that authenticated it (`nil` for people acting
/// through Herald's own API).
struct IntakeItem: Sendable {
    var event: IncomingEvent
    var projectID: UUID
    var eventKeyID: UUID?
}

/// Group commit for intake (see ``GroupCommit``): concurrent requests' events share one write
/// transaction, and each request is answered once the transaction holding its event committed.
///
/// A batch that fails as a whole (a concurrent process opened the same key, a deadlock) is tried
/// again, then its events are applied one at a time, so one bad event never fails others.
final class IntakeBatcher: Sendable {
    private let group: GroupCommit<IntakeItem, Result<IntakeResult, any Error>>
    /// Runs before each batch is applied, with its events (tests hold batches here to see what
    /// queues behind them, and in what batches events travel).
    private let beforeBatch: (@Sendable ([IntakeItem]) async -> Void)?

    init(concurrentBatches: Int, maxBatch: Int = 256, metrics: HeraldMetrics? = nil,
         beforeBatch: (@Sendable ([IntakeItem]) async -> Void)? = nil) {
        group = GroupCommit(concurrentBatches: concurrentBatches, maxBatch: maxBatch) { items, duration in
            metrics?.recordGroupCommit("intake", items: items, duration: duration)
        }
        self.beforeBatch = beforeBatch
    }

    /// Transactions run and events applied so far.
    var totals: (batches: Int, events: Int) { let t = group.totals; return (t.batches, t.items) }

    /// Events waiting for a batch.
    var waitingEvents: Int { group.waiting.items }

    /// Applies `items` (in order, in one transaction) and returns each one's outcome.
    func submit(_ items: [IntakeItem], intake: EventIntake) async -> [Result<IntakeResult, any Error>] {
        let loop = intake.services.sqliteWriter?.eventLoop ?? intake.db.eventLoop
        let beforeBatch = self.beforeBatch
        return await group.submit(items, executor: EventLoopExecutor.of(loop)) { batch in
            await beforeBatch?(batch)
            return await Self.apply(batch, intake: intake)
        }
    }

    private static func apply(_ items: [IntakeItem], intake: EventIntake) async -> [Result<IntakeResult, any Error>] {
        if let writer = intake.services.sqliteWriter {
            do {
                return try await applyOnWriter(items, writer: writer, intake: intake)
            } catch {
                // Nothing of it was written: the general path below tries again, and the intake
                // connection starts afresh.
                intake.logger.warning("a batch of \(items.count) events failed on the intake connection (\(String(describing: error))); trying again")
                await writer.reset()
            }
        }
        for attempt in 1...2 {
            do {
                let applied = try await intake.gate.transaction(intake.db) { db in try await intake.applyBatch(items, on: db) }
                intake.services.pacingKeys.remember(applied.pacingKeys)
                intake.services.deliverySignal.notify()
                return applied.results
            } catch {
                if items.count == 1 || attempt == 2 {
                    intake.logger.debug("a batch of \(items.count) events failed (\(String(describing: error))); applying them one at a time")
                }
            }
        }
        return await applyOneByOne(items, intake: intake)
    }

    /// SQLite: the set-based events on the writer's connection (prepared before taking the write
    /// lock), then, if any, the others on the general path in a second transaction: the same
    /// order as in one transaction, each event still whole in one of them.
    private static func applyOnWriter(_ items: [IntakeItem], writer: SQLiteWriter, intake: EventIntake) async throws -> [Result<IntakeResult, any Error>] {
        let prepared = try await intake.prepareBatch(items, on: intake.db)
        let sql = try await writer.database(logger: intake.logger)
        let (applied, created) = try await intake.gate.transaction(on: sql) { sql in try await intake.applySetBased(prepared, items, on: sql) }
        intake.services.pacingKeys.remember(created)
        intake.services.deliverySignal.notify()
        var results = applied.results
        if !applied.oneByOne.isEmpty {
            let rest = applied.oneByOne.map { items[$0] }
            let others: [Result<IntakeResult, any Error>]
            do {
                // Already sorted and checked: straight to the general path.
                others = try await intake.gate.transaction(intake.db) { db in try await intake.applyGeneral(rest, on: db as! any SQLDatabase) }
                intake.services.deliverySignal.notify()
            } catch {
                others = await applyOneByOne(rest, intake: intake)
            }
            for (i, result) in zip(applied.oneByOne, others) { results[i] = result }
        }
        return results.map { $0 ?? .failure(IntakeError.keyRevoked) }
    }

    private static func applyOneByOne(_ items: [IntakeItem], intake: EventIntake) async -> [Result<IntakeResult, any Error>] {
        var results: [Result<IntakeResult, any Error>] = []
        for item in items {
            do {
                let applied = try await intake.gate.transaction(intake.db) { db in try await intake.applyBatch([item], on: db) }
                intake.services.pacingKeys.remember(applied.pacingKeys)
                intake.services.deliverySignal.notify()
                results.append(applied.results[0])
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }
}
