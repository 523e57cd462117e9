import Foundation
@testable import HeraldServer
import NIOConcurrencyHelpers
import Testing

/// A gate a test opens: `wait()` suspends until `open()`; counts who arrived, and what they carried.
///
/// Whatever waits here ignores cancellation, so a test that fails before opening its gate must
/// still open it (`until(_:releasing:_:)` does), or the test hangs instead of failing.
final class TestGate: Sendable {
    private struct State {
        var open = false
        var arrived = 0
        var carried = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    var arrived: Int { state.withLockedValue { $0.arrived } }
    /// The sum of what arrivals carried (`wait(carrying:)`), such as the events of held batches.
    var carried: Int { state.withLockedValue { $0.carried } }
    /// Both, read at once.
    var held: (arrived: Int, carried: Int) { state.withLockedValue { ($0.arrived, $0.carried) } }

    func wait(carrying items: Int = 0) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let go = state.withLockedValue { s -> Bool in
                s.arrived += 1
                s.carried += items
                if s.open { return true }
                s.waiters.append(continuation)
                return false
            }
            if go { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLockedValue { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Polls `condition` (a state of the code under test, not a time) until it holds; fails the test
/// after many tries. The condition is driven by the test itself, so it is reached in a few yields.
///
/// When it fails, it opens `gates` first: what waits at them cannot be cancelled, so a test whose
/// condition is never reached would otherwise hang waiting for them instead of failing.
func until(_ what: String, releasing gates: [TestGate] = [], _ condition: () -> Bool) async throws {
    do {
        for _ in 0..<10_000 {
            if condition() { return }
            await Task.yield()
            try await Task.sleep(for: .milliseconds(1))
        }
        Issue.record("never reached: \(what)")
        throw TestFailure("never reached: \(what)")
    } catch {
        // Never reached, or cancelled (a sibling task failed): either way nothing may stay held.
        for gate in gates { gate.open() }
        throw error
    }
}

/// Group commit: every submitter gets exactly its own outputs, in order; batches respect their size.
@Suite("Group commit")
struct GroupCommitTests {
    @Test("submissions that wait for a running batch are taken together, in order, never split, up to maxBatch")
    func outputsAndBatches() async throws {
        // setup: the first batch holds until the gate opens, while six submissions queue behind it.
        let batches = NIOLockedValueBox<[[Int]]>([])
        let gate = TestGate()
        let group = GroupCommit<Int, String>(concurrentBatches: 1, maxBatch: 8)
        let apply: GroupCommit<Int, String>.Apply = { items in
            batches.withLockedValue { $0.append(items) }
            if items == [0] { await gate.wait() }
            return items.map { "out-\($0)" }
        }
        let first = Task { await group.submit([0], apply: apply) }
        try await until("the first batch runs", releasing: [gate]) { gate.arrived == 1 }
        // Sizes 3, 3, 3, 1, 20 (more than maxBatch: it travels alone) and 2, queued in this order.
        let submissions = [[10, 11, 12], [20, 21, 22], [30, 31, 32], [40], Array(100..<120), [50, 51]]
        var tasks: [Task<[String], Never>] = []
        for (n, items) in submissions.enumerated() {
            tasks.append(Task { await group.submit(items, apply: apply) })
            try await until("submission \(n) queued", releasing: [gate]) { group.waiting.submissions == n + 1 }
        }
        #expect(group.waiting.items == 32)
        // MUT
        gate.open()
        let firstAnswer = await first.value
        var answers: [[String]] = []
        for task in tasks { answers.append(await task.value) }
        // validate: each gets exactly its own outputs, in order…
        #expect(firstAnswer == ["out-0"])
        #expect(answers == submissions.map { $0.map { "out-\($0)" } })
        // …and the queue was taken greedily in order: 3+3 (a third 3 would pass 8), 3+1 (20 would),
        // 20 alone, then 2.
        #expect(batches.withLockedValue { $0 } == [[0], [10, 11, 12, 20, 21, 22], [30, 31, 32, 40], Array(100..<120), [50, 51]])
        #expect(group.totals == (batches: 5, items: 33))
        #expect(group.waiting.submissions == 0)
    }

    @Test("at most concurrentBatches run at once; the next starts when one ends")
    func concurrency() async throws {
        let running = NIOLockedValueBox((now: 0, peak: 0))
        let gates = (0..<3).map { _ in TestGate() }
        let group = GroupCommit<Int, Int>(concurrentBatches: 2, maxBatch: 1)
        let apply: GroupCommit<Int, Int>.Apply = { items in
            running.withLockedValue { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            await gates[items[0]].wait()
            running.withLockedValue { $0.now -= 1 }
            return items
        }
        let a = Task { await group.submit([0], apply: apply) }
        let b = Task { await group.submit([1], apply: apply) }
        try await until("two batches run", releasing: gates) { gates[0].arrived == 1 && gates[1].arrived == 1 }
        let c = Task { await group.submit([2], apply: apply) }
        try await until("the third waits", releasing: gates) { group.waiting.submissions == 1 }
        #expect(gates[2].arrived == 0, "a third batch started while two ran")
        gates[0].open()
        #expect(await a.value == [0])
        try await until("the third starts", releasing: gates) { gates[2].arrived == 1 }
        gates[1].open()
        gates[2].open()
        #expect(await b.value == [1])
        #expect(await c.value == [2])
        #expect(running.withLockedValue { $0.peak } == 2)
        #expect(running.withLockedValue { $0.now } == 0)
    }
}
