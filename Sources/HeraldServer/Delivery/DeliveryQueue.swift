import Fluent
import Foundation
import HeraldCore
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
    let isPostgres: Bool
    let workerID: String
    let lease: TimeInterval
    let pacing: Duration?
    let logger: Logger

    struct Claimed: Sendable {
        var id: UUID
        var attempts: Int
        var pacingKey: String
    }

    /// Claims never wait on a lock (every row they touch is taken with `SKIP LOCKED`, and pacing
    /// rows are created by intake, before their deliveries are due), so they cannot take part in a
    /// deadlock.
    func claim(limit: Int, now: Date) async throws -> [Claimed] {
        guard limit > 0 else { return [] }
        return try await gate.transaction(db) { db in
            let sql = db as! any SQLDatabase
            let lock = isPostgres ? SQLRaw("FOR UPDATE OF d SKIP LOCKED") : SQLRaw("")
            let paced = pacing != nil
            // Due, not blocked by another send of the same message, and (paced) on a channel whose
            // slot is free: paced claims start from the free channels, so a long backlog on a busy
            // channel costs nothing. Deliveries whose worker died (lease expired) come back first.
            let notBlocked: SQLQueryString = """
                NOT EXISTS (SELECT 1 FROM deliveries s WHERE s.message_id = d.message_id AND s.id <> d.id
                            AND s.state = 'sending' AND s.lease_expires_at >= \(bind: now))
                """
            var candidates = try await sql.raw("""
                SELECT d.id, d.pacing_key, d.message_id, d.attempts FROM deliveries d
                WHERE d.state = 'sending' AND d.lease_expires_at < \(bind: now) AND \(notBlocked)
                LIMIT \(bind: limit) \(lock)
                """).all()
            if paced {
                candidates += try await sql.raw("""
                    SELECT d.id, d.pacing_key, d.message_id, d.attempts FROM channel_pacing p
                    JOIN deliveries d ON d.pacing_key = p.pacing_key
                    WHERE p.next_allowed_at <= \(bind: now) AND d.state = 'pending' AND d.next_attempt_at <= \(bind: now)
                      AND \(notBlocked)
                    ORDER BY d.next_attempt_at
                    LIMIT \(bind: limit * 4)
                    \(lock)
                    """).all()
            } else {
                candidates += try await sql.raw("""
                    SELECT d.id, d.pacing_key, d.message_id, d.attempts FROM deliveries d
                    WHERE d.state = 'pending' AND d.next_attempt_at <= \(bind: now) AND \(notBlocked)
                    ORDER BY d.next_attempt_at
                    LIMIT \(bind: limit * 4)
                    \(lock)
                    """).all()
            }
            struct Row { var id: UUID; var key: String; var message: UUID; var attempts: Int }
            let rows = try candidates.map {
                Row(id: try $0.decode(column: "id", as: UUID.self), key: try $0.decode(column: "pacing_key", as: String.self),
                    message: try $0.decode(column: "message_id", as: UUID.self), attempts: try $0.decode(column: "attempts", as: Int.self))
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
                .where("id", .in, chosen.map(\.id))
                .run()
            return chosen.map { Claimed(id: $0.id, attempts: $0.attempts + 1, pacingKey: $0.key) }
        }
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

    /// Records an outcome; only the worker holding the lease may (a stolen lease writes nothing).
    func complete(_ claimed: Claimed, state: DeliveryState, nextAttemptAt: Date?, error: (code: String, text: String)?, now: Date,
                  message: (@Sendable (any Database) async throws -> Void)? = nil) async throws {
        let id = claimed.id
        let recorded = try await gate.transaction(db) { db -> Bool in
            let sql = db as! any SQLDatabase
            var update = sql.update("deliveries")
                .set("state", to: state.rawValue)
                .set("updated_at", to: now)
                .set("lease_expires_at", to: SQLLiteral.null)
                .set("last_error_code", to: error?.code)
                .set("last_error", to: error.map { String($0.text.prefix(1000)) })
            if let nextAttemptAt { update = update.set("next_attempt_at", to: nextAttemptAt) }
            if state == .sent { update = update.set("sent_at", to: now) }
            let rows = try await update.where("id", .equal, id).where("claimed_by", .equal, workerID)
                .where("state", .equal, DeliveryState.sending.rawValue).returning("id").all()
            // Deliveries first, then pacing: the same order as claims, which never wait anyway.
            if let pacing {
                try await sql.update("channel_pacing").set("next_allowed_at", to: now.addingTimeInterval(pacing.seconds))
                    .where("pacing_key", .equal, claimed.pacingKey).run()
            }
            guard !rows.isEmpty else { return false }
            if let message { try await message(db) }
            return true
        }
        if !recorded {
            logger.warning("lost the lease of delivery \(id) before recording its outcome (\(state.rawValue)); another worker owns it now")
        }
    }

    /// Whether this worker still holds the delivery's lease, checked just before calling Slack so a
    /// send that stalled past its lease is not made twice.
    func holdsLease(_ claimed: Claimed, now: Date) async throws -> Bool {
        try await (db as! any SQLDatabase).raw("""
            SELECT 1 AS held FROM deliveries WHERE id = \(bind: claimed.id) AND claimed_by = \(bind: workerID)
              AND state = 'sending' AND lease_expires_at > \(bind: now)
            """).first() != nil
    }

    /// Deliveries per sink and state, for the metrics.
    func counts() async throws -> [(sink: String, state: String, count: Int)] {
        try await (db as! any SQLDatabase).raw("SELECT sink, state, COUNT(*) AS n FROM deliveries GROUP BY sink, state").all().map {
            (try $0.decode(column: "sink", as: String.self), try $0.decode(column: "state", as: String.self),
             try $0.decode(column: "n", as: Int.self))
        }
    }
}

extension Duration {
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
