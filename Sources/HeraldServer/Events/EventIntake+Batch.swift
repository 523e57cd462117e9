import Fluent
import Foundation
import HeraldCore
import NIOConcurrencyHelpers
import SQLKit

extension EventIntake {
    /// Applies a batch of events inside the caller's write transaction, as if one after another.
    ///
    /// The common events take a set-based path: notifications, triggers that open a new incident
    /// (no open incident has the key), and triggers and updates that add to an open incident —
    /// each the first event of the batch on its key. They are independent of each other, so they
    /// are written together: a few statements for the whole batch. Every other event (appends, transitions, refusals, unknown
    /// services) follows, one at a time, each inside a savepoint: what fails is undone alone and
    /// reported to its own request. Applying the set-based ones first is a valid order: they
    /// touch no key that a later event in the batch reads before it.
    ///
    /// Also returns the pacing keys it created rows for: once committed, later batches of this
    /// process need not write them again (pacing rows are never deleted).
    func applyBatch(_ items: [IntakeItem], on db: any Database) async throws -> (results: [Result<IntakeResult, any Error>], pacingKeys: Set<String>) {
        let sql = db as! any SQLDatabase
        let prepared = try await prepareBatch(items, on: db)
        let (applied, created) = try await applySetBased(prepared, items, on: sql)
        var results = applied.results
        let general = try await applyGeneral(applied.oneByOne.map { items[$0] }, on: sql)
        for (i, result) in zip(applied.oneByOne, general) { results[i] = result }
        return (results.map { $0 ?? .failure(IntakeError.keyRevoked) }, created)
    }

    /// A batch read and sorted, before anything is written: what each event will take.
    struct PreparedBatch: Sendable {
        struct Notification: Sendable {
            var index: Int
            var service: ProjectRoutingCache.ServiceInfo?
        }

        struct Opening: Sendable {
            var index: Int
            var incidentID: UUID
            var key: String
            var title: String
            var service: ProjectRoutingCache.ServiceInfo?
        }

        /// A trigger or update for an incident that is (probably) open.
        struct Append: Sendable {
            var index: Int
            var key: String
            var service: ProjectRoutingCache.ServiceInfo?
        }

        /// Answers decided so far (revoked keys, then the set-based events once written).
        var results: [Result<IntakeResult, any Error>?]
        var entries: [UUID: ProjectRoutingCache.Entry]
        var received: Date
        var notifications: [Notification]
        var openings: [Opening]
        var appends: [Append]
        /// Events for the general path, in batch order.
        var oneByOne: [Int]
    }

