import Fluent
import SQLKit
import Foundation
import HeraldCore
import HeraldSinks
import Vapor

/// Sends claimed deliveries through their sinks. ``prepare(_:)`` reads what a batch of claims needs
/// in a few queries and renders each message from the current state of its incident (or its
/// notification), once per incident or event and sink however many destinations it goes to;
/// ``send(_:)`` then only talks to the sink.
///
/// Living messages (SPEC §2), for every sink that can edit: an update whose message is gone is
/// re-posted and the new message remembered; an update that finds the message already showing
/// the latest version is not sent. A sink that cannot edit gets a new message instead.
struct DeliverySender: Sendable {
    let services: HeraldServices
    let db: any Database

    enum Outcome: Sendable {
        /// Posted or edited: the sink's reference to the message, and the incident version now shown;
        /// `holdFor`, when the service asked for a pause before the next send to the destination.
        case delivered(messageID: UUID, reference: String?, version: Int, reposted: Bool, holdFor: Duration?, shownSeq: Int?)
        /// A reply was posted in the message's thread.
        case replied(holdFor: Duration?)
        /// Nothing to send: the message already shows this version.
        case superseded
        /// The sink refused or could not be reached, with its own error code.
        case failed(code: String, detail: String, permanent: Bool, retryAfter: Duration?)
        /// Herald cannot send it at all (settings gone or disabled, an unknown sink): a permanent failure.
        case unsendable(code: String, detail: String)
        /// Its route is gone (the integration was deleted): `cancelled`, never retried.
        case withdrawn(code: String, detail: String)
        /// Herald could not prepare it (a database error, a row it cannot read): a transient
        /// failure, retried with backoff until the delivery's max age.
        case unprepared(String)
    }

    /// A rendered message ready to go, or the outcome decided without the sink.
    enum Prepared: Sendable {
        case send(Send)
        case decided(Outcome)
    }

    struct Send: Sendable {
        var messageID: UUID
        var sink: any Sink
        var message: RenderedMessage
        var address: SinkAddress
        /// The sink's reference to the message to edit (or, for a reply, to reply to); nil to post a new one.
        var existing: String?
        /// A reply in the thread of `existing`, not the message itself.
        var isReply = false
        var version: Int
        /// The delivery, for the sink (the signed webhook's `X-Herald-Delivery`).
        var context: SendContext
        /// The last timeline entry the message shows (what a threaded reply may report, no more).
        var shownSeq: Int? = nil
    }

    /// Reads and renders what `deliveries` need; every id gets an entry. If the batch cannot be
    /// prepared together (say one row cannot be read), each delivery is prepared alone, so one bad
    /// row holds back only itself: it gets ``Outcome/unprepared(_:)``.
    func prepare(_ deliveries: [UUID], attempts: [UUID: Int] = [:]) async -> Batch {
        do {
            return try await prepareTogether(deliveries, attempts: attempts)
        } catch {
            var batch = Batch()
            for id in deliveries {
                do {
                    let one = try await prepareTogether([id], attempts: attempts)
                    batch.prepared.merge(one.prepared) { $1 }
                    batch.tasks.merge(one.tasks) { $1 }
                    batch.integrations.merge(one.integrations) { $1 }
                    batch.threaded.formUnion(one.threaded)
                } catch {
                    batch.prepared[id] = .decided(.unprepared(String(describing: error)))
                }
            }
            return batch
        }
    }

    /// A prepared batch: every delivery's work, and what owns each delivery's message — a runbook
    /// task (its state follows the delivery), an integration (it shows its last outcome).
    struct Batch: Sendable {
        var prepared: [UUID: Prepared] = [:]
        var tasks: [UUID: UUID] = [:]
        var integrations: [UUID: UUID] = [:]
        /// Posts and updates of messages whose updates are also threaded: once sent, the thread
        /// gets a reply for what the message newly shows.
        var threaded: Set<UUID> = []
    }

