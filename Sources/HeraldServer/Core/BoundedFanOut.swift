import Foundation
import NIOConcurrencyHelpers

/// Runs one job per item, at most `concurrency` at once, and answers by `deadline` whatever
/// happens: a job still running then is cancelled and gets `timedOut(index)` as its outcome. Jobs
/// run in unstructured tasks, so one that ignores cancellation cannot hold the answer back.
enum BoundedFanOut {
    static func run<T: Sendable>(count: Int, concurrency: Int, deadline: Duration,
                                 _ job: @escaping @Sendable (Int) async -> T,
                                 timedOut: @escaping @Sendable (Int) -> T) async -> [T] {
        guard count > 0 else { return [] }
        let run = Run<T>(count: count)
        return await withCheckedContinuation { continuation in
            run.start(continuation)
            for _ in 0..<max(1, min(concurrency, count)) {
                run.add(Task {
                    while !Task.isCancelled, let index = run.nextIndex() {
                        run.finish(index, await job(index))
                    }
                })
            }
            run.add(Task {
                try? await Task.sleep(for: deadline)
                run.expire(timedOut)
            })
        }
    }

    private final class Run<T: Sendable>: Sendable {
        private struct State {
            var results: [T?]
            var next = 0
            var remaining: Int
            var continuation: CheckedContinuation<[T], Never>?
            var tasks: [Task<Void, Never>] = []
            var done = false
        }

        private let state: NIOLockedValueBox<State>

        init(count: Int) {
            state = NIOLockedValueBox(State(results: Array(repeating: nil, count: count), remaining: count))
        }

        func start(_ continuation: CheckedContinuation<[T], Never>) {
            state.withLockedValue { $0.continuation = continuation }
        }

        func add(_ task: Task<Void, Never>) {
            let cancel = state.withLockedValue { s -> Bool in
                if s.done { return true }
                s.tasks.append(task)
                return false
            }
            if cancel { task.cancel() }
        }

        func nextIndex() -> Int? {
            state.withLockedValue { s in
                guard !s.done, s.next < s.results.count else { return nil }
                defer { s.next += 1 }
                return s.next
            }
        }

        func finish(_ index: Int, _ result: T) {
            complete { s in
                guard s.results[index] == nil else { return false }
                s.results[index] = result
                s.remaining -= 1
                return s.remaining == 0
            }
        }

        func expire(_ timedOut: (Int) -> T) {
            complete { s in
                for i in s.results.indices where s.results[i] == nil { s.results[i] = timedOut(i) }
                s.remaining = 0
                return true
            }
        }

        /// Applies `change`; if it says the run is over (for the first time), answers and cancels every task.
        private func complete(_ change: (inout State) -> Bool) {
            let finished = state.withLockedValue { s -> (CheckedContinuation<[T], Never>, [T], [Task<Void, Never>])? in
                guard !s.done, change(&s), let continuation = s.continuation else { return nil }
                s.done = true
                s.continuation = nil
                defer { s.tasks = [] }
                return (continuation, s.results.map { $0! }, s.tasks)
            }
            guard let (continuation, results, tasks) = finished else { return }
            for task in tasks { task.cancel() }
            continuation.resume(returning: results)
        }
    }
}
