import Fluent
import Foundation
import HeraldCore
import HeraldSinks
import SQLKit
import Vapor

/// The outbox's claims and completions (SPEC §5).
///
/// A claim takes due deliveries — pending ones whose time has come, and `sending` ones whose lease
/// expired because their worker died — at most one per channel per pacing interval and at most
/// one per message, and leases them to this worker. On PostgreSQL the rows are locked with
/// `FOR UPDATE SKIP LOCKED`, so any number of processes share the work without duplicates, and the
/// per-channel pacing rows are claimed the same way, so pacing holds across all of them.
struct DeliveryQueue: Sendable {
    let db: any Database
    let gate: WriteGate
    /// SQLite: the connection (and thread) the write transactions run on; else the pool's.
    var writer: SQLiteWriter? = nil
    let isPostgres: Bool
    let workerID: String
    let lease: TimeInterval
    /// The spacing between two sends to one destination, per sink; nil when pacing is off.
    let pacing: PacingPlan?
    let logger: Logger
    /// Told of every delivery that reaches a final state, in the transaction that records it.
    var hooks: [any DeliveryCompletionHook] = [TaskCompletionHook(), IntegrationOutcomeHook(), ThreadReplyHook()]

    struct Claimed: Sendable {
        var id: UUID
        var sink: String
        var attempts: Int
        var pacingKey: String
        /// When the delivery was created: its max age counts from here.
        var createdAt: Date
    }

    /// Claims never wait on a lock (every row they touch is taken with `SKIP LOCKED`, and pacing
    /// rows are created by intake, before their deliveries are due), so they cannot take part in a
    /// deadlock.
    ///
    /// One transaction records `completions` (see ``record(_:now:on:)``) and then claims up to
    /// `limit` deliveries. With `probe`, SQLite first looks without the write lock when there is
    /// nothing to record: most looks of an idle worker find nothing (every channel busy, nothing
    /// due), and a read never waits for the writer in WAL mode.
    ///
    /// Deliveries whose lease expired (their worker died or stalled) are looked for only with
    /// `reclaim`: the worker asks every few seconds, not on every turn.
    func recordAndClaim(_ completions: [Completion], limit: Int, now: Date, probe: Bool,
                        reclaim: Bool) async throws -> (lost: Set<UUID>, claimed: [Claimed]) {
        if completions.isEmpty {
            guard limit > 0 else { return ([], []) }
            if probe, !isPostgres,
               try await candidates(limit: 1, now: now, reclaim: reclaim, on: db as! any SQLDatabase).isEmpty { return ([], []) }
        }
        guard let writer else {
            return try await gate.transaction(db) { db in
                try await self.recordAndClaim(completions, limit: limit, now: now, reclaim: reclaim, on: db as! any SQLDatabase)
            }
        }
        return try await writer.transaction(through: gate, logger: logger) { sql in
            try await self.recordAndClaim(completions, limit: limit, now: now, reclaim: reclaim, on: sql)
        }
    }

    private func recordAndClaim(_ completions: [Completion], limit: Int, now: Date, reclaim: Bool,
                                on sql: any SQLDatabase) async throws -> (lost: Set<UUID>, claimed: [Claimed]) {
        let lost = try await record(completions, now: now, on: sql)
        let claimed = try await claim(limit: limit, now: now, reclaim: reclaim, on: sql)
        return (lost, claimed)
    }

