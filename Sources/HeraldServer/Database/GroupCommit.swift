import Foundation
import NIOConcurrencyHelpers

/// Group commit: work submitted while a transaction is running is applied together in the next
/// one, and each submitter resumes when the transaction holding its items has finished. Under load
/// one commit carries many items; alone, an item waits for nothing.
///
/// At most `concurrentBatches` batches run at once (1 on SQLite, which has one writer anyway).
/// A submission is never split across batches, and its items keep their order.
final class GroupCommit<Item: Sendable, Output: Sendable>: Sendable {
    typealias Apply = @Sendable ([Item]) async -> [Output]

    private struct Waiting: Sendable {
        var items: [Item]
        var apply: Apply
        var executor: (any TaskExecutor)?
        var continuation: CheckedContinuation<[Output], Never>
    }

    private struct State: Sendable {
        var waiting: [Waiting] = []
        var running = 0
        var batches = 0
        var items = 0
    }

    private let state = NIOLockedValueBox(State())
    let concurrentBatches: Int
    /// Items per batch, at most (a larger submission travels alone).
    let maxBatch: Int

    /// Told of each batch: how many items, and how long it took.
    let observe: @Sendable (Int, Duration) -> Void

    init(concurrentBatches: Int, maxBatch: Int, observe: @escaping @Sendable (Int, Duration) -> Void = { _, _ in }) {
        self.concurrentBatches = max(1, concurrentBatches)
        self.maxBatch = max(1, maxBatch)
        self.observe = observe
    }

    /// Batches run and items applied so far.
    var totals: (batches: Int, items: Int) { state.withLockedValue { ($0.batches, $0.items) } }

    /// Submissions (and their items) waiting for a batch to take them.
    var waiting: (submissions: Int, items: Int) {
        state.withLockedValue { ($0.waiting.count, $0.waiting.reduce(0) { $0 + $1.items.count }) }
    }

    /// Applies `items` with `apply` (which must return one output per item, in order), together with
    /// whatever else is waiting; the batch runs the `apply` of its first submission, on `executor`
    /// when given (see ``EventLoopExecutor``).
    func submit(_ items: [Item], executor: (any TaskExecutor)? = nil, apply: @escaping Apply) async -> [Output] {
        guard !items.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let start = state.withLockedValue { state -> Bool in
                state.waiting.append(Waiting(items: items, apply: apply, executor: executor, continuation: continuation))
                guard state.running < concurrentBatches else { return false }
                state.running += 1
                return true
            }
            if start { Task(executorPreference: executor) { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLockedValue { state -> [Waiting] in
                var taken: [Waiting] = []
                var count = 0
                while let next = state.waiting.first, taken.isEmpty || count + next.items.count <= maxBatch {
                    taken.append(state.waiting.removeFirst())
                    count += next.items.count
                }
                if taken.isEmpty {
                    state.running -= 1
                } else {
                    state.batches += 1
                    state.items += count
                }
                return taken
            }
            guard let first = batch.first else { return }
            let items = batch.flatMap(\.items)
            let started = ContinuousClock.now
            let outputs = await first.apply(items)
            observe(items.count, ContinuousClock.now - started)
            precondition(outputs.count == items.count, "a group commit must answer every item")
            var offset = 0
            for waiting in batch {
                waiting.continuation.resume(returning: Array(outputs[offset..<offset + waiting.items.count]))
                offset += waiting.items.count
            }
        }
    }
}
