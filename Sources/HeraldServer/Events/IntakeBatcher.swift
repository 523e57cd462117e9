import Fluent
import Foundation
import NIOConcurrencyHelpers

/// An event waiting to be applied, with the key that authenticated it (`nil` for people acting
/// through Herald's own API).
struct IntakeItem: Sendable {
    var event: IncomingEvent
    var projectID: UUID
    var eventKeyID: UUID?
}

/// Group commit for intake: events that arrive while a transaction is running are applied
/// together in the next one, and each request is answered when the transaction holding its event
/// has committed. Under load one commit carries many events; alone, an event waits for nothing.
///
/// On SQLite one batch runs at a time (there is one writer anyway); on PostgreSQL a few run at
/// once. A batch that fails as a whole (a concurrent process opened the same key, a deadlock) is
/// tried again, then its events are applied one at a time, so one bad event never fails others.
final class IntakeBatcher: Sendable {
    private struct Waiting: Sendable {
        var items: [IntakeItem]
        var continuation: CheckedContinuation<[Result<IntakeResult, any Error>], Never>
    }

    private struct State: Sendable {
        var waiting: [Waiting] = []
        var running = 0
        var batches = 0
        var events = 0
    }

    /// Transactions run and events applied so far.
    var totals: (batches: Int, events: Int) { state.withLockedValue { ($0.batches, $0.events) } }

    private let state = NIOLockedValueBox(State())
    let concurrentBatches: Int
    /// Events per transaction, at most.
    let maxBatch: Int

    init(concurrentBatches: Int, maxBatch: Int = 256) {
        self.concurrentBatches = max(1, concurrentBatches)
        self.maxBatch = max(1, maxBatch)
    }

    /// Applies `items` (in order, in one transaction) and returns each one's outcome.
    func submit(_ items: [IntakeItem], intake: EventIntake) async -> [Result<IntakeResult, any Error>] {
        guard !items.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let start = state.withLockedValue { state -> Bool in
                state.waiting.append(Waiting(items: items, continuation: continuation))
                guard state.running < concurrentBatches else { return false }
                state.running += 1
                return true
            }
            if start { Task { await self.drain(intake) } }
        }
    }

    private func drain(_ intake: EventIntake) async {
        while true {
            let batch = state.withLockedValue { state -> [Waiting] in
                var taken: [Waiting] = []
                var count = 0
                // A submission is never split; one larger than maxBatch travels alone.
                while let next = state.waiting.first, taken.isEmpty || count + next.items.count <= maxBatch {
                    taken.append(state.waiting.removeFirst())
                    count += next.items.count
                }
                if taken.isEmpty { state.running -= 1 } else {
                    state.batches += 1
                    state.events += count
                }
                return taken
            }
            guard !batch.isEmpty else { return }
            let results = await apply(batch.flatMap(\.items), intake: intake)
            var offset = 0
            for waiting in batch {
                waiting.continuation.resume(returning: Array(results[offset..<offset + waiting.items.count]))
                offset += waiting.items.count
            }
        }
    }

    private func apply(_ items: [IntakeItem], intake: EventIntake) async -> [Result<IntakeResult, any Error>] {
        for attempt in 1...2 {
            do {
                let results = try await intake.gate.transaction(intake.db) { db in try await intake.applyBatch(items, on: db) }
                intake.services.deliverySignal.notify()
                return results
            } catch {
                if items.count == 1 || attempt == 2 {
                    intake.logger.debug("batch of \(items.count) events failed (\(String(describing: error))); applying one at a time")
                }
            }
        }
        // One at a time, each in its own transaction (with its own retries).
        var results: [Result<IntakeResult, any Error>] = []
        for item in items {
            do {
                let result = try await intake.gate.transaction(intake.db) { db in try await intake.applyBatch([item], on: db) }
                intake.services.deliverySignal.notify()
                results.append(result[0])
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }
}