    /// Reads what a batch needs (key revocations, projects) and sorts its events; writes nothing,
    /// so it may run outside the write transaction.
    func prepareBatch(_ items: [IntakeItem], on db: any Database) async throws -> PreparedBatch {
        var results = [Result<IntakeResult, any Error>?](repeating: nil, count: items.count)

        // Keys revoked since their requests were authenticated (from the cache) are refused now,
        // unless the database said they were unrevoked within the last second.
        let checkedAt = now()
        let usedKeys = Set(items.compactMap(\.eventKeyID))
        let keyIDs = usedKeys.subtracting(services.eventKeys.recentlyVerified(usedKeys, now: checkedAt))
        if !keyIDs.isEmpty {
            let live = try await (db as! any SQLDatabase).select().column("id").from(EventKey.schema)
                .where("id", .in, Array(keyIDs)).where("revoked_at", .is, SQLLiteral.null).all()
                .map { try $0.decode(column: "id", as: UUID.self) }
            let liveIDs = Set(live)
            services.eventKeys.markVerified(liveIDs, at: checkedAt)
            for (i, item) in items.enumerated() where item.eventKeyID.map({ keyIDs.contains($0) && !liveIDs.contains($0) }) ?? false {
                results[i] = .failure(IntakeError.keyRevoked)
            }
        }

        // Each project once: organization, settings, services (cached briefly).
        var entries: [UUID: ProjectRoutingCache.Entry] = [:]
        for projectID in Set(items.indices.filter { results[$0] == nil }.map { items[$0].projectID }) {
            entries[projectID] = try await services.routingCache.entry(for: projectID, secrets: services.secrets, now: now(), on: db)
        }

        // Notifications and new-incident triggers take the set-based path.
        let received = now()
        var notifications: [PreparedBatch.Notification] = []
        var openings: [PreparedBatch.Opening] = []
        var appends: [PreparedBatch.Append] = []
        var oneByOne: [Int] = []
        var touched: Set<ProjectKey> = []
        for (i, item) in items.enumerated() where results[i] == nil {
            let event = item.event
            var firstOnKey = true
            if case .incident = event.kind, let key = event.key {
                firstOnKey = touched.insert(ProjectKey(project: item.projectID, key: key)).inserted
            }
            guard let entry = entries[item.projectID] else { oneByOne.append(i); continue }
            var service: ProjectRoutingCache.ServiceInfo?
            if let ref = event.service, !ref.isEmpty {
                // A service this entry does not know (new, or misspelt) is looked up by the general path.
                guard let known = entry.service(ref) else { oneByOne.append(i); continue }
                service = known
            }
            switch event.kind {
            case .notification:
                notifications.append(.init(index: i, service: service))
            case .incident(let action):
                guard firstOnKey, let key = event.key else {
                    oneByOne.append(i)
                    continue
                }
                if action == .trigger, let title = event.title, !title.isEmpty {
                    openings.append(.init(index: i, incidentID: UUID.timeOrdered(at: received), key: key, title: title, service: service))
                } else if action == .update {
                    appends.append(.init(index: i, key: key, service: service))
                } else {
                    oneByOne.append(i)
                }
            }
        }
        return PreparedBatch(results: results, entries: entries, received: received, notifications: notifications,
                             openings: openings, appends: appends, oneByOne: oneByOne)
    }

    /// Writes the set-based events of a prepared batch (one statement per table) on `sql`, inside
    /// the caller's transaction. A trigger whose key turns out to have an open incident moves to
    /// the general path. Returns the batch with their answers, and the pacing keys it created.
    func applySetBased(_ batch: PreparedBatch, _ items: [IntakeItem], on sql: any SQLDatabase) async throws -> (PreparedBatch, Set<String>) {
        var batch = batch
        let received = batch.received
        let entries = batch.entries
        var results = batch.results
        var oneByOne = batch.oneByOne
        let notifications = batch.notifications, openings = batch.openings
        var rows = OutboxRows(now: received)

        // New incidents, unless one is open with the key: the open-key index decides, and a trigger
        // that found an open incident appends to it on the general path.
        for opening in openings {
            let event = items[opening.index].event
            rows.addIncident(id: opening.incidentID, event, key: opening.key, title: opening.title,
                             projectID: items[opening.index].projectID, serviceID: opening.service?.id, at: event.at ?? received)
        }
        let opened = try await rows.insertIncidentsUnlessOpen(on: sql)
        // A trigger whose key has an open incident adds to it, like an update.
        let appends = openings.filter { !opened.contains($0.incidentID) }.map { PreparedBatch.Append(index: $0.index, key: $0.key, service: $0.service) }
            + batch.appends
        let (appended, leftOver) = try await applyAppends(appends, items, received: received, rows: &rows, on: sql)
        for (index, result) in appended { results[index] = .success(result) }
        oneByOne += leftOver
        oneByOne.sort()

        for notification in notifications {
            let i = notification.index, service = notification.service
            let item = items[i], event = item.event, eventID = UUID.timeOrdered(at: received)
            rows.addEvent(id: eventID, event, projectID: item.projectID, serviceID: service?.id, incidentID: nil,
                          outcome: "notified", received: received)
            rows.addPosts(destinations(entries[item.projectID]!, isIncident: false, serviceChannel: nil, rule: event.rule),
                          projectID: item.projectID, incidentID: nil, eventID: eventID)
            results[i] = .success(IntakeResult(eventID: eventID, incidentID: nil, outcome: "notified", key: nil))
        }
        for opening in openings where opened.contains(opening.incidentID) {
            let item = items[opening.index], event = item.event, eventID = UUID.timeOrdered(at: received)
            let at = event.at ?? received
            rows.addEvent(id: eventID, event, projectID: item.projectID, serviceID: opening.service?.id, incidentID: opening.incidentID,
                          outcome: "opened", received: received)
            for (offset, run) in event.collapsed.enumerated() {
                rows.addTimeline(incidentID: opening.incidentID, eventID: eventID, kind: "collapsed", summary: run.summary,
                                 actor: event.actor ?? event.source, at: at, seq: 1 + offset)
            }
            rows.addTimeline(incidentID: opening.incidentID, eventID: eventID, kind: "trigger", summary: "Triggered: \(opening.title)",
                             actor: event.actor ?? event.source, at: at, seq: 1 + event.collapsed.count)
            rows.addPosts(destinations(entries[item.projectID]!, isIncident: true, serviceChannel: opening.service?.slackChannel, rule: event.rule),
                          projectID: item.projectID, incidentID: opening.incidentID, eventID: eventID)
            results[opening.index] = .success(IntakeResult(eventID: eventID, incidentID: opening.incidentID, outcome: "opened", key: opening.key))
        }
        let created = try await rows.insert(on: sql, known: services.pacingKeys)
        batch.results = results
        batch.oneByOne = oneByOne
        return (batch, created)
    }