    private func claim(limit: Int, now: Date, reclaim: Bool, on sql: any SQLDatabase) async throws -> [Claimed] {
        guard limit > 0 else { return [] }
        let candidates = try await self.candidates(limit: limit, now: now, reclaim: reclaim, on: sql)
        guard !candidates.isEmpty else { return [] }
        struct Row { var id: UUID; var sink: String; var key: String; var message: UUID; var attempts: Int; var createdAt: Date }
        let rows = try candidates.map {
            Row(id: try $0.decodeUUID(column: "id"), sink: try $0.decode(column: "sink", as: String.self),
                key: try $0.decode(column: "pacing_key", as: String.self),
                message: try $0.decodeUUID(column: "message_id"), attempts: try $0.decode(column: "attempts", as: Int.self),
                // An unreadable creation time counts as long past: the next failure makes the delivery dead.
                createdAt: (try? $0.decode(column: "created_at", as: Date.self)) ?? .distantPast)
        }
        guard !rows.isEmpty else { return [] }
        var available: Set<String>?
        if pacing != nil {
            let keys = Array(Set(rows.map(\.key))).sorted()
            let pacingLock = isPostgres ? SQLRaw("FOR UPDATE SKIP LOCKED") : SQLRaw("")
            let free = try await sql.raw("""
                SELECT pacing_key FROM channel_pacing
                WHERE pacing_key IN (\(binds: keys)) AND next_allowed_at <= \(bind: now) \(pacingLock)
                """).all()
            available = Set(try free.map { try $0.decode(column: "pacing_key", as: String.self) })
        }
        var chosen: [Row] = []
        var keys: Set<String> = []
        var messages: Set<UUID> = []
        for row in rows where chosen.count < limit {
            if let available, !available.contains(row.key) || keys.contains(row.key) { continue }
            if messages.contains(row.message) { continue }
            chosen.append(row)
            keys.insert(row.key)
            messages.insert(row.message)
        }
        guard !chosen.isEmpty else { return [] }
        if pacing != nil, !keys.isEmpty {
            // The channel is busy until this send completes (or its lease expires); completion
            // then frees it one interval later. So two messages reach Slack at least one interval
            // apart, however long each send takes.
            try await sql.update("channel_pacing").set("next_allowed_at", to: now.addingTimeInterval(lease))
                .where("pacing_key", .in, Array(keys)).run()
        }
        try await sql.update("deliveries")
            .set("state", to: DeliveryState.sending.rawValue)
            .set("lease_expires_at", to: now.addingTimeInterval(lease))
            .set("claimed_by", to: workerID)
            .set(SQLIdentifier("attempts"), to: SQLRaw("attempts + 1"))
            .set("updated_at", to: now)
            .where("id", .in, chosen.map { StoredUUID($0.id) })
            .run()
        return chosen.map { Claimed(id: $0.id, sink: $0.sink, attempts: $0.attempts + 1, pacingKey: $0.key, createdAt: $0.createdAt) }
    }

    /// Due deliveries (locked, skipping locked ones, on PostgreSQL), about one per free slot:
    /// not blocked by another send of the same message and, when paced, on a channel whose slot is
    /// free. Paced claims start from the free channels, so a long backlog on a busy channel costs
    /// nothing. Deliveries whose worker died (lease expired) come first.
    private func candidates(limit: Int, now: Date, reclaim: Bool, on sql: any SQLDatabase) async throws -> [any SQLRow] {
        let lock = isPostgres ? SQLRaw("FOR UPDATE OF d SKIP LOCKED") : SQLRaw("")
        func notBlocked(_ d: String) -> SQLQueryString {
            """
            NOT EXISTS (SELECT 1 FROM deliveries s WHERE s.message_id = \(ident: d).message_id AND s.id <> \(ident: d).id
                        AND s.state = 'sending' AND s.lease_expires_at >= \(bind: now))
            """
        }
        var candidates: [any SQLRow] = []
        if reclaim {
            candidates += try await sql.raw("""
                SELECT d.id, d.sink, d.pacing_key, d.message_id, d.attempts, d.created_at FROM deliveries d
                WHERE d.state = 'sending' AND d.lease_expires_at < \(bind: now) AND \(notBlocked("d"))
                LIMIT \(bind: limit) \(lock)
                """).all()
        }
        if pacing != nil {
            // The earliest due delivery of each free channel: one row per channel, an index seek each.
            candidates += try await sql.raw("""
                SELECT d.id, d.sink, d.pacing_key, d.message_id, d.attempts, d.created_at FROM channel_pacing p
                JOIN deliveries d ON d.id = (
                    SELECT e.id FROM deliveries e
                    WHERE e.pacing_key = p.pacing_key AND e.state = 'pending' AND e.next_attempt_at <= \(bind: now)
                      AND \(notBlocked("e"))
                    ORDER BY e.next_attempt_at LIMIT 1)
                WHERE p.next_allowed_at <= \(bind: now)
                ORDER BY d.next_attempt_at
                LIMIT \(bind: limit)
                \(lock)
                """).all()
        } else {
            // A few more than the free slots, for those skipped as a second send of one message.
            candidates += try await sql.raw("""
                SELECT d.id, d.sink, d.pacing_key, d.message_id, d.attempts, d.created_at FROM deliveries d
                WHERE d.state = 'pending' AND d.next_attempt_at <= \(bind: now) AND \(notBlocked("d"))
                ORDER BY d.next_attempt_at
                LIMIT \(bind: limit + 32)
                \(lock)
                """).all()
        }
        return candidates
    }

    /// SQLite is single-process: whatever was `sending` when the process stopped was in flight;
    /// it goes back to `pending` at once (at-least-once) instead of waiting for its lease.
    func releaseOrphans(now: Date) async throws {
        guard !isPostgres else { return }
        try await gate.transaction(db) { db in
            try await (db as! any SQLDatabase).update("deliveries")
                .set("state", to: DeliveryState.pending.rawValue)
                .set("lease_expires_at", to: SQLLiteral.null)
                .set("updated_at", to: now)
                .where("state", .equal, DeliveryState.sending.rawValue)
                .run()
        }
    }

