import Fluent
import Foundation
import HeraldCore
import Metrics
import NIOConcurrencyHelpers
import SlackAPI
import SQLKit
import Vapor

/// The delivery loop of one process: claims due deliveries, sends up to `concurrency` at once,
/// records each outcome (SPEC §5). Runs inside `serve` and alone in `herald worker`.
final class DeliveryWorker: Sendable {
    let queue: DeliveryQueue
    let sender: DeliverySender
    let services: HeraldServices
    let logger: Logger
    let concurrency: Int
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// How long a claimed delivery stays this worker's: well beyond Slack's 10 s timeout, so only a
    /// worker that died (or stalled for a minute) loses its deliveries to another.
    static let lease: TimeInterval = 60
    private let stopping = NIOLockedValueBox(false)

    init(app: Application, concurrency: Int = 64) {
        let services = app.herald
        let isPostgres = services.configuration.database.isPostgres
        self.services = services
        self.queue = DeliveryQueue(
            db: app.db, gate: services.writeGate, isPostgres: isPostgres,
            workerID: "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))",
            lease: Self.lease, pacing: ChannelPacing.interval(rate: services.configuration.channelRate),
            logger: Logger(label: "herald.delivery")
        )
        self.sender = DeliverySender(services: services, db: app.db)
        self.logger = Logger(label: "herald.delivery")
        self.concurrency = concurrency
        self.completions = GroupCommit(concurrentBatches: isPostgres ? 2 : 1, maxBatch: 512)
    }

    func start() {
        task.withLockedValue { current in
            guard current == nil else { return }
            current = Task { await self.run() }
        }
    }

    /// Stops claiming and waits (bounded by the send timeout) for the sends in flight.
    func stop() async {
        stopping.withLockedValue { $0 = true }
        services.deliverySignal.notify()
        let running = task.withLockedValue { $0 }
        await running?.value
    }

    private func run() async {
        do { try await queue.releaseOrphans(now: services.now()) } catch {
            logger.error("could not release orphaned deliveries: \(String(describing: error))")
        }
        let inFlight = NIOLockedValueBox(0)
        let clock = ContinuousClock()
        var lastEmptyClaim = clock.now - .seconds(1)
        // A discarding group: finished sends are freed at once (a plain task group keeps every
        // finished child until the group ends, which here is never).
        await withDiscardingTaskGroup { group in
            while !stopping.withLockedValue({ $0 }) {
                let free = concurrency - inFlight.withLockedValue { $0 }
                var claimed: [DeliveryQueue.Claimed] = []
                if free > 0 {
                    do {
                        claimed = try await queue.claim(limit: free, now: services.now())
                    } catch {
                        logger.warning("claim failed: \(String(describing: error))")
                    }
                }
                if !claimed.isEmpty {
                    let claimedAt = clock.now
                    inFlight.withLockedValue { $0 += claimed.count }
                    let prepared: [UUID: DeliverySender.Prepared]
                    do {
                        prepared = try await sender.prepare(claimed.map(\.id))
                    } catch {
                        // A database error: try again soon; the lease protects against double sends meanwhile.
                        logger.warning("\(claimed.count) deliveries could not be prepared: \(String(describing: error))")
                        prepared = Dictionary(uniqueKeysWithValues: claimed.map { ($0.id, .requeue(String(describing: error))) })
                    }
                    for item in claimed {
                        let work = prepared[item.id] ?? .decided(.unsendable(code: "delivery_missing", detail: "not prepared"))
                        group.addTask {
                            await self.process(item, work, claimedAt: claimedAt)
                            inFlight.withLockedValue { $0 -= 1 }
                            self.services.deliverySignal.notify()
                        }
                    }
                }
                await updateCountsIfDue()
                if claimed.isEmpty || claimed.count == free {
                    await services.deliverySignal.wait(timeout: .milliseconds(100))
                }
                // Under a storm of wake-ups (thousands of events a second), look for work at most
                // every 20 ms once a claim came back empty, instead of once per event.
                if claimed.isEmpty {
                    let since = clock.now - lastEmptyClaim
                    if since < .milliseconds(20) { try? await Task.sleep(for: .milliseconds(20) - since) }
                    lastEmptyClaim = clock.now
                }
            }
        }
    }

    // MARK: Metrics

    private struct Counts {
        var lastLive = Date.distantPast
        var lastFull = Date.distantPast
        /// Deliveries in final states at the last full count, plus what this worker recorded since.
        var final: [String: Int] = [:]
    }

    private let counts = NIOLockedValueBox(Counts())
    /// Final states are counted in full this often; in between, this worker adds its own outcomes.
    static let fullCountInterval: TimeInterval = 30

