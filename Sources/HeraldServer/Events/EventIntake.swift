import Fluent
import Foundation
import HeraldCore
import HeraldSinks
import SQLKit
import Vapor

/// Accepts events: stores each event, applies it to its incident (SPEC §1), routes it (SPEC §4)
/// and enqueues every delivery it causes — all in one transaction, so an event that got a `202`
/// is never lost (SPEC §5).
///
/// Every intake (Herald's API, PagerDuty, Alertmanager, the incident API; later Slack and the
/// pages) goes through one write path, ``applyBatch(_:)``, for every kind of event: a batch is
/// read in a few set-based statements, decided in memory in order (``IntakePlan``), and written in
/// one multi-row statement per table. An event that cannot be applied is answered alone and
/// writes nothing.
struct EventIntake: Sendable {
    let services: HeraldServices
    let db: any Database
    let gate: WriteGate
    let now: @Sendable () -> Date
    let logger: Logger

    init(app: Application) {
        self.services = app.herald
        self.db = app.db
        self.gate = app.herald.storage.writeGate
        self.now = app.herald.now
        self.logger = app.logger
    }

    init(req: Request) {
        self.services = req.herald
        self.db = req.db
        self.gate = req.herald.storage.writeGate
        self.now = req.herald.now
        self.logger = req.logger
    }

    /// Accepts one event sent with an event key.
    func accept(_ event: IncomingEvent, grant: EventKeyGrant) async throws -> IntakeResult {
        try await accept([event], grant: grant)[0].get()
    }

    /// Events sent together (an Alertmanager payload) go to intake in chunks of this many, one
    /// after another, so a huge payload never holds the writer for long: other requests' events
    /// are applied between its chunks.
    static let chunkSize = 128

    /// Accepts events sent together (an Alertmanager payload): applied in order, in chunks of
    /// ``chunkSize`` (each chunk in one transaction). Refusals come back as failures, after they were recorded.
    func accept(_ events: [IncomingEvent], grant: EventKeyGrant) async throws -> [Result<IntakeResult, any Error>] {
        var results: [Result<IntakeResult, any Error>] = []
        results.reserveCapacity(events.count)
        for chunk in events.chunked(into: Self.chunkSize) {
            let items = chunk.map { IntakeItem(event: $0, projectID: grant.projectID, eventKeyID: grant.keyID) }
            results += await services.intake.submit(items, intake: self).map { $0.flatMap { r in Result { try r.throwIfRefused() } } }
        }
        return results
    }

    /// Accepts an event from a person acting through Herald (the incident API).
    func accept(_ event: IncomingEvent, projectID: UUID) async throws -> IntakeResult {
        let item = IntakeItem(event: event, projectID: projectID, eventKeyID: nil)
        return try await services.intake.submit([item], intake: self)[0].get().throwIfRefused()
    }

    /// An action on a known incident (the incident API and Slack buttons); with `assignee`, a reassign.
    func act(_ action: IncidentAction, incidentID: UUID, actor: String, source: String, assignee: String? = nil) async throws -> IntakeResult {
        guard let projectID = try await Incident.query(on: db).filter(\.$id == incidentID).field(\.$project.$id).first()?.$project.id else {
            throw DomainError.notFound("Incident")
        }
        let event = IncomingEvent(kind: .incident(action), source: source, actor: actor)
        let item = IntakeItem(event: event, projectID: projectID, eventKeyID: nil, incidentID: incidentID, assignee: assignee)
        return try await services.intake.submit([item], intake: self)[0].get().throwIfRefused()
    }

    // MARK: The write path

    /// Applies a batch in one write transaction, as if one event after another: the events'
    /// projects come from the routing cache, the incidents they touch are read (and locked, on
    /// PostgreSQL) in a few statements, ``IntakePlan`` decides each event in order, and the rows
    /// are written together. Throws only when the batch as a whole failed (nothing was written);
    /// ``IntakeBatcher`` then tries again, and at last applies the events one by one.
    func applyBatch(_ items: [IntakeItem]) async throws -> [Result<IntakeResult, any Error>] {
        var decided = try await refuseRevokedKeys(items)
        // Each project's routing data from the cache; a service the entry does not know may be new,
        // so the project is then read afresh (at most every 250 ms).
        var entries: [UUID: ProjectRoutingCache.Entry] = [:]
        var named: [UUID: [String]] = [:]
        for i in items.indices where decided[i] == nil {
            named[items[i].projectID, default: []] += items[i].event.service.map { $0.isEmpty ? [] : [$0] } ?? []
        }
        for (projectID, services) in named {
            entries[projectID] = try await self.services.routing.cache.entry(for: projectID, knowing: services,
                                                                            secrets: self.services.security.secrets, now: now(), on: db)
        }
        for (i, item) in items.enumerated() where decided[i] == nil && entries[item.projectID] == nil {
            decided[i] = .failure(DomainError.notFound("Project"))
        }
        let snapshot = decided, projects = entries
        let written: (results: [Result<IntakeResult, any Error>], pacingKeys: Set<String>)
        if let writer = services.storage.sqliteWriter {
            written = try await writer.transaction(through: gate, logger: logger) { sql in
                try await self.write(items, decided: snapshot, entries: projects, on: sql)
            }
        } else {
            written = try await gate.transaction(db) { db in
                try await self.write(items, decided: snapshot, entries: projects, on: db as! any SQLDatabase)
            }
        }
        services.delivery.pacingKeys.remember(written.pacingKeys)
        services.delivery.signal.notify()
        return written.results
    }