    /// Triggers and updates that add to open incidents, set-based: the incidents' rows read in one
    /// statement per project and updated in one (only while still open), their timeline numbers
    /// read in one, and the rows to insert (events, timeline entries, living-message updates)
    /// added to `rows`. What finds no open incident goes to the general path (returned).
    private func applyAppends(_ appends: [PreparedBatch.Append], _ items: [IntakeItem], received: Date, rows: inout OutboxRows,
                              on sql: any SQLDatabase) async throws -> (appended: [Int: IntakeResult], leftOver: [Int]) {
        guard !appends.isEmpty else { return ([:], []) }
        struct Open { var id: UUID; var title: String; var details: String?; var severity: String?; var tags: String; var link: String?; var service: UUID? }
        var open: [ProjectKey: Open] = [:]
        for (projectID, group) in Dictionary(grouping: appends, by: { items[$0.index].projectID }) {
            for chunk in group.map(\.key).chunked(into: 500) {
                let found = try await sql.raw("""
                    SELECT id, dedup_key, title, description, severity, tags, link, service_id FROM incidents
                    WHERE project_id = \(bind: projectID) AND status <> 'resolved' AND dedup_key IN (\(binds: Array(chunk)))
                    """).all()
                for row in found {
                    open[ProjectKey(project: projectID, key: try row.decode(column: "dedup_key", as: String.self))] = Open(
                        id: try row.decode(column: "id", as: UUID.self), title: try row.decode(column: "title", as: String.self),
                        details: try row.decode(column: "description", as: String?.self), severity: try row.decode(column: "severity", as: String?.self),
                        tags: try row.decode(column: "tags", as: String.self), link: try row.decode(column: "link", as: String?.self),
                        service: try row.decode(column: "service_id", as: UUID?.self))
                }
            }
        }
        // The new state of each incident: what the general path's append would write.
        var planned: [(append: PreparedBatch.Append, incident: UUID, values: [any SQLExpression])] = []
        var leftOver: [Int] = []
        for append in appends {
            let event = items[append.index].event
            guard let current = open[ProjectKey(project: items[append.index].projectID, key: append.key)] else {
                leftOver.append(append.index)
                continue
            }
            var tags = (try? JSONDecoder().decode([String: String].self, from: Data(current.tags.utf8))) ?? [:]
            if !event.tags.isEmpty { tags.merge(event.tags) { $1 } }
            let title = event.title.flatMap { $0.isEmpty ? nil : $0 } ?? current.title
            planned.append((append, current.id, [
                SQLBind(current.id), SQLBind(title), SQLBind(event.text ?? current.details), SQLBind(event.severity?.rawValue ?? current.severity),
                SQLBind(Incident.encodeTags(tags)), SQLBind(event.link ?? current.link), SQLBind(append.service?.id ?? current.service),
                SQLBind(event.at ?? received),
            ]))
        }
        // Only incidents still open are changed (a concurrent resolve wins, as in the general path).
        var updated: Set<UUID> = []
        let serviceColumn = sql.dialect.name == "postgresql" ? SQLRaw("v.column7::uuid") : SQLRaw("v.column7")
        for chunk in planned.chunked(into: 1000) {
            let values = SQLList(chunk.map { SQLGroupExpression($0.values) })
            let rows = try await sql.raw("""
                UPDATE incidents SET title = v.column2, description = v.column3, severity = v.column4, tags = v.column5, link = v.column6,
                  service_id = \(serviceColumn), last_event_at = v.column8, version = incidents.version + 1
                FROM (VALUES \(values)) AS v
                WHERE incidents.id = v.column1 AND incidents.status IN ('triggered', 'acknowledged')
                RETURNING incidents.id
                """).all()
            for row in rows { updated.insert(try row.decode(column: "id", as: UUID.self)) }
        }
        let done = planned.filter { updated.contains($0.incident) }
        leftOver += planned.filter { !updated.contains($0.incident) }.map(\.append.index)
        guard !done.isEmpty else { return ([:], leftOver) }
        // Timeline numbers follow each incident's last (its row is locked by the update on PostgreSQL).
        var lastSeq: [UUID: Int] = [:]
        for chunk in done.map(\.incident).chunked(into: 1000) {
            for row in try await sql.raw("""
                SELECT incident_id, MAX(seq) AS seq FROM incident_timeline WHERE incident_id IN (\(binds: Array(chunk))) GROUP BY incident_id
                """).all() {
                lastSeq[try row.decode(column: "incident_id", as: UUID.self)] = try row.decode(column: "seq", as: Int.self)
            }
        }
        var appended: [Int: IntakeResult] = [:]
        for (append, incidentID, _) in done {
            let item = items[append.index], event = item.event, eventID = UUID.timeOrdered(at: received)
            guard case .incident(let action) = event.kind else { continue }
            let at = event.at ?? received, actor = event.actor ?? event.source
            rows.addEvent(id: eventID, event, projectID: item.projectID, serviceID: append.service?.id, incidentID: incidentID,
                          outcome: "appended", received: received)
            var seq = lastSeq[incidentID] ?? 0
            for run in event.collapsed {
                seq += 1
                rows.addTimeline(incidentID: incidentID, eventID: eventID, kind: "collapsed", summary: run.summary, actor: actor, at: at, seq: seq)
            }
            let summary = event.text.flatMap { $0.isEmpty ? nil : $0 } ?? event.title ?? (action == .trigger ? "Triggered again" : "Updated")
            rows.addTimeline(incidentID: incidentID, eventID: eventID, kind: action.rawValue, summary: summary, actor: actor, at: at, seq: seq + 1)
            appended[append.index] = IntakeResult(eventID: eventID, incidentID: incidentID, outcome: "appended", key: append.key)
        }
        try await addUpdates(for: done.map(\.incident), rows: &rows, on: sql)
        return (appended, leftOver)
    }

