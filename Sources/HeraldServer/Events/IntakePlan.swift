import Foundation
import HeraldCore
import SQLKit

/// One batch of events decided in memory, in order, over the incidents ``IntakeState`` read: each
/// event sees what the ones before it did (a key opened, resolved and opened again in one batch
/// makes two incidents). ``apply(_:)`` either records everything an event does or throws and
/// records nothing; ``write(on:known:)`` then writes the batch with one statement per table.
struct IntakePlan {
    /// A message of an incident, and whether a delivery of it is pending.
    struct LivingMessage {
        enum Pending {
            /// Pending in the database, due at `at`.
            case stored(id: UUID, at: Date)
            /// Written by this batch: index into ``IntakePlan/deliveries``.
            case planned(Int)
        }

        var id: UUID
        var projectID: UUID
        var sink: String
        var target: String
        var pacingKey: String
        var lastSentAt: Date?
        /// Whether the clear reaches it (decided when it was created).
        var onClear: ClearPolicy
        var pending: Pending?
    }

    /// What routing is asked for one event.
    struct RouteQuery {
        var isIncident: Bool
        var serviceChannel: String?
        var rule: String?
    }

    /// Where one event goes: each destination with its pacing key, and the rule it named when the
    /// project has no such rule.
    struct PlannedRoute {
        var posts: [(Destination, String)]
        var unknownRule: String?
    }

    private var state: IntakeState
    let entries: [UUID: ProjectRoutingCache.Entry]
    let now: Date
    let updateInterval: TimeInterval
    let canEdit: (String) -> Bool
    let route: (ProjectRoutingCache.Entry, RouteQuery) -> PlannedRoute

    private(set) var events: [EventRow] = []
    /// Every incident this batch changes, as it ends up; `created` are inserted, the others updated.
    private var incidents: [UUID: IncidentRow] = [:]
    private var created: [UUID] = []
    private var changed: [UUID] = []
    private(set) var timeline: [TimelineRow] = []
    private(set) var messages: [MessageRow] = []
    private(set) var deliveries: [DeliveryRow] = []
    /// Pending deliveries in the database that a status change makes due now.
    private var dueNow: Set<UUID> = []
    /// Pending deliveries in the database that changes were folded into, with the update each
    /// stands for: if a worker claimed one meanwhile (it renders what was committed before this
    /// batch), the update is written as a delivery of its own instead.
    private var folded: [UUID: DeliveryRow] = [:]

    init(state: IntakeState, entries: [UUID: ProjectRoutingCache.Entry], now: Date, updateInterval: TimeInterval,
         canEdit: @escaping (String) -> Bool, route: @escaping (ProjectRoutingCache.Entry, RouteQuery) -> PlannedRoute) {
        self.state = state
        self.entries = entries
        self.now = now
        self.updateInterval = updateInterval
        self.canEdit = canEdit
        self.route = route
    }

    // MARK: Deciding

    /// Decides one event and records what it does; throws (recording nothing) when it cannot be
    /// applied: an unknown service, no incident to act on, a missing title or key.
    mutating func apply(_ item: IntakeItem) throws -> IntakeResult {
        let event = item.event
        guard let entry = entries[item.projectID] else { throw DomainError.notFound("Project") }
        var service: ProjectRoutingCache.ServiceInfo?
        if let ref = event.service, !ref.isEmpty {
            guard let known = entry.service(ref) else { throw IntakeError.unknownService(ref) }
            service = known
        }
        let eventID = UUID.timeOrdered(at: now)
        switch event.kind {
        case .notification:
            let routed = try routeChecked(entry, RouteQuery(isIncident: false, serviceChannel: nil, rule: event.rule), event: event)
            events.append(EventRow(id: eventID, projectID: item.projectID, event: event, serviceID: service?.id, outcome: "notified", received: now))
            addPosts(routed.posts, projectID: item.projectID, incidentID: nil, eventID: eventID)
            return IntakeResult(eventID: eventID, incidentID: nil, outcome: "notified", key: nil)
        case .incident(let action):
            return try applyIncident(action, item, entry: entry, service: service, eventID: eventID)
        }
    }