    /// A send's outcome, to be recorded.
    struct Completion: Sendable {
        var claimed: Claimed
        var state: DeliveryState
        var nextAttemptAt: Date? = nil
        var error: (code: String, text: String)? = nil
        /// The sink's reference to the message now, and the incident version it shows.
        var delivered: (messageID: UUID, reference: String?, version: Int)? = nil
        /// The service asked for a pause before the next send to this destination (Discord's
        /// `X-RateLimit-Remaining: 0`, a 429's `Retry-After`).
        var holdFor: Duration? = nil
        /// The runbook task the delivery's message belongs to.
        var taskID: UUID? = nil
        /// The integration whose destination it went to.
        var integrationID: UUID? = nil
        /// A post or update of a message whose updates are also threaded.
        var threaded = false
        /// The last timeline entry the sent message shows.
        var shownSeq: Int? = nil
    }

    /// Records outcomes; only the worker holding a lease may record its
    /// delivery's (a stolen lease writes nothing). Returns the ids whose lease was lost.
    ///
    /// Sends without error (nearly all of them) are one `UPDATE` for all, their messages one
    /// `UPDATE … FROM (VALUES …)`, and the channels they paced one more.
    private func record(_ completions: [Completion], now: Date, on sql: any SQLDatabase) async throws -> Set<UUID> {
        guard !completions.isEmpty else { return [] }
        var recorded: Set<UUID> = []
        let plain = completions.filter { $0.state == .sent && $0.error == nil && $0.nextAttemptAt == nil }
        for chunk in plain.chunked(into: 1000) {
            let rows = try await sql.update("deliveries")
                .set("state", to: DeliveryState.sent.rawValue)
                .set("updated_at", to: now)
                .set("sent_at", to: now)
                .set("lease_expires_at", to: SQLLiteral.null)
                .set("last_error_code", to: SQLLiteral.null)
                .set("last_error", to: SQLLiteral.null)
                .where("id", .in, chunk.map { StoredUUID($0.claimed.id) })
                .where("claimed_by", .equal, workerID)
                .where("state", .equal, DeliveryState.sending.rawValue)
                .returning("id").all()
            for row in rows { recorded.insert(try row.decodeUUID(column: "id")) }
        }
        let plainIDs = Set(plain.map(\.claimed.id))
        for c in completions where !plainIDs.contains(c.claimed.id) {
            var update = sql.update("deliveries")
                .set("state", to: c.state.rawValue)
                .set("updated_at", to: now)
                .set("lease_expires_at", to: SQLLiteral.null)
                .set("last_error_code", to: c.error?.code)
                .set("last_error", to: c.error.map { String($0.text.prefix(1000)) })
            if let next = c.nextAttemptAt { update = update.set("next_attempt_at", to: next) }
            if c.state == .sent { update = update.set("sent_at", to: now) }
            let rows = try await update.where("id", .equal, StoredUUID(c.claimed.id)).where("claimed_by", .equal, workerID)
                .where("state", .equal, DeliveryState.sending.rawValue).returning("id").all()
            if !rows.isEmpty { recorded.insert(c.claimed.id) }
        }
        // The sink's reference to each message now (a re-post is a new message), for the deliveries this worker still owned.
        let shown = completions.filter { recorded.contains($0.claimed.id) }.compactMap(\.delivered)
        for chunk in shown.chunked(into: 500) {
            let values = SQLList(chunk.map { d in
                SQLGroupExpression([SQLBind(StoredUUID(d.messageID)), SQLBind(d.reference), SQLBind(d.version)] as [any SQLExpression])
            })
            try await sql.raw("""
                UPDATE messages SET external_ref = v.column2, last_sent_at = \(bind: now),
                  rendered_version = CASE WHEN messages.rendered_version > v.column3 THEN messages.rendered_version ELSE v.column3 END
                FROM (VALUES \(values)) AS v
                WHERE messages.id = v.column1
                """).run()
        }
        // Deliveries first, then pacing: the same order as claims, which never wait anyway.
        if let pacing {
            // Each destination is free again one interval of its sink after this send, or later when
            // its service asked for a pause; one statement per distinct wait.
            var byWait: [Duration: [String]] = [:]
            var seen: Set<String> = []
            for c in completions.sorted(by: { ($0.holdFor ?? .zero) > ($1.holdFor ?? .zero) }) where seen.insert(c.claimed.pacingKey).inserted {
                byWait[max(pacing.interval(for: c.claimed.sink), c.holdFor ?? .zero), default: []].append(c.claimed.pacingKey)
            }
            let ordered = byWait.flatMap { wait, keys in keys.map { (key: $0, wait: wait) } }.sorted { $0.key < $1.key }
            for chunk in ordered.chunked(into: 1000) {
                // Several workers free several channels at once: lock them in one order, so two
                // recording transactions never wait for each other in a cycle.
                if isPostgres {
                    _ = try await sql.raw("""
                        SELECT pacing_key FROM channel_pacing WHERE pacing_key IN (\(binds: chunk.map(\.key))) ORDER BY pacing_key FOR UPDATE
                        """).all()
                }
                for (wait, keys) in Dictionary(grouping: chunk, by: \.wait) {
                    try await sql.update("channel_pacing").set("next_allowed_at", to: now.addingTimeInterval(wait.seconds))
                        .where("pacing_key", .in, keys.map(\.key)).run()
                }
            }
        }
        let finals = completions.filter { recorded.contains($0.claimed.id) && $0.state != .pending }
        if !finals.isEmpty {
            for hook in hooks { try await hook.completed(finals, now: now, on: sql) }
        }
        return Set(completions.map(\.claimed.id)).subtracting(recorded)
    }