    private func prepareTogether(_ deliveries: [UUID], attempts: [UUID: Int]) async throws -> Batch {
        guard !deliveries.isEmpty else { return Batch() }
        let sql = db as! any SQLDatabase
        let rows = try await sql.raw("""
            SELECT d.id, d.kind, d.reply_from_seq, d.reply_to_seq, m.id AS message_id, m.project_id, m.incident_id, m.event_id, m.task_id,
                   m.sink, m.target, m.credential, m.external_ref, m.rendered_version, m.on_clear, m.thread_updates
            FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.id IN (\(ids: deliveries))
            """).all().map(Row.init)
        let incidentIDs = Array(Set(rows.compactMap(\.incidentID)))
        let eventIDs = Array(Set(rows.filter { $0.incidentID == nil && $0.taskID == nil }.compactMap(\.eventID)))
        let taskIDs = Array(Set(rows.compactMap(\.taskID)))
        var incidents: [UUID: IncidentRow] = [:]
        var latest: [UUID: TimelineView] = [:]
        var latestSeq: [UUID: Int] = [:]
        var events: [UUID: NotificationRow] = [:]
        // Plain SQL into plain structs: decoding Fluent models cost more than rendering the messages.
        for chunk in incidentIDs.chunked(into: 500) {
            for row in try await sql.raw("SELECT \(IncidentRow.selection) FROM incidents WHERE id IN (\(ids: chunk))").all() {
                let incident = try IncidentRow(row)
                incidents[incident.id] = incident
            }
            let entries = try await sql.raw("""
                SELECT t.incident_id, t.seq, t.kind, t.summary, t.actor, t.at FROM incident_timeline t
                WHERE t.incident_id IN (\(ids: chunk))
                  AND t.seq = (SELECT MAX(s.seq) FROM incident_timeline s WHERE s.incident_id = t.incident_id)
                """).all()
            for entry in entries {
                latestSeq[try entry.decodeUUID(column: "incident_id")] = try entry.decode(column: "seq", as: Int.self)
                latest[try entry.decodeUUID(column: "incident_id")] = TimelineView(
                    kind: try entry.decode(column: "kind", as: String.self), summary: try entry.decode(column: "summary", as: String.self),
                    actor: try entry.decode(column: "actor", as: String?.self), at: try entry.decode(column: "at", as: Date.self))
            }
        }
        for chunk in eventIDs.chunked(into: 500) {
            for row in try await sql.raw("""
                SELECT id, title, text, severity, service_id, link, occurred_at FROM events WHERE id IN (\(ids: chunk))
                """).all() {
                let event = try NotificationRow(row)
                events[event.id] = event
            }
        }

        // The timeline entries each reply reports (replies are few: one query each).
        var replies: [UUID: (entries: [TimelineView], omitted: Int)] = [:]
        for row in rows where row.kind == "reply" {
            guard let incidentID = row.incidentID, let from = row.replyFromSeq, let to = row.replyToSeq else { continue }
            let entries = try await sql.raw("""
                SELECT kind, summary, actor, at FROM incident_timeline
                WHERE incident_id = \(id: incidentID) AND seq > \(bind: from) AND seq <= \(bind: to) ORDER BY seq
                """).all().map { entry in
                TimelineView(kind: try entry.decode(column: "kind", as: String.self), summary: try entry.decode(column: "summary", as: String.self),
                             actor: try entry.decode(column: "actor", as: String?.self), at: try entry.decode(column: "at", as: Date.self))
            }
            replies[row.id] = (Array(entries.suffix(ThreadReplyView.maxEntries)), max(0, entries.count - ThreadReplyView.maxEntries))
        }

        var tasks: [UUID: TaskRow] = [:]
        for chunk in taskIDs.chunked(into: 500) {
            for row in try await sql.raw("""
                SELECT t.id, t.message, r.name AS runbook_name, t.runbook_id FROM runbook_tasks t JOIN runbooks r ON r.id = t.runbook_id
                WHERE t.id IN (\(ids: chunk))
                """).all() {
                let task = try TaskRow(row)
                tasks[task.id] = task
            }
        }

        var prepared: [UUID: Prepared] = [:]
        var projects: [UUID: ProjectRoutingCache.Entry?] = [:]
        /// Projects read afresh in this batch: a route another process created since the cached
        /// entry was loaded is found before a delivery is called withdrawn.
        var reloaded: Set<UUID> = []
        let store = CredentialStore(db: db, secrets: services.security.secrets)
        var assignees: [UUID: [String]] = [:]
        // The neutral view of each incident or notification, built once; rendered once per sink.
        var contents: [UUID: MessageContent] = [:]
        var rendered: [RenderKey: RenderedMessage] = [:]
        let appReceivesActions = services.configuration.slackSigningSecret != nil
        for row in rows {
            if projects[row.projectID] == nil {
                projects[row.projectID] = try await services.routing.cache.entry(for: row.projectID, secrets: services.security.secrets,
                                                                                now: services.now(), on: db)
            }
            guard let project = projects[row.projectID] ?? nil else {
                prepared[row.id] = .decided(.unsendable(code: "project_missing", detail: "the project no longer exists"))
                continue
            }
            guard let sink = services.delivery.sinks[row.sink] else {
                prepared[row.id] = .decided(.unsendable(code: "sink_unknown", detail: "this Herald cannot send to \(row.sink)"))
                continue
            }
            var resolution = await services.delivery.credentials.resolve(row.credential, project: project, store: store)
            if case .withdrawn = resolution, !reloaded.contains(row.projectID) {
                reloaded.insert(row.projectID)
                if let fresh = try await services.routing.cache.reload(row.projectID, secrets: services.security.secrets, now: services.now(),
                                                                       on: db) {
                    projects[row.projectID] = fresh
                    resolution = await services.delivery.credentials.resolve(row.credential, project: fresh, store: store)
                }
            }
            let credential: SinkCredential
            switch resolution {
            case .resolved(let resolved): credential = resolved
            case .unsendable(let code, let detail):
                prepared[row.id] = .decided(.unsendable(code: code, detail: detail))
                continue
            case .withdrawn(let code, let detail):
                prepared[row.id] = .decided(.withdrawn(code: code, detail: detail))
                continue
            }
            var version = 0
            let contentID: UUID
            if let taskID = row.taskID {
                guard let task = tasks[taskID] else {
                    prepared[row.id] = .decided(.unsendable(code: "task_missing", detail: "the task no longer exists"))
                    continue
                }
                if contents[taskID] == nil {
                    contents[taskID] = .task(TaskView(text: task.message, runbookName: task.runbookName, projectName: project.projectName,
                                                      link: services.links.runbook(task.runbookID)))
                }
                contentID = taskID
            } else if let incidentID = row.incidentID {
                guard let incident = incidents[incidentID] else {
                    prepared[row.id] = .decided(.unsendable(code: "incident_missing", detail: "the incident no longer exists"))
                    continue
                }
                version = incident.version
                if row.kind == "reply" {
                    // A reply goes to the living message as it is now (a re-posted one included).
                    guard sink.capabilities.canThread else {
                        prepared[row.id] = .decided(.unsendable(code: "cannot_thread", detail: "\(row.sink) messages cannot have threads"))
                        continue
                    }
                    guard let parent = row.reference, let reply = replies[row.id], !reply.entries.isEmpty else {
                        prepared[row.id] = .decided(.unsendable(code: "parent_missing", detail: "the message to reply to was never posted"))
                        continue
                    }
                    let content = MessageContent.reply(ThreadReplyView(
                        incidentTitle: incident.title, status: incident.status, entries: reply.entries, omitted: reply.omitted,
                        link: services.links.incident(incident.id, at: reply.entries.last?.at ?? incident.lastEventAt)))
                    prepared[row.id] = .send(Send(messageID: row.messageID, sink: sink, message: sink.renderMessage(content),
                                                  address: SinkAddress(target: row.target, credential: credential), existing: parent,
                                                  isReply: true, version: version,
                                                  context: SendContext(deliveryID: row.id.apiString, attempt: attempts[row.id] ?? 1,
                                                                       at: services.now())))
                    continue
                }
                if row.kind == "update", row.renderedVersion >= version {
                    prepared[row.id] = .decided(.superseded)
                    continue
                }
                // A destination the clear must not reach (a rule without notifyOnClear): nothing is
                // sent once the incident is resolved, not even a post still waiting (it would show the clear).
                if row.onClear == .silent, incident.status == .resolved {
                    prepared[row.id] = .decided(.superseded)
                    continue
                }
                if contents[incidentID] == nil {
                    // Buttons only where the organization's Slack app can receive their clicks.
                    let interactive = appReceivesActions && project.slackApp != nil
                    if interactive, incident.status.isOpen, assignees[project.orgID] == nil {
                        assignees[project.orgID] = try await Membership.query(on: db).filter(\.$organization.$id == project.orgID)
                            .filter(\.$role ~~ [OrgRole.owner.rawValue, OrgRole.admin.rawValue, OrgRole.responder.rawValue])
                            .with(\.$user).all().map { $0.user.email }.sorted()
                    }
                    contents[incidentID] = .incident(try await incidentView(
                        incident, latest: latest[incidentID], project: project,
                        assignees: interactive && incident.status.isOpen ? assignees[project.orgID] ?? [] : [], interactive: interactive))
                }
                contentID = incidentID
            } else if let eventID = row.eventID, let event = events[eventID] {
                if contents[eventID] == nil { contents[eventID] = .notification(try await notificationView(event, project: project)) }
                contentID = eventID
            } else {
                prepared[row.id] = .decided(.unsendable(code: "event_missing", detail: "the event no longer exists"))
                continue
            }
            let key = RenderKey(content: contentID, sink: sink.type)
            let message = rendered[key] ?? sink.renderMessage(contents[contentID]!)
            rendered[key] = message
            prepared[row.id] = .send(Send(messageID: row.messageID, sink: sink, message: message,
                                          address: SinkAddress(target: row.target, credential: credential),
                                          existing: sink.capabilities.canEdit ? row.reference : nil, version: version,
                                          context: SendContext(deliveryID: row.id.apiString, attempt: attempts[row.id] ?? 1,
                                                               at: services.now()),
                                          shownSeq: row.incidentID.flatMap { latestSeq[$0] }))
        }
        for id in deliveries where prepared[id] == nil {
            prepared[id] = .decided(.unsendable(code: "delivery_missing", detail: "the delivery no longer exists"))
        }
        var batch = Batch(prepared: prepared)
        let integrationScheme = Destination.integrationCredential("")
        for row in rows {
            if let taskID = row.taskID { batch.tasks[row.id] = taskID }
            if row.threadUpdates, row.incidentID != nil, row.kind != "reply", services.delivery.sinks.canThread(row.sink) {
                batch.threaded.insert(row.id)
            }
            if row.credential.hasPrefix(integrationScheme), let id = UUID(text: String(row.credential.dropFirst(integrationScheme.count))) {
                batch.integrations[row.id] = id
            }
        }
        return batch
    }