    /// Inside the transaction: reads what the batch touches, decides, writes.
    private func write(_ items: [IntakeItem], decided: [Result<IntakeResult, any Error>?], entries: [UUID: ProjectRoutingCache.Entry],
                       on sql: any SQLDatabase) async throws -> (results: [Result<IntakeResult, any Error>], pacingKeys: Set<String>) {
        let state = try await IntakeState.read(items, skipping: Set(decided.indices.filter { decided[$0] != nil }), on: sql)
        var plan = IntakePlan(state: state, entries: entries, now: now(), updateInterval: TimeInterval(services.configuration.updateInterval),
                              canEdit: { self.services.delivery.sinks.canEdit($0) },
                              route: { entry, query in self.route(entry, query) })
        var results: [Result<IntakeResult, any Error>] = []
        results.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            if let known = decided[i] {
                results.append(known)
            } else {
                results.append(Result { try plan.apply(item) })
            }
        }
        let created = try await plan.write(on: sql, known: services.delivery.pacingKeys)
        return (results, created)
    }

    /// Keys revoked since their requests were authenticated (from the cache) are refused now,
    /// unless the database said they were unrevoked within the last second.
    private func refuseRevokedKeys(_ items: [IntakeItem]) async throws -> [Result<IntakeResult, any Error>?] {
        var results = [Result<IntakeResult, any Error>?](repeating: nil, count: items.count)
        let checkedAt = now()
        let usedKeys = Set(items.compactMap(\.eventKeyID))
        let keyIDs = usedKeys.subtracting(services.security.eventKeys.recentlyVerified(usedKeys, now: checkedAt))
        guard !keyIDs.isEmpty else { return results }
        let live = try await (db as! any SQLDatabase).select().column("id").from(EventKey.schema)
            .where("id", .in, Array(keyIDs)).where("revoked_at", .is, SQLLiteral.null).all()
            .map { try $0.decodeUUID(column: "id") }
        let liveIDs = Set(live)
        services.security.eventKeys.markVerified(liveIDs, at: checkedAt)
        for (i, item) in items.enumerated() where item.eventKeyID.map({ keyIDs.contains($0) && !liveIDs.contains($0) }) ?? false {
            results[i] = .failure(IntakeError.keyRevoked)
        }
        return results
    }

    /// Where an event goes (SPEC §4), each destination with its pacing key, which its sink makes
    /// from the target and the credential's fingerprint (for Slack: the workspace and the channel;
    /// for a webhook: its URL's). A destination without a fingerprint is keyed by its credential's
    /// name, so two destinations never share a pacing slot by accident.
    func route(_ entry: ProjectRoutingCache.Entry, _ query: IntakePlan.RouteQuery) -> IntakePlan.PlannedRoute {
        let routed = services.routing.router.route(entry.routingInput(isIncident: query.isIncident, serviceChannel: query.serviceChannel,
                                                                      rule: query.rule))
        let posts = routed.destinations.map { destination in
            (destination, services.delivery.sinks.pacingKey(sink: destination.sink, target: destination.target,
                                                            credentialFingerprint: destination.fingerprint ?? destination.credential))
        }
        return IntakePlan.PlannedRoute(posts: posts, unknownRule: routed.unknownRule)
    }
}

/// A batch's incidents and their living messages as the database has them, read in a few
/// statements inside the write transaction (on PostgreSQL the incidents' rows are then locked in
/// id order, so concurrent batches touching one incident take turns, and its timeline numbers
/// stay gapless).
struct IntakeState {
    /// The open incident of each key.
    var open: [ProjectKey: IncidentRow] = [:]
    /// The latest incident of each key with no open one, for late actions (refused or unchanged).
    var latest: [ProjectKey: IncidentRow] = [:]
    /// Incidents named by id (actions on a known incident).
    var byID: [UUID: IncidentRow] = [:]
    /// The last timeline number of each incident read.
    var lastSeq: [UUID: Int] = [:]
    /// The messages of each incident read, with any pending delivery.
    var messages: [UUID: [IntakePlan.LivingMessage]] = [:]