    /// Whether this worker still holds the delivery's lease, checked just before calling Slack so a
    /// send that stalled past its lease is not made twice.
    func holdsLease(_ claimed: Claimed, now: Date) async throws -> Bool {
        try await (db as! any SQLDatabase).raw("""
            SELECT 1 AS held FROM deliveries WHERE id = \(id: claimed.id) AND claimed_by = \(bind: workerID)
              AND state = 'sending' AND lease_expires_at > \(bind: now)
            """).first() != nil
    }

    /// Deliveries per sink and state, for the metrics: every state, or only the given ones (the
    /// queue's live states are a short range of the `(state, next_attempt_at)` index; counting the
    /// whole history is not).
    func counts(states: [DeliveryState]? = nil) async throws -> [(sink: String, state: String, count: Int)] {
        var filter: SQLQueryString = ""
        if let states { filter = "WHERE state IN (\(binds: states.map(\.rawValue)))" }
        return try await (db as! any SQLDatabase).raw("SELECT sink, state, COUNT(*) AS n FROM deliveries \(filter) GROUP BY sink, state").all().map {
            (try $0.decode(column: "sink", as: String.self), try $0.decode(column: "state", as: String.self),
             try $0.decode(column: "n", as: Int.self))
        }
    }
}

extension Duration {
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// How long each sink's destinations wait between two sends (SPEC §5): Slack's channel rate for
/// the Slack sinks, each other sink's own rate.
struct PacingPlan: Sendable {
    var slack: Duration
    var bySink: [String: Duration]

    /// nil when `slackRate` is 0: pacing is off for every sink (benchmarks, a Slack emulation).
    init?(slackRate: Double, sinks: SinkRegistry) {
        guard let slack = ChannelPacing.interval(rate: slackRate) else { return nil }
        self.slack = slack
        var bySink: [String: Duration] = [:]
        for type in sinks.types {
            guard let sink = sinks[type] else { continue }
            switch sink.pacing {
            case .slackChannelRate: bySink[type.rawValue] = slack
            case .perSecond(let rate): bySink[type.rawValue] = ChannelPacing.interval(rate: rate) ?? .zero
            }
        }
        self.bySink = bySink
    }