    private struct RenderKey: Hashable {
        var content: UUID
        var sink: SinkType
    }

    /// Posts the message, or edits it in place when it exists and the sink can edit. A message the
    /// sink says is gone is posted afresh, and the new one remembered.
    func send(_ send: Send) async -> Outcome {
        var reposted = false
        var result: SinkResult
        if send.isReply, let parent = send.existing {
            result = await send.sink.reply(to: parent, with: send.message, at: send.address, context: send.context)
        } else if let existing = send.existing {
            result = await send.sink.edit(existing, with: send.message, at: send.address, context: send.context)
            if case .gone = result {
                reposted = true
                result = await send.sink.post(send.message, to: send.address, context: send.context)
            }
        } else {
            result = await send.sink.post(send.message, to: send.address, context: send.context)
        }
        switch result {
        case .sent(_, let holdFor) where send.isReply:
            // Where the reply is matters to nobody: the message keeps its own reference.
            return .replied(holdFor: holdFor)
        case .sent(let reference, let holdFor):
            return .delivered(messageID: send.messageID, reference: reference, version: send.version, reposted: reposted, holdFor: holdFor,
                              shownSeq: send.shownSeq)
        case .transient(let code, let detail, let retryAfter):
            return .failed(code: code, detail: detail, permanent: false, retryAfter: retryAfter)
        case .permanent(let code, let detail), .gone(let code, let detail):
            // Gone even for a fresh post (or a reply's parent): nothing to edit and nowhere to post.
            return .failed(code: code, detail: detail, permanent: true, retryAfter: nil)
        }
    }