    private mutating func applyIncident(_ action: IncidentAction, _ item: IntakeItem, entry: ProjectRoutingCache.Entry,
                                        service: ProjectRoutingCache.ServiceInfo?, eventID: UUID) throws -> IntakeResult {
        var event = item.event
        let at = event.at ?? now
        let actor = event.actor ?? event.source
        /// Where a person acted, when it was not Herald itself: "acknowledged by ana via Slack".
        let via = event.source == "slack" ? " via Slack" : ""
        var target: IncidentRow?
        if let id = item.incidentID {
            guard let known = incidents[id] ?? state.byID[id] else { throw DomainError.notFound("Incident") }
            target = known
            event.key = known.key
        } else {
            guard let key = event.key else { throw FieldError(field: "key", detail: "is required") }
            let projectKey = ProjectKey(project: item.projectID, key: key)
            // The latest incident matters only to refuse or ignore a late action; a trigger with no
            // open incident opens one whatever came before.
            target = state.open[projectKey] ?? (action == .trigger ? nil : state.latest[projectKey])
        }
        let key = event.key ?? ""

        /// Records the event with what it did, and answers.
        func finish(_ incident: IncidentRow?, _ outcome: String, reason: String? = nil) -> IntakeResult {
            events.append(EventRow(id: eventID, projectID: item.projectID, incidentID: incident?.id, event: event, serviceID: service?.id,
                                   outcome: outcome, received: now))
            return IntakeResult(eventID: eventID, incidentID: incident?.id, outcome: outcome, key: event.key, reason: reason)
        }

        // Reassign is not an event action, only an API/Slack one. Refused on a resolved incident,
        // and the refusal is recorded like a late acknowledge.
        if let assignee = item.assignee {
            guard var incident = target else { throw IntakeError.noOpenIncident(key: key) }
            guard incident.status.isOpen else {
                let reason = "the incident is already resolved"
                addTimeline(incident.id, eventID: eventID, kind: "refused", summary: "Reassign to \(assignee) by \(actor) refused: \(reason)",
                            actor: actor, at: at)
                return finish(incident, "refused", reason: reason)
            }
            incident.assignee = assignee
            change(&incident)
            addTimeline(incident.id, eventID: eventID, kind: "reassign", summary: "Reassigned to \(assignee) by \(actor)\(via)", actor: actor, at: at)
            enqueueUpdates(incident.id, immediate: true)
            return finish(incident, "reassigned")
        }

        switch IncidentStateMachine.decide(action, current: target?.status) {
        case .open:
            guard let title = event.title, !title.isEmpty else {
                throw FieldError(field: "title", detail: "is required to open an incident")
            }
            let routed = try routeChecked(entry, RouteQuery(isIncident: true, serviceChannel: service?.slackChannel, rule: event.rule),
                                          event: event)
            let incident = IncidentRow(
                id: .timeOrdered(at: now), projectID: item.projectID, serviceID: service?.id, key: key, title: title, details: event.text,
                severity: event.severity?.rawValue, tags: event.tags, status: .triggered, version: 1, link: event.link, openedAt: at,
                lastEventAt: at)
            incidents[incident.id] = incident
            created.append(incident.id)
            state.open[ProjectKey(project: item.projectID, key: key)] = incident
            state.lastSeq[incident.id] = 0
            addTimeline(incident.id, eventID: eventID, kind: "trigger", summary: "Triggered: \(title)", actor: actor, at: at,
                        collapsed: event.collapsed)
            if let unknown = routed.unknownRule {
                addTimeline(incident.id, eventID: eventID, kind: "rule_unknown",
                            summary: "Alert rule \u{201C}\(unknown.prefix(200))\u{201D} not found: sent to the project's channels and integrations only",
                            actor: actor, at: at)
            }
            addPosts(routed.posts, projectID: item.projectID, incidentID: incident.id, eventID: eventID)
            return finish(incident, "opened")

        case .append:
            guard var incident = target else { throw IntakeError.noOpenIncident(key: key) }
            if let title = event.title, !title.isEmpty { incident.title = title }
            if let text = event.text { incident.details = text }
            if let severity = event.severity { incident.severity = severity.rawValue }
            if !event.tags.isEmpty { incident.tags.merge(event.tags) { $1 } }
            if let link = event.link { incident.link = link }
            if let service { incident.serviceID = service.id }
            incident.lastEventAt = at
            change(&incident)
            let summary = event.text.flatMap { $0.isEmpty ? nil : $0 } ?? event.title ?? (action == .trigger ? "Triggered again" : "Updated")
            addTimeline(incident.id, eventID: eventID, kind: action.rawValue, summary: summary, actor: actor, at: at, collapsed: event.collapsed)
            enqueueUpdates(incident.id, immediate: false)
            return finish(incident, "appended")

        case .transition(let status):
            guard var incident = target else { throw IntakeError.noOpenIncident(key: key) }
            incident.status = status
            if status == .acknowledged { incident.acknowledgedAt = at }
            if status == .resolved { incident.resolvedAt = at }
            incident.lastEventAt = at
            change(&incident)
            let verb = status == .acknowledged ? "Acknowledged" : "Resolved"
            let summary = [verb + " by \(actor)\(via)", event.text].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            addTimeline(incident.id, eventID: eventID, kind: action.rawValue, summary: summary, actor: actor, at: at, collapsed: event.collapsed)
            enqueueUpdates(incident.id, immediate: true, clearing: status == .resolved)
            return finish(incident, status.rawValue)

        case .unchanged:
            guard let incident = target else { throw IntakeError.noOpenIncident(key: key) }
            addTimeline(incident.id, eventID: eventID, kind: action.rawValue,
                        summary: "\(action.rawValue.capitalized) by \(actor): already \(incident.status.rawValue)", actor: actor, at: at,
                        collapsed: event.collapsed)
            return finish(incident, "unchanged")

        case .refused(let reason):
            guard let incident = target else { throw IntakeError.noOpenIncident(key: key) }
            addTimeline(incident.id, eventID: eventID, kind: "refused",
                        summary: "\(action.rawValue.capitalized) by \(actor) refused: \(reason)", actor: actor, at: at,
                        collapsed: event.collapsed)
            return finish(incident, "refused", reason: reason)

        case .noOpenIncident:
            throw IntakeError.noOpenIncident(key: key)
        }
    }

