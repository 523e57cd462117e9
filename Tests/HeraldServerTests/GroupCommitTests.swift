import Foundation
@testable import HeraldServer
import NIOConcurrencyHelpers
import Testing

/// Group commit: every submitter gets exactly its own outputs, in order; batches respect their size.
@Suite("Group commit")
struct GroupCommitTests {
    @Test("concurrent submissions: each gets its own outputs in order; a submission is never split; batches stay within maxBatch")
    func outputsAndBatches() async {
        let batches = NIOLockedValueBox<[[Int]]>([])
        let group = GroupCommit<Int, String>(concurrentBatches: 1, maxBatch: 8)
        let apply: GroupCommit<Int, String>.Apply = { items in
            batches.withLockedValue { $0.append(items) }
            try? await Task.sleep(for: .milliseconds(2))  // a transaction takes a while: others queue
            return items.map { "out-\($0)" }
        }
        // 40 submitters of 1 to 3 items each, plus one of 20 (larger than maxBatch: it travels alone).
        let answers = await withTaskGroup(of: (Int, [Int], [String]).self) { tasks in
            for s in 0..<41 {
                let items = s == 40 ? Array(1000..<1020) : Array(0..<(s % 3 + 1)).map { s * 10 + $0 }
                tasks.addTask { (s, items, await group.submit(items, apply: apply)) }
            }
            return await tasks.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 41)
        for (s, items, outputs) in answers {
            #expect(outputs == items.map { "out-\($0)" }, "submitter \(s)")
        }
        let seen = batches.withLockedValue { $0 }
        // Every item applied exactly once.
        #expect(seen.flatMap { $0 }.sorted() == answers.flatMap(\.1).sorted())
        // Within maxBatch, except the oversized submission, which is alone in its batch.
        for batch in seen where batch.count > 8 { #expect(batch == Array(1000..<1020)) }
        // Each submission's items are contiguous and in order within one batch.
        for (_, items, _) in answers where items.count > 1 {
            let holder = seen.first { $0.contains(items[0]) }!
            let start = holder.firstIndex(of: items[0])!
            #expect(Array(holder[start..<start + items.count]) == items)
        }
        // Queued submissions were batched together: fewer batches than submitters.
        #expect(seen.count < 41)
        #expect(group.totals.items == seen.flatMap { $0 }.count)
    }

    @Test("at most concurrentBatches run at once")
    func concurrency() async {
        let running = NIOLockedValueBox((now: 0, peak: 0))
        let group = GroupCommit<Int, Int>(concurrentBatches: 2, maxBatch: 4)
        let apply: GroupCommit<Int, Int>.Apply = { items in
            running.withLockedValue { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            try? await Task.sleep(for: .milliseconds(3))
            running.withLockedValue { $0.now -= 1 }
            return items
        }
        await withTaskGroup(of: Void.self) { tasks in
            for i in 0..<30 { tasks.addTask { _ = await group.submit([i], apply: apply) } }
        }
        #expect(running.withLockedValue { $0.peak } <= 2)
        #expect(running.withLockedValue { $0.now } == 0)
    }
}