    private struct Row {
        var id: UUID
        var kind: String
        var replyFromSeq: Int?
        var replyToSeq: Int?
        var messageID: UUID
        var projectID: UUID
        var incidentID: UUID?
        var eventID: UUID?
        var taskID: UUID?
        var sink: String
        var target: String
        var credential: String
        var reference: String?
        var renderedVersion: Int
        var onClear: ClearPolicy
        var threadUpdates: Bool

        init(_ row: any SQLRow) throws {
            id = try row.decodeUUID(column: "id")
            kind = try row.decode(column: "kind", as: String.self)
            replyFromSeq = try row.decode(column: "reply_from_seq", as: Int?.self)
            replyToSeq = try row.decode(column: "reply_to_seq", as: Int?.self)
            messageID = try row.decodeUUID(column: "message_id")
            projectID = try row.decodeUUID(column: "project_id")
            incidentID = try row.decodeUUIDIfPresent(column: "incident_id")
            eventID = try row.decodeUUIDIfPresent(column: "event_id")
            taskID = try row.decodeUUIDIfPresent(column: "task_id")
            sink = try row.decode(column: "sink", as: String.self)
            target = try row.decode(column: "target", as: String.self)
            credential = try row.decode(column: "credential", as: String.self)
            reference = try row.decode(column: "external_ref", as: String?.self)
            renderedVersion = try row.decode(column: "rendered_version", as: Int.self)
            onClear = ClearPolicy(rawValue: try row.decode(column: "on_clear", as: String.self)) ?? .notify
            threadUpdates = try row.decode(column: "thread_updates", as: Bool.self)
        }
    }

