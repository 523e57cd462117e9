import Fluent
import Foundation
import HeraldCore
import Metrics
import NIOConcurrencyHelpers
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
    /// Outcomes recorded together when sends are in flight, and the longest a turn waits for them
    /// (the cost: a message may be recorded this much later; it was sent already).
    static let recordBatch = 32
    static let recordWait: Duration = .milliseconds(10)
    /// How often a worker looks for deliveries whose lease expired.
    static let reclaimInterval: Duration = .seconds(5)
    private let stopping = NIOLockedValueBox(false)

    init(app: Application, concurrency: Int = HeraldConfiguration.defaultDeliveryConcurrency) {
        let services = app.herald
        let isPostgres = services.configuration.database.isPostgres
        self.services = services
        self.queue = DeliveryQueue(
            db: app.db, gate: services.storage.writeGate, writer: services.storage.deliveryWriter, isPostgres: isPostgres,
            workerID: "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))",
            lease: Self.lease, pacing: PacingPlan(slackRate: services.configuration.channelRate, sinks: services.delivery.sinks),
            logger: Logger(label: "herald.delivery")
        )
        self.sender = DeliverySender(services: services, db: app.db)
        self.logger = Logger(label: "herald.delivery")
        self.concurrency = concurrency
    }

    func start() {
        task.withLockedValue { current in
            guard current == nil else { return }
            // On the delivery loop, whose thread yields to the loops that accept events.
            current = Task(executorPreference: services.delivery.loop.executor) { await self.run() }
        }
    }

    /// Stops claiming and waits (bounded by the send timeout) for the sends in flight.
    func stop() async {
        stopping.withLockedValue { $0 = true }
        services.delivery.signal.notify()
        let running = task.withLockedValue { $0 }
        await running?.value
    }

    /// A send's outcome waiting to be recorded by the loop, with what the metrics report.
    private struct Finished: Sendable {
        /// Nil when the send was abandoned because the lease had passed to another worker.
        var completion: DeliveryQueue.Completion?
        var label: String
        var duration: Duration
    }

    private let finished = NIOLockedValueBox<[Finished]>([])

    /// Loop turns begun, and who waits for an idle one (see ``waitUntilIdle()``).
    private struct Turns {
        var begun = 0
        var waiters: [(after: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let turns = NIOLockedValueBox(Turns())

    /// Returns once a turn of the loop that began after this call found nothing to record, nothing
    /// in flight and nothing due to claim: everything due by then (on the injectable clock) has been
    /// sent and recorded. Deliveries that are due but held back by a channel's pacing do not count
    /// as work. Tests wait for this event instead of sleeping. Also returns when the loop stops.
    func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let running = turns.withLockedValue { t -> Bool in
                guard t.begun >= 0 else { return false }
                t.waiters.append((after: t.begun, continuation: continuation))
                return true
            }
            if running { services.delivery.signal.notify() } else { continuation.resume() }
        }
    }

    /// Ends turn `turn`; when it was idle, wakes those waiting since before it began.
    private func endTurn(_ turn: Int, idle: Bool) {
        guard idle else { return }
        let ready = turns.withLockedValue { t -> [CheckedContinuation<Void, Never>] in
            let (due, rest) = (t.waiters.filter { $0.after < turn }, t.waiters.filter { $0.after >= turn })
            t.waiters = rest
            return due.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// The loop has ended: nobody waits for it any more.
    private func endTurns() {
        let all = turns.withLockedValue { t -> [CheckedContinuation<Void, Never>] in
            defer { t.waiters = []; t.begun = -1 }
            return t.waiters.map(\.continuation)
        }
        for continuation in all { continuation.resume() }
    }

    /// One loop, one write transaction per turn: it records the outcomes of the sends that finished
    /// since the last turn and claims as many deliveries as there are free slots. Each claimed
    /// batch is prepared (a few reads) and sent by its own task, concurrently with the loop.
    /// After `stop()`, the loop claims nothing more and ends once every send in flight is recorded.
    private func run() async {
        do { try await queue.releaseOrphans(now: services.now()) } catch {
            logger.error("could not release orphaned deliveries: \(String(describing: error))")
        }
        // Claimed and not yet recorded; only this loop changes it (sends report through `finished`).
        var inFlight = 0
        let clock = ContinuousClock()
        var lastEmptyClaim = clock.now - .seconds(1)
        var probe = true
        var failures = 0
        var lastReclaim = clock.now - .seconds(60)
        // A discarding group: finished sends are freed at once (a plain task group keeps every
        // finished child until the group ends, which here is never).
        await withDiscardingTaskGroup { group in
            while true {
                let stop = stopping.withLockedValue { $0 }
                // Group commit of outcomes: while many sends are in flight, a turn that would record
                // only a few waits a moment for more, so a busy worker writes one transaction (and,
                // on SQLite, one fsync) per many deliveries instead of one per delivery.
                if !stop, inFlight > Self.recordBatch {
                    let ready = finished.withLockedValue { $0.count }
                    if ready > 0, ready < Self.recordBatch { try? await Task.sleep(for: Self.recordWait) }
                }
                let turn = turns.withLockedValue { t in t.begun += 1; return t.begun }
                let done = finished.withLockedValue { f in
                    defer { f.removeAll() }
                    return f
                }
                let busy = inFlight - done.count
                if stop, busy == 0, done.isEmpty { break }
                let free = stop ? 0 : max(0, concurrency - busy)
                let started = clock.now
                let lost: Set<UUID>
                var claimed: [DeliveryQueue.Claimed]
                // Expired leases are looked for every few seconds (they are a minute long).
                let reclaim = clock.now - lastReclaim >= Self.reclaimInterval
                do {
                    (lost, claimed) = try await queue.recordAndClaim(done.compactMap(\.completion), limit: free, now: services.now(),
                                                                     probe: probe, reclaim: reclaim)
                    if reclaim, free > 0 { lastReclaim = clock.now }
                    failures = 0
                } catch {
                    // Nothing was written: the outcomes wait for the next turn (their deliveries stay
                    // leased to this worker meanwhile).
                    failures += 1
                    logger.warning("recording outcomes and claiming deliveries failed: \(String(describing: error))")
                    finished.withLockedValue { $0.insert(contentsOf: done, at: 0) }
                    if stop, failures >= 5 {
                        logger.error("stopping with \(done.count + busy) delivery outcomes unrecorded; they are sent again after their lease")
                        break
                    }
                    try? await Task.sleep(for: .milliseconds(min(100 * failures, 2000)))
                    continue
                }
                inFlight -= done.count
                for item in done {
                    guard let completion = item.completion, !lost.contains(completion.claimed.id) else { continue }
                    countRecorded(completion.state, sink: completion.claimed.sink)
                    services.metrics.recordDelivery(sink: completion.claimed.sink, state: item.label, duration: item.duration)
                }
                for id in lost { logger.warning("lost the lease of delivery \(id) before recording its outcome; another worker owns it now") }
                if !done.isEmpty { services.metrics.recordGroupCommit("completions", items: done.count, duration: clock.now - started) }
                if !claimed.isEmpty {
                    services.metrics.recordGroupCommit("claims", items: claimed.count, duration: clock.now - started)
                    inFlight += claimed.count
                    let claimedAt = clock.now
                    let batch = claimed
                    group.addTask { await self.send(batch, claimedAt: claimedAt) }
                }
                // A full claim means more may be due: claim again without looking first.
                probe = claimed.count < free
                await updateCountsIfDue()
                endTurn(turn, idle: done.isEmpty && claimed.isEmpty && inFlight == 0 && !stop)
                if claimed.isEmpty || claimed.count == free {
                    await services.delivery.signal.wait(timeout: .milliseconds(100))
                }
                // Under a storm of wake-ups (thousands of events a second), look for work at most
                // every 20 ms once a claim came back empty, instead of once per event.
                if claimed.isEmpty, !stop {
                    let since = clock.now - lastEmptyClaim
                    if since < .milliseconds(20) { try? await Task.sleep(for: .milliseconds(20) - since) }
                    lastEmptyClaim = clock.now
                }
            }
        }
        endTurns()
    }

    /// Prepares a claimed batch and sends its deliveries concurrently; each outcome goes to the loop.
    private func send(_ claimed: [DeliveryQueue.Claimed], claimedAt: ContinuousClock.Instant) async {
        let batch = await sender.prepare(claimed.map(\.id), attempts: Dictionary(claimed.map { ($0.id, $0.attempts) }) { $1 })
        await withDiscardingTaskGroup { group in
            for item in claimed {
                let work = batch.prepared[item.id] ?? .decided(.unsendable(code: "delivery_missing", detail: "not prepared"))
                let task = batch.tasks[item.id], integration = batch.integrations[item.id], threaded = batch.threaded.contains(item.id)
                group.addTask {
                    var outcome = await self.process(item, work, claimedAt: claimedAt)
                    outcome.completion?.taskID = task
                    outcome.completion?.integrationID = integration
                    outcome.completion?.threaded = threaded
                    self.finished.withLockedValue { $0.append(outcome) }
                    self.services.delivery.signal.notify()
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

    private func process(_ item: DeliveryQueue.Claimed, _ work: DeliverySender.Prepared, claimedAt: ContinuousClock.Instant) async -> Finished {
        let clock = ContinuousClock()
        let started = clock.now
        let outcome: DeliverySender.Outcome
        switch work {
        case .decided(let decided):
            outcome = decided
        case .send(let send):
            // A send that waited past half its lease (a stalled process) first checks that the
            // lease is still this worker's, so it is not made twice.
            if clock.now - claimedAt > .seconds(Self.lease / 2) {
                guard (try? await queue.holdsLease(item, now: services.now())) == true else {
                    logger.warning("delivery \(item.id) lease expired before it was sent; leaving it to its new owner")
                    return Finished(completion: nil, label: "abandoned", duration: clock.now - started)
                }
            }
            outcome = await sender.send(send)
        }
        var completion = DeliveryQueue.Completion(claimed: item, state: .sent)
        let label: String
        switch outcome {
        case .delivered(let messageID, let reference, let version, let reposted, let holdFor, let shownSeq):
            completion.delivered = (messageID, reference, version)
            completion.shownSeq = shownSeq
            completion.holdFor = holdFor.map(boundedHold)
            label = "sent"
            if reposted { logger.info("message was gone; re-posted", metadata: ["delivery": "\(item.id)", "sink": "\(item.sink)"]) }
        case .replied(let holdFor):
            completion.holdFor = holdFor.map(boundedHold)
            label = "sent"
        case .superseded:
            label = "superseded"
        case .unprepared(let detail):
            logger.warning("delivery could not be prepared", metadata: ["delivery": "\(item.id)", "error": "\(detail)"])
            label = retry(&completion, code: "prepare_failed", detail: detail, permanent: false, retryAfter: nil)
        case .unsendable(let code, let detail):
            completion.state = .failed
            completion.error = (code, detail)
            label = "failed"
        case .withdrawn(let code, let detail):
            completion.state = .cancelled
            completion.error = (code, detail)
            label = "cancelled"
        case .failed(let code, let detail, let permanent, let retryAfter):
            label = retry(&completion, code: code, detail: detail, permanent: permanent, retryAfter: retryAfter)
            // The service asked for a pause (a 429): nothing else goes to the destination before it ends.
            if !permanent { completion.holdFor = retryAfter.map(boundedHold) }
        }
        return Finished(completion: completion, label: label, duration: clock.now - started)
    }

    /// A pause a service asked for, at most the delivery max age: a sink's answer never decides a
    /// time the database cannot hold.
    private func boundedHold(_ hold: Duration) -> Duration {
        min(max(hold, .zero), .seconds(services.configuration.deliveryMaxAge))
    }

    /// Applies the retry policy to a failed attempt: pending again after a backoff, `failed` at once
    /// for a permanent error, or `dead` past the delivery's max age. Returns the metrics label.
    private func retry(_ completion: inout DeliveryQueue.Completion, code: String, detail: String, permanent: Bool,
                       retryAfter: Duration?) -> String {
        let item = completion.claimed
        let decision = services.delivery.retryPolicy.decide(attempts: item.attempts, permanent: permanent, retryAfter: retryAfter,
                                                   createdAt: item.createdAt, now: services.now(), random: services.random())
        completion.error = (code, detail)
        switch decision {
        case .retry(let at):
            completion.state = .pending
            completion.nextAttemptAt = at
            return "retry"
        case .failed:
            completion.state = .failed
            logger.notice("delivery failed permanently", metadata: ["delivery": "\(item.id)", "error": "\(code)"])
            return "failed"
        case .dead:
            completion.state = .dead
            logger.warning("delivery is dead after retrying for its maximum age", metadata: ["delivery": "\(item.id)", "error": "\(code)"])
            return "dead"
        }
    }
}