    /// Routes an event; a rule Herald's own API names must exist (a compatibility sender cannot
    /// fix its payload, so its unknown rule is noted on the timeline instead).
    private func routeChecked(_ entry: ProjectRoutingCache.Entry, _ query: RouteQuery, event: IncomingEvent) throws -> PlannedRoute {
        let routed = route(entry, query)
        if let unknown = routed.unknownRule, event.source == "api" { throw IntakeError.unknownRule(unknown) }
        return routed
    }

    /// Records a change to an incident (one version more), and keeps the batch's view of its key
    /// current: a resolved incident is no longer open, and becomes its key's latest.
    private mutating func change(_ incident: inout IncidentRow) {
        incident.version += 1
        if incidents[incident.id] == nil { changed.append(incident.id) }
        incidents[incident.id] = incident
        let key = ProjectKey(project: incident.projectID, key: incident.key)
        if incident.status.isOpen {
            state.open[key] = incident
        } else {
            if state.open[key]?.id == incident.id { state.open[key] = nil }
            state.latest[key] = incident
        }
        state.byID[incident.id] = state.byID[incident.id].map { _ in incident }
    }

    /// An entry on the incident's timeline, after one entry per run of `collapsed` alerts; numbers
    /// follow the incident's last.
    private mutating func addTimeline(_ incidentID: UUID, eventID: UUID, kind: String, summary: String, actor: String?, at: Date,
                                      collapsed: [CollapsedRun] = []) {
        var seq = state.lastSeq[incidentID] ?? 0
        for run in collapsed {
            seq += 1
            timeline.append(TimelineRow(id: .timeOrdered(at: now), incidentID: incidentID, eventID: eventID, kind: "collapsed",
                                        summary: run.summary, actor: actor, at: at, seq: seq))
        }
        seq += 1
        timeline.append(TimelineRow(id: .timeOrdered(at: now), incidentID: incidentID, eventID: eventID, kind: kind, summary: summary,
                                    actor: actor, at: at, seq: seq))
        state.lastSeq[incidentID] = seq
    }

    // MARK: The outbox

    /// One message and one `post` delivery per destination.
    private mutating func addPosts(_ posts: [(Destination, String)], projectID: UUID, incidentID: UUID?, eventID: UUID) {
        for (destination, pacingKey) in posts {
            let message = MessageRow(id: .timeOrdered(at: now), projectID: projectID, incidentID: incidentID, eventID: eventID,
                                     destination: destination, pacingKey: pacingKey, onClear: destination.onClear, createdAt: now)
            messages.append(message)
            deliveries.append(DeliveryRow(id: .timeOrdered(at: now), projectID: projectID, messageID: message.id, kind: "post",
                                          sink: destination.sink, target: destination.target, pacingKey: pacingKey, notBefore: now,
                                          createdAt: now))
            if let incidentID {
                state.messages[incidentID, default: []].append(LivingMessage(
                    id: message.id, projectID: projectID, sink: destination.sink, target: destination.target, pacingKey: pacingKey,
                    lastSentAt: nil, onClear: destination.onClear, pending: .planned(deliveries.count - 1)))
            }
        }
    }