    static func read(_ items: [IntakeItem], skipping: Set<Int>, on sql: any SQLDatabase) async throws -> IntakeState {
        var state = IntakeState()
        var keysByProject: [UUID: Set<String>] = [:]
        /// Keys some event acts on other than by a trigger: only these need their latest incident
        /// when none is open (a trigger then opens one whatever came before).
        var lateActionKeys: [UUID: Set<String>] = [:]
        var ids: Set<UUID> = []
        for (i, item) in items.enumerated() where !skipping.contains(i) {
            guard case .incident(let action) = item.event.kind else { continue }
            if let id = item.incidentID {
                ids.insert(id)
            } else if let key = item.event.key {
                keysByProject[item.projectID, default: []].insert(key)
                if action != .trigger || item.assignee != nil { lateActionKeys[item.projectID, default: []].insert(key) }
            }
        }
        var read: [UUID: IncidentRow] = [:]
        for (projectID, keys) in keysByProject {
            for chunk in Array(keys).chunked(into: 500) {
                for row in try await sql.raw("""
                    SELECT \(IncidentRow.selection) FROM incidents
                    WHERE project_id = \(id: projectID) AND status <> 'resolved' AND dedup_key IN (\(binds: Array(chunk)))
                    """).all() {
                    let incident = try IncidentRow(row)
                    state.open[ProjectKey(project: projectID, key: incident.key)] = incident
                    read[incident.id] = incident
                }
            }
            // Keys with no open incident: their latest one (one index seek each), for late actions.
            let closed = keys.filter { state.open[ProjectKey(project: projectID, key: $0)] == nil && lateActionKeys[projectID]?.contains($0) == true }
            for chunk in Array(closed).chunked(into: 500) {
                for row in try await sql.raw("""
                    SELECT \(IncidentRow.selection) FROM incidents i
                    WHERE project_id = \(id: projectID) AND dedup_key IN (\(binds: Array(chunk)))
                      AND id = (SELECT j.id FROM incidents j WHERE j.project_id = i.project_id AND j.dedup_key = i.dedup_key
                                ORDER BY j.opened_at DESC, j.id DESC LIMIT 1)
                    """).all() {
                    let incident = try IncidentRow(row)
                    state.latest[ProjectKey(project: projectID, key: incident.key)] = incident
                    read[incident.id] = incident
                }
            }
        }
        for chunk in Array(ids.subtracting(read.keys)).chunked(into: 500) {
            for row in try await sql.raw("SELECT \(IncidentRow.selection) FROM incidents WHERE id IN (\(ids: chunk))").all() {
                let incident = try IncidentRow(row)
                read[incident.id] = incident
            }
        }
        // PostgreSQL: every incident read is locked in one order (by id, whatever the batch), so
        // concurrent batches touching the same incidents take turns instead of deadlocking, and
        // read again under the lock (a concurrent batch may have changed or resolved one).
        if sql.dialect.name == "postgresql", !read.isEmpty {
            var fresh: [UUID: IncidentRow] = [:]
            for chunk in read.keys.sorted().chunked(into: 500) {
                for row in try await sql.raw("""
                    SELECT \(IncidentRow.selection) FROM incidents WHERE id IN (\(ids: chunk)) ORDER BY id FOR UPDATE
                    """).all() {
                    let incident = try IncidentRow(row)
                    fresh[incident.id] = incident
                }
            }
            read = fresh
            for (key, incident) in state.open {
                if let now = fresh[incident.id], now.status.isOpen { state.open[key] = now } else {
                    state.open[key] = nil
                    if let now = fresh[incident.id] { state.latest[key] = now }
                }
            }
            for (key, incident) in state.latest { state.latest[key] = fresh[incident.id] }
        }
        for id in ids { state.byID[id] = read[id] }
        for chunk in Array(read.keys).chunked(into: 500) {
            for row in try await sql.raw("""
                SELECT incident_id, MAX(seq) AS seq FROM incident_timeline WHERE incident_id IN (\(ids: chunk)) GROUP BY incident_id
                """).all() {
                state.lastSeq[try row.decodeUUID(column: "incident_id")] = try row.decode(column: "seq", as: Int.self)
            }
            for row in try await sql.raw("""
                SELECT m.id, m.incident_id, m.project_id, m.sink, m.target, m.pacing_key, m.last_sent_at, m.on_clear,
                       d.id AS pending_id, d.next_attempt_at AS pending_at
                FROM messages m LEFT JOIN deliveries d ON d.message_id = m.id AND d.state = 'pending'
                WHERE m.incident_id IN (\(ids: chunk))
                ORDER BY m.created_at, m.id
                """).all() {
                let incidentID = try row.decodeUUID(column: "incident_id")
                let id = try row.decodeUUID(column: "id")
                if state.messages[incidentID]?.contains(where: { $0.id == id }) == true { continue }
                let pendingID = try row.decodeUUIDIfPresent(column: "pending_id")
                state.messages[incidentID, default: []].append(IntakePlan.LivingMessage(
                    id: id, projectID: try row.decodeUUID(column: "project_id"), sink: try row.decode(column: "sink", as: String.self),
                    target: try row.decode(column: "target", as: String.self), pacingKey: try row.decode(column: "pacing_key", as: String.self),
                    lastSentAt: try row.decode(column: "last_sent_at", as: Date?.self),
                    onClear: ClearPolicy(rawValue: try row.decode(column: "on_clear", as: String.self)) ?? .notify,
                    pending: try pendingID.map { .stored(id: $0, at: try row.decode(column: "pending_at", as: Date.self)) }))
            }
        }
        return state
    }
}

struct ProjectKey: Hashable, Sendable {
    var project: UUID
    var key: String
}