    /// Living messages of `incidents` (SPEC §2), as the general path's `enqueueUpdates` does for a
    /// content change: a message with an update already pending has this change folded into it;
    /// the others get an update due one interval after their last send.
    private func addUpdates(for incidents: [UUID], rows: inout OutboxRows, on sql: any SQLDatabase) async throws {
        let interval = TimeInterval(services.configuration.updateInterval)
        for chunk in incidents.chunked(into: 1000) {
            let messages = try await sql.raw("""
                SELECT m.id, m.project_id, m.sink, m.target, m.pacing_key, m.last_sent_at,
                  EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state = 'pending') AS pending
                FROM messages m WHERE m.incident_id IN (\(binds: Array(chunk)))
                """).all()
            for message in messages where try !message.decode(column: "pending", as: Bool.self)
                && services.sinks.canEdit(try message.decode(column: "sink", as: String.self)) {
                let lastSent = try message.decode(column: "last_sent_at", as: Date?.self)
                rows.addUpdate(messageID: try message.decode(column: "id", as: UUID.self), projectID: try message.decode(column: "project_id", as: UUID.self),
                               sink: try message.decode(column: "sink", as: String.self), target: try message.decode(column: "target", as: String.self),
                               pacingKey: try message.decode(column: "pacing_key", as: String.self),
                               notBefore: max(rows.now, (lastSent ?? rows.now).addingTimeInterval(interval)))
            }
        }
    }

