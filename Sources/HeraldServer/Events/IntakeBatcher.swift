import Fluent
import Foundation
import SQLKit

/// An event waiting to be applied, with the key that authenticated it (`nil` for people acting
/// through Herald's own API).
struct IntakeItem: Sendable {
    var event: IncomingEvent
    var projectID: UUID
    var eventKeyID: UUID?
    /// An action on this incident (the incident API and Slack), instead of the open one with the event's key.
    var incidentID: UUID? = nil
    /// A reassign to this email (with `incidentID`).
    var assignee: String? = nil
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
        let executor: any TaskExecutor = intake.services.storage.sqliteWriter?.executor ?? EventLoopExecutor.of(intake.db.eventLoop)
        let beforeBatch = self.beforeBatch
        return await group.submit(items, executor: executor) { batch in
            await beforeBatch?(batch)
            return await Self.apply(batch, intake: intake)
        }
    }

    private static func apply(_ items: [IntakeItem], intake: EventIntake) async -> [Result<IntakeResult, any Error>] {
        switch await attempt(items, times: 2, intake: intake) {
        case .success(let results): return results
        case .failure(let error) where items.count == 1: return [.failure(error)]
        case .failure: break
        }
        // One at a time, each tried up to three times: another process opening the same key, a
        // deadlock or a serialization failure (PostgreSQL) is over by the next attempt.
        var results: [Result<IntakeResult, any Error>] = []
        for item in items {
            switch await attempt([item], times: 3, intake: intake) {
            case .success(let one): results += one
            case .failure(let error): results.append(.failure(error))
            }
        }
        return results
    }

    /// `applyBatch(items)`, tried up to `times` times. After a failure nothing of the batch was
    /// written (and, on SQLite, the writer's connection starts afresh: ``SQLiteWriter/transaction(through:logger:file:line:_:)``).
    private static func attempt(_ items: [IntakeItem], times: Int,
                                intake: EventIntake) async -> Result<[Result<IntakeResult, any Error>], any Error> {
        var attempt = 1
        while true {
            do {
                return .success(try await intake.applyBatch(items))
            } catch {
                if attempt == times { return .failure(error) }
                intake.logger.debug("\(items.count) events failed (\(String(describing: error))); trying again")
                attempt += 1
            }
        }
    }
}