    /// Living messages (SPEC §2): one pending delivery per message at most — a newer change is
    /// folded into it (it renders the latest state when sent). Content changes wait for the update
    /// interval since the last send; status changes go at once. Messages of sinks that cannot edit
    /// get only status changes, each as a new message. A clear skips the messages whose policy is
    /// silent (an alert rule without `notifyOnClear`).
    private mutating func enqueueUpdates(_ incidentID: UUID, immediate: Bool, clearing: Bool = false) {
        guard var living = state.messages[incidentID] else { return }
        for index in living.indices where (immediate || canEdit(living[index].sink)) && !(clearing && living[index].onClear == .silent) {
            let message = living[index]
            // The update this change stands for: at once, or one interval after the last send.
            let notBefore = immediate ? now : max(now, (message.lastSentAt ?? now).addingTimeInterval(updateInterval))
            let now = self.now
            func update() -> DeliveryRow {
                DeliveryRow(id: .timeOrdered(at: now), projectID: message.projectID, messageID: message.id, kind: "update",
                            sink: message.sink, target: message.target, pacingKey: message.pacingKey, notBefore: notBefore, createdAt: now)
            }
            switch message.pending {
            case .stored(let id, let at):
                if immediate, at > now { dueNow.insert(id) }
                if var standIn = folded[id] {
                    standIn.notBefore = min(standIn.notBefore, notBefore)
                    folded[id] = standIn
                } else {
                    folded[id] = update()
                }
            case .planned(let delivery):
                if immediate, deliveries[delivery].notBefore > now { deliveries[delivery].notBefore = now }
            case nil:
                deliveries.append(update())
                living[index].pending = .planned(deliveries.count - 1)
            }
        }
        state.messages[incidentID] = living
    }

    /// What the batch inserts and updates, for tests.
    var insertedIncidents: [IncidentRow] { created.compactMap { incidents[$0] } }
    var updatedIncidents: [IncidentRow] { changed.compactMap { incidents[$0] } }
    var dueNowDeliveries: Set<UUID> { dueNow }

    // MARK: Writing

    /// Another writer opened a key this batch opens (PostgreSQL, several processes): the batch
    /// is undone and tried again, and then finds that incident open.
    struct OpenedElsewhere: Error {}

    /// Writes the batch, parents before children, and returns the pacing keys it created rows for
    /// (once committed, later batches of this process need not write them again).
    func write(on sql: any SQLDatabase, known: PacingKeys) async throws -> Set<String> {
        // Changes first: an incident resolved here frees its key for one opened here.
        let updates = changed.compactMap { incidents[$0] }
        guard try await IntakeStatements.update(updates, on: sql) == updates.count else { throw DomainError.notFound("Incident") }
        // New incidents in one order (project, key) in every batch, so two batches opening the same
        // keys wait for each other on the open-key index rather than deadlock.
        let inserts = created.compactMap { incidents[$0] }.map { ($0.projectID.text, $0) }.sorted { ($0.0, $0.1.key) < ($1.0, $1.1.key) }.map(\.1)
        guard try await IntakeStatements.insertIncidentsUnlessOpen(inserts, on: sql).count == inserts.count else { throw OpenedElsewhere() }
        try await IntakeStatements.insert(events, on: sql)
        try await IntakeStatements.insert(timeline, on: sql)
        try await IntakeStatements.insert(messages, on: sql)
        // Deliveries changes were folded into: still pending, they are locked here (a worker's claim
        // skips them until this commits, then renders the new state); any a worker claimed
        // meanwhile gets a delivery of its own, so no change is lost.
        var stillPending: Set<UUID> = []
        for chunk in Array(folded.keys).sorted().chunked(into: 1000) {
            for row in try await sql.raw("""
                UPDATE deliveries SET updated_at = \(bind: now) WHERE id IN (\(ids: chunk)) AND state = 'pending' RETURNING id
                """).all() {
                stillPending.insert(try row.decodeUUID(column: "id"))
            }
        }
        let standIns = folded.filter { !stillPending.contains($0.key) }.map(\.value)
        try await IntakeStatements.insert(deliveries + standIns, on: sql)
        for chunk in Array(dueNow.intersection(stillPending)).sorted().chunked(into: 1000) {
            try await sql.update(Delivery.schema).set("next_attempt_at", to: now).set("updated_at", to: now)
                .where("id", .in, chunk.map(StoredUUID.init)).where("state", .equal, DeliveryState.pending.rawValue).run()
        }
        // Every channel has its pacing row before its first delivery is due, so claims never create one.
        let missing = known.unknown(Set(messages.map(\.pacingKey)))
        let pacing = missing.sorted().map { PacingRow(key: $0) }
        try await IntakeStatements.insert(pacing, on: sql, ignoringConflictsWith: "pacing_key")
        return missing
    }
}

/// A `channel_pacing` row, created free.
struct PacingRow: IntakeRow {
    static let table = "channel_pacing"
    var key: String

    var columns: [Column] {
        [Column("pacing_key", "text", key), Column("next_allowed_at", "timestamptz", Date(timeIntervalSince1970: 0))]
    }
}