    /// Events on the general path, in order, inside the caller's transaction: each in a savepoint,
    /// so one that fails is undone and answered alone.
    func applyGeneral(_ items: [IntakeItem], on sql: any SQLDatabase) async throws -> [Result<IntakeResult, any Error>] {
        var results: [Result<IntakeResult, any Error>] = []
        for item in items { results.append(try await applyAlone(item, on: sql)) }
        return results
    }

    /// One event through the general path inside a savepoint; a concurrent writer that opened the
    /// same key first (PostgreSQL) means trying again, which then finds its incident.
    private func applyAlone(_ item: IntakeItem, on sql: any SQLDatabase) async throws -> Result<IntakeResult, any Error> {
        let db = sql as! any Database
        var attempt = 0
        while true {
            attempt += 1
            try await sql.raw("SAVEPOINT herald_event").run()
            do {
                let result = try await apply(item.event, projectID: item.projectID, on: db)
                try await sql.raw("RELEASE SAVEPOINT herald_event").run()
                return .success(result)
            } catch {
                // If even the rollback fails, the transaction is broken: the whole batch fails.
                try await sql.raw("ROLLBACK TO SAVEPOINT herald_event").run()
                try await sql.raw("RELEASE SAVEPOINT herald_event").run()
                if let dbError = error as? any DatabaseError, dbError.isConstraintFailure, attempt < 3 { continue }
                return .failure(error)
            }
        }
    }

    /// Writes `posts` (one message and one `post` delivery per destination) — the general path's
    /// way to the outbox; the batch path fills one ``OutboxRows`` for all its events.
    func enqueuePosts(_ posts: [(Destination, String)], projectID: UUID, incidentID: UUID?, eventID: UUID,
                      on db: any Database) async throws {
        var rows = OutboxRows(now: now())
        rows.addPosts(posts, projectID: projectID, incidentID: incidentID, eventID: eventID)
        _ = try await rows.insert(on: db as! any SQLDatabase, known: services.pacingKeys)
    }
}

/// Pacing keys whose `channel_pacing` row is known to be committed. Rows are never deleted, so a
/// key learnt once needs no insert again in this process.
final class PacingKeys: Sendable {
    private let keys = NIOLockedValueBox<Set<String>>([])

    func unknown(_ candidates: Set<String>) -> Set<String> {
        keys.withLockedValue { candidates.subtracting($0) }
    }

    /// Call only after the transaction that wrote them committed.
    func remember(_ committed: Set<String>) {
        guard !committed.isEmpty else { return }
        keys.withLockedValue { $0.formUnion(committed) }
    }
}

struct ProjectKey: Hashable, Sendable {
    var project: UUID
    var key: String
}