    /// What a runbook task's message shows.
    private struct TaskRow {
        var id: UUID
        var message: String
        var runbookName: String
        var runbookID: UUID

        init(_ row: any SQLRow) throws {
            id = try row.decodeUUID(column: "id")
            message = try row.decode(column: "message", as: String.self)
            runbookName = try row.decode(column: "runbook_name", as: String.self)
            runbookID = try row.decodeUUID(column: "runbook_id")
        }
    }

    private func incidentView(_ incident: IncidentRow, latest: TimelineView?, project: ProjectRoutingCache.Entry,
                              assignees: [String], interactive: Bool) async throws -> IncidentView {
        let serviceName = try await serviceName(incident.serviceID, project: project)
        let at = latest?.at ?? incident.lastEventAt
        return IncidentView(
            id: incident.id.apiString, key: incident.key, title: incident.title, description: incident.details,
            status: incident.status, severity: incident.severity.flatMap(Severity.init(rawValue:)),
            serviceName: serviceName, tags: incident.tags, assignee: incident.assignee, projectName: project.projectName,
            latest: latest, link: incident.link.flatMap(URL.init(string:)) ?? services.links.incident(incident.id, at: at),
            openedAt: incident.openedAt, resolvedAt: incident.resolvedAt, assignees: assignees, version: incident.version,
            interactive: interactive
        )
    }

    private func notificationView(_ event: NotificationRow, project: ProjectRoutingCache.Entry) async throws -> NotificationView {
        NotificationView(
            title: event.title ?? "Notification", text: event.text, severity: event.severity.flatMap(Severity.init(rawValue:)),
            serviceName: try await serviceName(event.serviceID, project: project), projectName: project.projectName,
            link: event.link.flatMap(URL.init(string:)) ?? services.links.event(event.id, at: event.occurredAt),
            at: event.occurredAt
        )
    }

    /// What a notification's message shows of its event.
    private struct NotificationRow {
        var id: UUID
        var title: String?
        var text: String?
        var severity: String?
        var serviceID: UUID?
        var link: String?
        var occurredAt: Date

        init(_ row: any SQLRow) throws {
            id = try row.decodeUUID(column: "id")
            title = try row.decode(column: "title", as: String?.self)
            text = try row.decode(column: "text", as: String?.self)
            severity = try row.decode(column: "severity", as: String?.self)
            serviceID = try row.decodeUUIDIfPresent(column: "service_id")
            link = try row.decode(column: "link", as: String?.self)
            occurredAt = try row.decode(column: "occurred_at", as: Date.self)
        }
    }

    private func serviceName(_ id: UUID?, project: ProjectRoutingCache.Entry) async throws -> String? {
        guard let id else { return nil }
        if let known = project.services[id] { return known.name }
        return try await Service.find(id, on: db)?.name
    }
}

/// Links into Herald's pages, at the time of an event (SPEC §2).
struct HeraldLinks: Sendable {
    var base: URL

    func incident(_ id: UUID, at: Date) -> URL {
        base.appendingPathComponent("incidents/\(id.apiString)").appending(queryItems: [URLQueryItem(name: "at", value: Self.stamp(at))])
    }

    func runbook(_ id: UUID) -> URL {
        base.appendingPathComponent("runbooks/\(id.apiString)")
    }

    func event(_ id: UUID, at: Date) -> URL {
        base.appendingPathComponent("events/\(id.apiString)").appending(queryItems: [URLQueryItem(name: "at", value: Self.stamp(at))])
    }

    static func stamp(_ date: Date) -> String {
        date.ISO8601Format()
    }
}