    func interval(for sink: String) -> Duration {
        bySink[sink] ?? slack
    }
}

/// Told, inside the recording transaction, of deliveries that reached a final state (sent, failed,
/// dead, cancelled): what owns a message follows its delivery.
protocol DeliveryCompletionHook: Sendable {
    func completed(_ completions: [DeliveryQueue.Completion], now: Date, on sql: any SQLDatabase) async throws
}

/// A runbook task's state follows its message's delivery (SPEC §7): `sent` with where the message
/// is, or `failed` with the error ("Connection failed" in pages).
struct TaskCompletionHook: DeliveryCompletionHook {
    func completed(_ completions: [DeliveryQueue.Completion], now: Date, on sql: any SQLDatabase) async throws {
        for c in completions {
            guard let taskID = c.taskID else { continue }
            let sent = c.state == .sent
            try await sql.update("runbook_tasks")
                .set("state", to: sent ? "sent" : "failed")
                .set("external_ref", to: c.delivered?.reference)
                .set("error_code", to: sent ? nil : c.error?.code ?? c.state.rawValue)
                .set("error", to: sent ? nil : c.error.map { String($0.text.prefix(1000)) })
                .set("finished_at", to: now)
                .where("id", .equal, StoredUUID(taskID))
                .where("state", .equal, "sending")
                .run()
        }
    }
}

/// Each integration shows its last delivery's outcome and when it happened: one statement per
/// recording turn for every integration in it, the latest outcome of each.
struct IntegrationOutcomeHook: DeliveryCompletionHook {
    func completed(_ completions: [DeliveryQueue.Completion], now: Date, on sql: any SQLDatabase) async throws {
        var latest: [UUID: DeliveryQueue.Completion] = [:]
        for c in completions { if let id = c.integrationID { latest[id] = c } }
        guard !latest.isEmpty else { return }
        // In one order (by id), so two workers' statements lock rows alike.
        for chunk in latest.map({ (text: $0.key.text, id: $0.key, completion: $0.value) }).sorted(by: { $0.text < $1.text })
            .map({ ($0.id, $0.completion) }).chunked(into: 300) {
            let values = SQLList(chunk.map { id, c in
                SQLGroupExpression([SQLBind(StoredUUID(id)), SQLBind(c.state.rawValue),
                                    SQLBind(c.error.map { "\($0.code): \(String($0.text.prefix(500)))" })] as [any SQLExpression])
            })
            try await sql.raw("""
                UPDATE integrations SET last_outcome = v.column2, last_error = v.column3, last_outcome_at = \(bind: now)
                FROM (VALUES \(values)) AS v
                WHERE integrations.id = v.column1
                """).run()
        }
    }
}

/// Threaded updates (SPEC §2, `threadUpdates`): once a threaded message's post or update is sent,
/// what it newly shows is also posted as a reply in its thread — a reply delivery for the timeline
/// entries after the last one replied, up to the last one the sent message shows (read with the
/// content it rendered, never later), created in the transaction that records the send: a restart
/// loses none and doubles none. The post itself shows its incident as it is: nothing to reply.
/// Replies wait their turn on the channel's pacing like any send. On PostgreSQL the message row is
/// locked first (messages in id order), so two workers recording sends of one message never both
/// reply.
struct ThreadReplyHook: DeliveryCompletionHook {
    func completed(_ completions: [DeliveryQueue.Completion], now: Date, on sql: any SQLDatabase) async throws {
        let sent = completions.filter { $0.threaded && $0.state == .sent && $0.delivered != nil && $0.shownSeq != nil }
        guard !sent.isEmpty else { return }
        let shown = Dictionary(sent.map { ($0.claimed.id, $0.shownSeq ?? 0) }) { max($0, $1) }
        let rows = try await sql.raw("""
            SELECT d.id AS delivery_id, d.kind, m.id, m.project_id, m.sink, m.target, m.pacing_key FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.id IN (\(ids: sent.map(\.claimed.id))) AND m.incident_id IS NOT NULL
            """).all()
        let lock = sql.dialect.name == "postgresql" ? SQLRaw("FOR UPDATE") : SQLRaw("")
        let ordered = try rows.map { (message: try $0.decodeUUID(column: "id"), row: $0) }.sorted { $0.message.text < $1.message.text }
        for (messageID, row) in ordered {
            guard let last = shown[try row.decodeUUID(column: "delivery_id")] else { continue }
            guard let replied = try await sql.raw("SELECT replied_seq FROM messages WHERE id = \(id: messageID) \(lock)").first()?
                .decode(column: "replied_seq", as: Int.self), last > replied
            else { continue }
            // Only an update is news in the thread; a post shows everything up to now.
            if try row.decode(column: "kind", as: String.self) == "update" {
                try await sql.insert(into: "deliveries")
                    .columns("id", "project_id", "message_id", "kind", "sink", "target", "pacing_key", "state", "attempts",
                             "next_attempt_at", "created_at", "updated_at", "reply_from_seq", "reply_to_seq")
                    .values(SQLBind(StoredUUID(.timeOrdered(at: now))), SQLBind(StoredUUID(try row.decodeUUID(column: "project_id"))),
                            SQLBind(StoredUUID(messageID)), SQLBind("reply"), SQLBind(try row.decode(column: "sink", as: String.self)),
                            SQLBind(try row.decode(column: "target", as: String.self)),
                            SQLBind(try row.decode(column: "pacing_key", as: String.self)), SQLBind(DeliveryState.pending.rawValue),
                            SQLBind(0), SQLBind(now), SQLBind(now), SQLBind(now), SQLBind(replied), SQLBind(last))
                    .run()
            }
            try await sql.update("messages").set("replied_seq", to: last).where("id", .equal, StoredUUID(messageID)).run()
        }
    }
}