/// Rows for several tables, written with one multi-row `INSERT` per table (split to stay under
/// the databases' limits on bound values), parents before children.
struct OutboxRows {
    let now: Date
    private(set) var events: [[any SQLExpression]] = []
    /// Written by ``insertIncidentsUnlessOpen(on:)``, before the rest.
    private(set) var incidents: [[any SQLExpression]] = []
    private(set) var timeline: [[any SQLExpression]] = []
    private(set) var messages: [[any SQLExpression]] = []
    private(set) var deliveries: [[any SQLExpression]] = []
    private(set) var pacingKeys: Set<String> = []

    init(now: Date) {
        self.now = now
    }

    static let eventColumns = ["id", "project_id", "incident_id", "kind", "action", "dedup_key", "title", "text", "severity",
                               "service_id", "tags", "link", "rule", "source", "outcome", "occurred_at", "received_at"]
    static let incidentColumns = ["id", "project_id", "service_id", "dedup_key", "title", "description", "severity", "tags",
                                  "status", "version", "link", "opened_at", "last_event_at"]
    static let timelineColumns = ["id", "incident_id", "event_id", "kind", "summary", "actor", "at", "seq"]
    static let messageColumns = ["id", "project_id", "incident_id", "event_id", "sink", "target", "credential", "pacing_key",
                                 "rendered_version", "created_at"]
    static let deliveryColumns = ["id", "project_id", "message_id", "kind", "sink", "target", "pacing_key", "state", "attempts",
                                  "next_attempt_at", "created_at", "updated_at"]

    mutating func addEvent(id: UUID, _ event: IncomingEvent, projectID: UUID, serviceID: UUID?, incidentID: UUID?,
                           outcome: String, received: Date) {
        let (kind, action): (String, String?) = switch event.kind {
        case .notification: ("notification", nil)
        case .incident(let action): ("incident", action.rawValue)
        }
        events.append([
            SQLBind(id), SQLBind(projectID), SQLBind(incidentID), SQLBind(kind), SQLBind(action), SQLBind(event.key),
            SQLBind(event.title), SQLBind(event.text), SQLBind(event.severity?.rawValue), SQLBind(serviceID),
            SQLBind(Incident.encodeTags(event.tags)), SQLBind(event.link), SQLBind(event.rule), SQLBind(event.source),
            SQLBind(outcome), SQLBind(event.at ?? received), SQLBind(received),
        ])
    }

    mutating func addIncident(id: UUID, _ event: IncomingEvent, key: String, title: String, projectID: UUID, serviceID: UUID?, at: Date) {
        incidents.append([
            SQLBind(id), SQLBind(projectID), SQLBind(serviceID), SQLBind(key), SQLBind(title), SQLBind(event.text),
            SQLBind(event.severity?.rawValue), SQLBind(Incident.encodeTags(event.tags)), SQLBind(IncidentStatus.triggered.rawValue),
            SQLBind(1), SQLBind(event.link), SQLBind(at), SQLBind(at),
        ])
    }

    mutating func addTimeline(incidentID: UUID, eventID: UUID?, kind: String, summary: String, actor: String?, at: Date, seq: Int) {
        timeline.append([
            SQLBind(UUID.timeOrdered(at: now)), SQLBind(incidentID), SQLBind(eventID), SQLBind(kind),
            SQLBind(EventValidation.cut(summary, max: TimelineEntry.maxSummary)),
            SQLBind(actor), SQLBind(at), SQLBind(seq),
        ])
    }

    /// One message and one `post` delivery per destination, and the pacing row of its channel.
    mutating func addPosts(_ posts: [(Destination, String)], projectID: UUID, incidentID: UUID?, eventID: UUID) {
        for (destination, pacingKey) in posts {
            let messageID = UUID.timeOrdered(at: now)
            messages.append([
                SQLBind(messageID), SQLBind(projectID), SQLBind(incidentID), SQLBind(eventID), SQLBind(destination.sink),
                SQLBind(destination.target), SQLBind(destination.credential), SQLBind(pacingKey), SQLBind(0), SQLBind(now),
            ])
            deliveries.append([
                SQLBind(UUID.timeOrdered(at: now)), SQLBind(projectID), SQLBind(messageID), SQLBind("post"), SQLBind(destination.sink),
                SQLBind(destination.target), SQLBind(pacingKey), SQLBind(DeliveryState.pending.rawValue), SQLBind(0),
                SQLBind(now), SQLBind(now), SQLBind(now),
            ])
            pacingKeys.insert(pacingKey)
        }
    }

