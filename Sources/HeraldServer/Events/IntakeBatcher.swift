import Fluent
import Foundation

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

    init(concurrentBatches: Int, maxBatch: Int = 256, metrics: HeraldMetrics? = nil) {
        group = GroupCommit(concurrentBatches: concurrentBatches, maxBatch: maxBatch) { items, duration in
            metrics?.recordGroupCommit("intake", items: items, duration: duration)
        }
    }

    /// Transactions run and events applied so far.
    var totals: (batches: Int, events: Int) { let t = group.totals; return (t.batches, t.items) }

    /// Applies `items` (in order, in one transaction) and returns each one's outcome.
    func submit(_ items: [IntakeItem], intake: EventIntake) async -> [Result<IntakeResult, any Error>] {
        await group.submit(items, executor: EventLoopExecutor.of(intake.db.eventLoop)) { batch in await Self.apply(batch, intake: intake) }
    }

    private static func apply(_ items: [IntakeItem], intake: EventIntake) async -> [Result<IntakeResult, any Error>] {
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