    private func updateCountsIfDue() async {
        let now = services.now()
        let (live, full) = counts.withLockedValue { c in (now.timeIntervalSince(c.lastLive) >= 1, now.timeIntervalSince(c.lastFull) >= Self.fullCountInterval) }
        guard live else { return }
        do {
            let liveStates: [DeliveryState] = [.pending, .sending]
            let rows = try await queue.counts(states: full ? nil : liveStates)
            let merged = counts.withLockedValue { c -> [(sink: String, state: String, count: Int)] in
                c.lastLive = now
                if full {
                    c.lastFull = now
                    c.final = [:]
                    for row in rows where !liveStates.map(\.rawValue).contains(row.state) { c.final["\(row.sink)|\(row.state)"] = row.count }
                }
                let finals = c.final.map { key, n in
                    let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
                    return (sink: parts[0], state: parts[1], count: n)
                }
                return rows.filter { liveStates.map(\.rawValue).contains($0.state) } + finals
            }
            services.metrics.setDeliveryCounts(merged)
        } catch {
            logger.debug("could not count deliveries: \(String(describing: error))")
        }
    }

    private func countRecorded(_ state: DeliveryState, sink: String) {
        guard state != .pending else { return }
        counts.withLockedValue { $0.final["\(sink)|\(state.rawValue)", default: 0] += 1 }
    }

    // MARK: One delivery

    private func process(_ item: DeliveryQueue.Claimed, _ work: DeliverySender.Prepared, claimedAt: ContinuousClock.Instant) async {
        let clock = ContinuousClock()
        let started = clock.now
        let outcome: DeliverySender.Outcome
        switch work {
        case .requeue(let detail):
            outcome = .requeue(detail)
        case .decided(let decided):
            outcome = decided
        case .send(let send):
            // A send that waited past half its lease (a stalled process) first checks that the
            // lease is still this worker's, so it is not made twice.
            if clock.now - claimedAt > .seconds(Self.lease / 2) {
                guard (try? await queue.holdsLease(item, now: services.now())) == true else {
                    logger.warning("delivery \(item.id) lease expired before it was sent; leaving it to its new owner")
                    return
                }
            }
            outcome = await sender.send(send)
        }
        let now = services.now()
        let sink = "slack"
        var completion = DeliveryQueue.Completion(claimed: item, state: .sent)
        let label: String
        switch outcome {
        case .delivered(let messageID, let channelID, let ts, let version, let reposted):
            completion.delivered = (messageID, channelID, ts, version)
            label = "sent"
            if reposted { logger.info("message was gone in Slack; re-posted", metadata: ["delivery": "\(item.id)"]) }
        case .superseded:
            label = "superseded"
        case .requeue(let detail):
            completion.state = .pending
            completion.nextAttemptAt = now.addingTimeInterval(1)
            completion.error = ("internal_error", detail)
            label = "retry"
        case .unsendable(let code, let detail):
            completion.state = .failed
            completion.error = (code, detail)
            label = "failed"
        case .failed(let error, let created):
            let decision = services.retryPolicy.decide(attempts: item.attempts, permanent: error.isPermanent,
                                                       retryAfter: error.retryAfter, createdAt: created, now: now,
                                                       random: services.random())
            completion.error = (error.code, String(describing: error))
            switch decision {
            case .retry(let at):
                completion.state = .pending
                completion.nextAttemptAt = at
                label = "retry"
            case .failed:
                completion.state = .failed
                label = "failed"
                logger.notice("delivery failed permanently", metadata: ["delivery": "\(item.id)", "error": "\(error.code)"])
            case .dead:
                completion.state = .dead
                label = "dead"
                logger.warning("delivery is dead after retrying for its maximum age", metadata: ["delivery": "\(item.id)", "error": "\(error.code)"])
            }
        }
        let recorded = await completions.submit([completion]) { batch in await self.record(batch) }
        if recorded[0] {
            countRecorded(completion.state, sink: sink)
            services.metrics.recordDelivery(sink: sink, state: label, duration: clock.now - started)
        }
    }

    /// Outcomes are recorded in shared transactions (group commit), like events.
    private let completions: GroupCommit<DeliveryQueue.Completion, Bool>

    /// Records a batch of outcomes: all together, or (if that fails) one at a time. An outcome
    /// that cannot be recorded leaves its delivery `sending` until its lease expires, when it is
    /// sent again (at least once).
    private func record(_ batch: [DeliveryQueue.Completion]) async -> [Bool] {
        do {
            let lost = try await queue.record(batch, now: services.now())
            for id in lost { logger.warning("lost the lease of delivery \(id) before recording its outcome; another worker owns it now") }
            return batch.map { !lost.contains($0.claimed.id) }
        } catch {
            guard batch.count > 1 else {
                logger.error("could not record the outcome of delivery \(batch[0].claimed.id): \(String(describing: error))")
                return [false]
            }
        }
        var results: [Bool] = []
        for completion in batch { results += await record([completion]) }
        return results
    }
}
