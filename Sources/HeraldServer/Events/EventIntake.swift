import Fluent
import Foundation
import HeraldCore
import SQLKit
import Vapor

/// Accepts events: stores the event, applies it to its incident (SPEC §1), routes it (SPEC §4)
/// and enqueues every delivery it causes — all in one transaction, so an event that got a `202`
/// is never lost (SPEC §5).
struct EventIntake: Sendable {
    let services: HeraldServices
    let db: any Database
    let gate: WriteGate
    let now: @Sendable () -> Date
    let logger: Logger

    init(app: Application) {
        self.services = app.herald
        self.db = app.db
        self.gate = app.herald.writeGate
        self.now = app.herald.now
        self.logger = app.logger
    }

    init(req: Request) {
        self.services = req.herald
        self.db = req.db
        self.gate = req.herald.writeGate
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
    static let chunkSize = 32

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

    /// An action on a known incident (the incident API and Slack buttons).
    func act(_ action: IncidentAction, incidentID: UUID, actor: String, source: String, assignee: String? = nil) async throws -> IntakeResult {
        let result = try await gate.transaction(db) { db -> IntakeResult in
            guard let incident = try await Incident.find(incidentID, on: db) else { throw Problem.notFound("Incident") }
            let event = IncomingEvent(kind: .incident(action), key: incident.key, source: source, actor: actor)
            let stored = try await self.storeEvent(event, projectID: incident.$project.id, on: db)
            return try await self.applyIncident(event, stored: stored, incident: incident, assignee: assignee, on: db)
        }
        services.deliverySignal.notify()
        return try result.throwIfRefused()
    }

    // MARK: -

    /// Applies one event on its own, reading and writing row by row (the general path; see
    /// ``applyBatch(_:on:)`` for the shared one).
    func apply(_ event: IncomingEvent, projectID: UUID, on db: any Database) async throws -> IntakeResult {
        let serviceID = try await resolveService(event.service, projectID: projectID, on: db)
        let isNotification = event.kind == .notification
        let stored = try await storeEvent(event, projectID: projectID, serviceID: serviceID, outcome: isNotification ? "notified" : nil, on: db)
        switch event.kind {
        case .notification:
            let destinations = try await route(projectID: projectID, isIncident: false, serviceID: serviceID, rule: event.rule, on: db)
            try await enqueuePosts(destinations, projectID: projectID, incidentID: nil, eventID: stored.requireID(), on: db)
            return IntakeResult(eventID: try stored.requireID(), incidentID: nil, outcome: "notified", key: nil)
        case .incident:
            guard let key = event.key else { throw FieldError(field: "key", detail: "is required") }
            let open = try await Incident.query(on: db).filter(\.$project.$id == projectID)
                .filter(\.$key == key).filter(\.$status != IncidentStatus.resolved.rawValue).first()
            var target = open
            // The latest resolved incident matters only to refuse or ignore a late action; a trigger
            // with no open incident opens one whatever came before.
            if open == nil, event.kind != .incident(.trigger) {
                target = try await Incident.query(on: db).filter(\.$project.$id == projectID).filter(\.$key == key)
                    .sort(\.$openedAt, .descending).first()
            }
            return try await applyIncident(event, stored: stored, incident: target, serviceID: serviceID, on: db)
        }
    }

    /// Applies an incident action to the open (or latest resolved) incident with its key.
    private func applyIncident(_ event: IncomingEvent, stored: Event, incident: Incident?, serviceID: UUID? = nil,
                               assignee: String? = nil, on db: any Database) async throws -> IntakeResult {
        guard case .incident(let action) = event.kind else { preconditionFailure("not an incident event") }
        let eventID = try stored.requireID()
        let at = event.at ?? stored.receivedAt
        let actor = event.actor ?? event.source
        let projectID = stored.$project.id

        func finish(_ incident: Incident?, _ outcome: String, reason: String? = nil) async throws -> IntakeResult {
            stored.$incident.id = incident?.id
            stored.outcome = outcome
            try await stored.save(on: db)
            return IntakeResult(eventID: eventID, incidentID: incident?.id, outcome: outcome, key: event.key, reason: reason)
        }

        // Reassign is not an event action, only an API/Slack one. Refused on a resolved incident,
        // and the refusal is recorded (committed) like a late acknowledge.
        if let assignee {
            guard let incident else { throw IntakeError.noOpenIncident(key: event.key ?? "") }
            guard incident.incidentStatus.isOpen, try await bump(incident, on: db, { $0.assignee = assignee }) else {
                let reason = "the incident is already resolved"
                try await addTimeline(incident, eventID: eventID, kind: "refused",
                                      summary: "Reassign to \(assignee) by \(actor) refused: \(reason)", actor: actor, at: at, on: db)
                return try await finish(incident, "refused", reason: reason)
            }
            try await addTimeline(incident, eventID: eventID, kind: "reassign", summary: "Reassigned to \(assignee)", actor: actor, at: at, on: db)
            try await enqueueUpdates(incident, immediate: true, on: db)
            return try await finish(incident, "reassigned")
        }

        let current = incident?.incidentStatus
        switch IncidentStateMachine.decide(action, current: current) {
        case .open:
            guard let title = event.title, !title.isEmpty else {
                throw FieldError(field: "title", detail: "is required to open an incident")
            }
            let created = Incident()
            created.id = .timeOrdered(at: now())
            created.$project.id = projectID
            created.$service.id = serviceID
            created.key = event.key ?? UUID().uuidString.lowercased()
            created.title = title
            created.details = event.text
            created.severity = event.severity?.rawValue
            created.tags = event.tags
            created.status = IncidentStatus.triggered.rawValue
            created.version = 1
            created.link = event.link
            created.openedAt = at
            created.lastEventAt = at
            try await created.create(on: db)
            try await addTimeline(created, eventID: eventID, kind: "trigger", summary: "Triggered: \(title)", actor: actor, at: at,
                                  collapsed: event.collapsed, first: true, on: db)
            let destinations = try await route(projectID: projectID, isIncident: true, serviceID: serviceID, rule: event.rule, on: db)
            try await enqueuePosts(destinations, projectID: projectID, incidentID: created.requireID(), eventID: eventID, on: db)
            return try await finish(created, "opened")

        case .append:
            guard let incident else { throw IntakeError.noOpenIncident(key: event.key ?? "") }
            let changed = try await bump(incident, on: db) { i in
                if let title = event.title, !title.isEmpty { i.title = title }
                if let text = event.text { i.details = text }
                if let severity = event.severity { i.severity = severity.rawValue }
                if !event.tags.isEmpty { i.tags = i.tags.merging(event.tags) { $1 } }
                if let link = event.link { i.link = link }
                if let serviceID { i.$service.id = serviceID }
                i.lastEventAt = at
            }
            guard changed else {
                // Resolved meanwhile: a trigger opens a new incident, an update has nothing to update.
                let fresh = try await Incident.find(incident.requireID(), on: db)
                return try await applyIncident(event, stored: stored, incident: fresh, serviceID: serviceID, on: db)
            }
            let summary = event.text.flatMap { $0.isEmpty ? nil : $0 } ?? event.title ?? (action == .trigger ? "Triggered again" : "Updated")
            try await addTimeline(incident, eventID: eventID, kind: action.rawValue, summary: summary, actor: actor, at: at,
                                  collapsed: event.collapsed, on: db)
            try await enqueueUpdates(incident, immediate: false, on: db)
            return try await finish(incident, "appended")

        case .transition(let status):
            guard let incident else { throw IntakeError.noOpenIncident(key: event.key ?? "") }
            let from: [IncidentStatus] = status == .acknowledged ? [.triggered] : [.triggered, .acknowledged]
            let changed = try await bump(incident, allowedFrom: from, on: db) { i in
                i.status = status.rawValue
                if status == .acknowledged { i.acknowledgedAt = at }
                if status == .resolved { i.resolvedAt = at }
                i.lastEventAt = at
            }
            guard changed else {
                // Someone else changed the status first: decide again on what it is now.
                let fresh = try await Incident.find(incident.requireID(), on: db)
                return try await applyIncident(event, stored: stored, incident: fresh, serviceID: serviceID, on: db)
            }
            let verb = status == .acknowledged ? "Acknowledged" : "Resolved"
            let summary = [verb + " by \(actor)", event.text].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            try await addTimeline(incident, eventID: eventID, kind: action.rawValue, summary: summary, actor: actor, at: at,
                                  collapsed: event.collapsed, on: db)
            try await enqueueUpdates(incident, immediate: true, on: db)
            return try await finish(incident, status.rawValue)

        case .unchanged:
            guard let incident else { throw IntakeError.noOpenIncident(key: event.key ?? "") }
            try await addTimeline(incident, eventID: eventID, kind: action.rawValue,
                                  summary: "\(action.rawValue.capitalized) by \(actor): already \(incident.status)", actor: actor, at: at,
                                  collapsed: event.collapsed, on: db)
            return try await finish(incident, "unchanged")

        case .refused(let reason):
            guard let incident else { throw IntakeError.noOpenIncident(key: event.key ?? "") }
            try await addTimeline(incident, eventID: eventID, kind: "refused",
                                  summary: "\(action.rawValue.capitalized) by \(actor) refused: \(reason)", actor: actor, at: at,
                                  collapsed: event.collapsed, on: db)
            return try await finish(incident, "refused", reason: reason)

        case .noOpenIncident:
            throw IntakeError.noOpenIncident(key: event.key ?? "")
        }
    }

    /// Applies `change` and increments the version only if the incident is still in one of
    /// `allowedFrom` (default: open) — a conditional update, so concurrent writers cannot undo
    /// each other (a resolve is never re-opened). Returns false when the condition failed.
    private func bump(_ incident: Incident, allowedFrom: [IncidentStatus] = [.triggered, .acknowledged], on db: any Database,
                      _ change: (Incident) -> Void) async throws -> Bool {
        let id = try incident.requireID()
        change(incident)
        let sql = db as! any SQLDatabase
        let rows = try await sql.update(Incident.schema)
            .set("title", to: incident.title)
            .set("description", to: incident.details)
            .set("severity", to: incident.severity)
            .set("tags", to: incident.tagsJSON)
            .set("status", to: incident.status)
            .set("assignee", to: incident.assignee)
            .set("link", to: incident.link)
            .set("service_id", to: incident.$service.id)
            .set("acknowledged_at", to: incident.acknowledgedAt)
            .set("resolved_at", to: incident.resolvedAt)
            .set("last_event_at", to: incident.lastEventAt)
            .set(SQLIdentifier("version"), to: SQLRaw("version + 1"))
            .where("id", .equal, id)
            .where("status", .in, allowedFrom.map(\.rawValue))
            .returning("version")
            .all()
        guard let row = rows.first else { return false }
        incident.version = try row.decode(column: "version", as: Int.self)
        return true
    }

    /// Adds an entry to the timeline, after one entry per run of `collapsed` alerts. Sequence
    /// numbers are read-then-written, so the incident's row is locked first (PostgreSQL; SQLite has
    /// one writer): concurrent writers to one incident take numbers one after another, without gaps,
    /// and the unique index on (incident, seq) catches anything that would not.
    private func addTimeline(_ incident: Incident, eventID: UUID?, kind: String, summary: String, actor: String?, at: Date,
                             collapsed: [CollapsedRun] = [], first: Bool = false, on db: any Database) async throws {
        let id = try incident.requireID()
        var last = 0
        if !first {
            try await db.lockRow(Incident.self, id: id)
            last = try await TimelineEntry.query(on: db).filter(\.$incident.$id == id).max(\.$seq) ?? 0
        }
        var entries = collapsed.enumerated().map { offset, run in
            TimelineEntry(incidentID: id, eventID: eventID, kind: "collapsed", summary: run.summary, actor: actor, at: at, seq: last + 1 + offset)
        }
        entries.append(TimelineEntry(incidentID: id, eventID: eventID, kind: kind, summary: EventValidation.cut(summary, max: TimelineEntry.maxSummary),
                                     actor: actor, at: at, seq: last + 1 + collapsed.count))
        try await entries.create(on: db)
    }

    private func storeEvent(_ event: IncomingEvent, projectID: UUID, serviceID: UUID? = nil, outcome: String? = nil,
                            on db: any Database) async throws -> Event {
        let stored = Event()
        stored.id = .timeOrdered(at: now())
        stored.$project.id = projectID
        switch event.kind {
        case .notification:
            stored.kind = "notification"
        case .incident(let action):
            stored.kind = "incident"
            stored.action = action.rawValue
        }
        stored.key = event.key
        stored.title = event.title
        stored.text = event.text
        stored.severity = event.severity?.rawValue
        stored.$service.id = serviceID
        stored.tagsJSON = Incident.encodeTags(event.tags)
        stored.link = event.link
        stored.rule = event.rule
        stored.source = event.source
        stored.outcome = outcome
        let received = now()
        stored.receivedAt = received
        stored.occurredAt = event.at ?? received
        try await stored.create(on: db)
        return stored
    }

    private func resolveService(_ ref: String?, projectID: UUID, on db: any Database) async throws -> UUID? {
        guard let ref, !ref.isEmpty else { return nil }
        if let id = UUID(uuidString: ref),
           let service = try await Service.query(on: db).filter(\.$id == id).filter(\.$project.$id == projectID).first()
        {
            return service.id
        }
        guard let service = try await Service.query(on: db).filter(\.$project.$id == projectID)
            .filter(\.$nameKey == ref.lowercased()).first()
        else { throw IntakeError.unknownService(ref) }
        return service.id
    }

    // MARK: Routing and the outbox

    private func route(projectID: UUID, isIncident: Bool, serviceID: UUID?, rule: String?, on db: any Database) async throws -> [(Destination, String)] {
        guard let entry = try await services.routingCache.entry(for: projectID, secrets: services.secrets, now: now(), on: db) else { return [] }
        var serviceChannel: String?
        if let serviceID {
            if let known = entry.services[serviceID] {
                serviceChannel = known.slackChannel
            } else {
                serviceChannel = try await Service.find(serviceID, on: db)?.slackChannel
            }
        }
        return destinations(entry, isIncident: isIncident, serviceChannel: serviceChannel, rule: rule)
    }

    /// Where an event goes (SPEC §4), each with its pacing key, which its sink makes from the
    /// target and the credential's fingerprint (for Slack: the workspace and the channel).
    func destinations(_ entry: ProjectRoutingCache.Entry, isIncident: Bool, serviceChannel: String?, rule: String?) -> [(Destination, String)] {
        let input = RoutingInput(isIncident: isIncident, serviceChannel: serviceChannel, slack: entry.slack.effective, rule: rule)
        return services.router.route(input).map { destination in
            let fingerprint = services.destinationCredentials.fingerprint(destination.credential, project: entry)
            let key = services.sinks[destination.sink]?.pacingKey(target: destination.target, credentialFingerprint: fingerprint)
                ?? "\(destination.sink)|\(fingerprint ?? "-")|\(destination.target)"
            return (destination, key)
        }
    }

    private func insertDelivery(_ message: Message, kind: String, notBefore: Date, on db: any Database) async throws {
        let time = now()
        let delivery = Delivery()
        delivery.id = .timeOrdered(at: time)
        delivery.$project.id = message.$project.id
        delivery.$message.id = try message.requireID()
        delivery.kind = kind
        delivery.sink = message.sink
        delivery.target = message.target
        delivery.pacingKey = message.pacingKey
        delivery.state = DeliveryState.pending.rawValue
        delivery.attempts = 0
        delivery.nextAttemptAt = notBefore
        delivery.createdAt = time
        delivery.updatedAt = time
        try await delivery.create(on: db)
    }

    /// Living messages (SPEC §2): one pending update per message at most — a newer change is folded
    /// into it (it renders the latest state when sent). Content changes wait for the update interval
    /// since the last send; status changes go at once.
    private func enqueueUpdates(_ incident: Incident, immediate: Bool, on db: any Database) async throws {
        let time = now()
        let interval = TimeInterval(services.configuration.updateInterval)
        let messages = try await Message.query(on: db).filter(\.$incident.$id == incident.requireID()).all()
        // Messages of sinks that cannot edit get only status changes, each as a new message.
        for message in messages where immediate || services.sinks.canEdit(message.sink) {
            let pending = try await Delivery.query(on: db).filter(\.$message.$id == message.requireID())
                .filter(\.$state == DeliveryState.pending.rawValue).first()
            if let pending {
                if immediate, pending.nextAttemptAt > time {
                    pending.nextAttemptAt = time
                    pending.updatedAt = time
                    try await pending.save(on: db)
                }
                continue
            }
            let notBefore = immediate ? time : max(time, (message.lastSentAt ?? time).addingTimeInterval(interval))
            try await insertDelivery(message, kind: "update", notBefore: notBefore, on: db)
        }
    }
}