    /// One `update` delivery of an existing message (its channel's pacing row exists already).
    mutating func addUpdate(messageID: UUID, projectID: UUID, sink: String, target: String, pacingKey: String, notBefore: Date) {
        deliveries.append([
            SQLBind(UUID.timeOrdered(at: now)), SQLBind(projectID), SQLBind(messageID), SQLBind("update"), SQLBind(sink),
            SQLBind(target), SQLBind(pacingKey), SQLBind(DeliveryState.pending.rawValue), SQLBind(0),
            SQLBind(notBefore), SQLBind(now), SQLBind(now),
        ])
    }

    /// Inserts the rows; pacing rows only for keys `known` does not already hold. Returns those keys.
    func insert(on sql: any SQLDatabase, known: PacingKeys) async throws -> Set<String> {
        try await Self.insert(events, into: Event.schema, columns: Self.eventColumns, on: sql)
        try await Self.insert(timeline, into: TimelineEntry.schema, columns: Self.timelineColumns, on: sql)
        try await Self.insert(messages, into: Message.schema, columns: Self.messageColumns, on: sql)
        try await Self.insert(deliveries, into: Delivery.schema, columns: Self.deliveryColumns, on: sql)
        // Every channel has its pacing row before its first delivery is due, so claims never create one.
        let missing = known.unknown(pacingKeys)
        let pacing = missing.sorted().map { [SQLBind($0), SQLBind(Date(timeIntervalSince1970: 0))] as [any SQLExpression] }
        try await Self.insert(pacing, into: "channel_pacing", columns: ["pacing_key", "next_allowed_at"], on: sql,
                              ignoringConflictsWith: "pacing_key")
        return missing
    }

    /// Inserts the incidents added so far, skipping any whose key already has an open incident
    /// (the partial unique index on open keys), and returns the ids of those inserted.
    mutating func insertIncidentsUnlessOpen(on sql: any SQLDatabase) async throws -> Set<UUID> {
        defer { incidents = [] }
        var inserted: Set<UUID> = []
        let columns = SQLList(Self.incidentColumns.map { SQLIdentifier($0) })
        for chunk in incidents.chunked(into: max(1, Self.maxBindsPerStatement / Self.incidentColumns.count)) {
            let values = SQLList(chunk.map { SQLGroupExpression($0) })
            let rows = try await sql.raw("""
                INSERT INTO \(ident: Incident.schema) (\(columns)) VALUES \(values)
                ON CONFLICT (project_id, dedup_key) WHERE status <> 'resolved' DO NOTHING
                RETURNING id
                """).all()
            for row in rows { inserted.insert(try row.decode(column: "id", as: UUID.self)) }
        }
        return inserted
    }

    /// SQLite allows 32,766 bound values per statement, PostgreSQL 65,535: stay well under both.
    static let maxBindsPerStatement = 30_000

    static func insert(_ rows: [[any SQLExpression]], into table: String, columns: [String], on sql: any SQLDatabase,
                       ignoringConflictsWith conflictColumn: String? = nil) async throws {
        guard !rows.isEmpty else { return }
        for chunk in rows.chunked(into: max(1, maxBindsPerStatement / columns.count)) {
            var insert = sql.insert(into: table).columns(columns)
            for row in chunk { insert = insert.values(row) }
            if let conflictColumn { insert = insert.ignoringConflicts(with: conflictColumn) }
            try await insert.run()
        }
    }
}

extension Array {
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
