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

    init(app: Application, concurrency: Int = 32) {
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
        var lastDepth = Date.distantPast
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
                for item in claimed {
                    inFlight.withLockedValue { $0 += 1 }
                    group.addTask {
                        await self.process(item)
                        inFlight.withLockedValue { $0 -= 1 }
                        self.services.deliverySignal.notify()
                    }
                }
                if services.now().timeIntervalSince(lastDepth) > 1 {
                    lastDepth = services.now()
                    if let counts = try? await queue.counts() { services.metrics.setDeliveryCounts(counts) }
                }
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

    private func process(_ item: DeliveryQueue.Claimed) async {
        let clock = ContinuousClock()
        let started = clock.now
        let outcome: DeliverySender.Outcome
        do {
            guard try await queue.holdsLease(item, now: services.now()) else {
                logger.warning("delivery \(item.id) lease expired before it was sent; leaving it to its new owner")
                return
            }
            outcome = try await sender.send(item.id)
        } catch {
            // A database error: try again soon; the lease protects against double sends meanwhile.
            logger.warning("delivery \(item.id) could not be prepared: \(String(describing: error))")
            try? await queue.complete(item, state: .pending, nextAttemptAt: services.now().addingTimeInterval(1),
                                      error: ("internal_error", String(describing: error)), now: services.now())
            return
        }
        let now = services.now()
        let sink = "slack"
        do {
            switch outcome {
            case .delivered(let messageID, let channelID, let ts, let version, let reposted):
                try await queue.complete(item, state: .sent, nextAttemptAt: nil, error: nil, now: now) { db in
                    try await (db as! any SQLDatabase).raw("""
                        UPDATE messages SET channel_id = \(bind: channelID), ts = \(bind: ts), last_sent_at = \(bind: now),
                          rendered_version = CASE WHEN rendered_version > \(bind: version) THEN rendered_version ELSE \(bind: version) END
                        WHERE id = \(bind: messageID)
                        """).run()
                }
                if reposted { logger.info("message was gone in Slack; re-posted", metadata: ["delivery": "\(item.id)"]) }
                services.metrics.recordDelivery(sink: sink, state: "sent", duration: clock.now - started)
            case .superseded:
                try await queue.complete(item, state: .sent, nextAttemptAt: nil, error: nil, now: now)
                services.metrics.recordDelivery(sink: sink, state: "superseded", duration: clock.now - started)
            case .unsendable(let code, let detail):
                try await queue.complete(item, state: .failed, nextAttemptAt: nil, error: (code, detail), now: now)
                services.metrics.recordDelivery(sink: sink, state: "failed", duration: clock.now - started)
            case .failed(let error, let created):
                let decision = services.retryPolicy.decide(attempts: item.attempts, permanent: error.isPermanent,
                                                           retryAfter: error.retryAfter, createdAt: created, now: now,
                                                           random: services.random())
                let detail = (error.code, String(describing: error))
                switch decision {
                case .retry(let at):
                    try await queue.complete(item, state: .pending, nextAttemptAt: at, error: detail, now: now)
                    services.metrics.recordDelivery(sink: sink, state: "retry", duration: clock.now - started)
                case .failed:
                    try await queue.complete(item, state: .failed, nextAttemptAt: nil, error: detail, now: now)
                    services.metrics.recordDelivery(sink: sink, state: "failed", duration: clock.now - started)
                    logger.notice("delivery failed permanently", metadata: ["delivery": "\(item.id)", "error": "\(error.code)"])
                case .dead:
                    try await queue.complete(item, state: .dead, nextAttemptAt: nil, error: detail, now: now)
                    services.metrics.recordDelivery(sink: sink, state: "dead", duration: clock.now - started)
                    logger.warning("delivery is dead after retrying for its maximum age", metadata: ["delivery": "\(item.id)", "error": "\(error.code)"])
                }
            }
        } catch {
            logger.error("could not record the outcome of delivery \(item.id): \(String(describing: error))")
        }
    }
}
