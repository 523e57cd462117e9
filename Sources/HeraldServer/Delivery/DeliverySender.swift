import Fluent
import SQLKit
import Foundation
import HeraldCore
import SlackAPI
import Vapor

/// Sends claimed deliveries. ``prepare(_:)`` reads what a batch of claims needs in a few queries
/// and renders each message from the current state of its incident (or its notification), once
/// per incident or event however many channels it goes to; ``send(_:)`` then only talks to Slack.
///
/// Living messages (SPEC §2): an update whose message is gone is re-posted and the new message
/// remembered; an update that finds the message already showing the latest version is not sent.
struct DeliverySender: Sendable {
    let services: HeraldServices
    let db: any Database

    enum Outcome: Sendable {
        /// Posted or updated: Slack's channel id and ts, and the incident version now shown.
        case delivered(messageID: UUID, channelID: String, ts: String, version: Int, reposted: Bool)
        /// Nothing to send: the message already shows this version.
        case superseded
        /// Slack refused or could not be reached.
        case failed(SlackError)
        /// Herald cannot send it at all (settings gone or disabled): a permanent failure.
        case unsendable(code: String, detail: String)
        /// Herald could not prepare it (a database error, a row it cannot read): a transient
        /// failure, retried with backoff until the delivery's max age.
        case unprepared(String)
    }

    /// A rendered message ready to go, or the outcome decided without Slack.
    enum Prepared: Sendable {
        case send(Send)
        case decided(Outcome)
    }

    struct Send: Sendable {
        var messageID: UUID
        var token: String
        var message: SlackMessage
        /// The message in Slack, for an update.
        var existing: (channelID: String, ts: String)?
        var version: Int
    }

    /// Reads and renders what `deliveries` need; every id gets an entry. If the batch cannot be
    /// prepared together (say one row cannot be read), each delivery is prepared alone, so one bad
    /// row holds back only itself: it gets ``Outcome/unprepared(_:)``.
    func prepare(_ deliveries: [UUID]) async -> [UUID: Prepared] {
        do {
            return try await prepareTogether(deliveries)
        } catch {
            var prepared: [UUID: Prepared] = [:]
            for id in deliveries {
                do {
                    prepared.merge(try await prepareTogether([id])) { $1 }
                } catch {
                    prepared[id] = .decided(.unprepared(String(describing: error)))
                }
            }
            return prepared
        }
    }

    private func prepareTogether(_ deliveries: [UUID]) async throws -> [UUID: Prepared] {
        guard !deliveries.isEmpty else { return [:] }
        let sql = db as! any SQLDatabase
        let rows = try await sql.raw("""
            SELECT d.id, d.kind, m.id AS message_id, m.project_id, m.incident_id, m.event_id, m.target,
                   m.ts, m.channel_id, m.rendered_version
            FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.id IN (\(binds: deliveries))
            """).all().map(Row.init)
        let incidentIDs = Array(Set(rows.compactMap(\.incidentID)))
        let eventIDs = Array(Set(rows.filter { $0.incidentID == nil }.compactMap(\.eventID)))
        var incidents: [UUID: Incident] = [:]
        var latest: [UUID: TimelineView] = [:]
        var events: [UUID: Event] = [:]
        for chunk in incidentIDs.chunked(into: 500) {
            for incident in try await Incident.query(on: db).filter(\.$id ~~ Array(chunk)).all() { incidents[try incident.requireID()] = incident }
            let entries = try await sql.raw("""
                SELECT t.incident_id, t.kind, t.summary, t.actor, t.at FROM incident_timeline t
                WHERE t.incident_id IN (\(binds: Array(chunk)))
                  AND t.seq = (SELECT MAX(s.seq) FROM incident_timeline s WHERE s.incident_id = t.incident_id)
                """).all()
            for entry in entries {
                latest[try entry.decode(column: "incident_id", as: UUID.self)] = TimelineView(
                    kind: try entry.decode(column: "kind", as: String.self), summary: try entry.decode(column: "summary", as: String.self),
                    actor: try entry.decode(column: "actor", as: String?.self), at: try entry.decode(column: "at", as: Date.self))
            }
        }
        for chunk in eventIDs.chunked(into: 500) {
            for event in try await Event.query(on: db).filter(\.$id ~~ Array(chunk)).all() { events[try event.requireID()] = event }
        }

        var prepared: [UUID: Prepared] = [:]
        var projects: [UUID: ProjectRoutingCache.Entry?] = [:]
        var assignees: [UUID: [String]] = [:]
        // Rendered once per incident or notification, then addressed to each channel.
        var rendered: [UUID: SlackMessage] = [:]
        let interactive = services.configuration.slackSigningSecret != nil
        for row in rows {
            if projects[row.projectID] == nil {
                projects[row.projectID] = try await services.routingCache.entry(for: row.projectID, secrets: services.secrets,
                                                                                now: services.now(), on: db)
            }
            guard let project = projects[row.projectID] ?? nil else {
                prepared[row.id] = .decided(.unsendable(code: "project_missing", detail: "the project no longer exists"))
                continue
            }
            guard project.slack.effective.enabled else {
                prepared[row.id] = .decided(.unsendable(code: "slack_disabled", detail: "Slack is disabled for this project"))
                continue
            }
            guard let token = project.slack.token else {
                prepared[row.id] = .decided(.unsendable(code: "slack_not_configured", detail: "no Slack token is configured"))
                continue
            }
            var version = 0
            var message: SlackMessage
            if let incidentID = row.incidentID {
                guard let incident = incidents[incidentID] else {
                    prepared[row.id] = .decided(.unsendable(code: "incident_missing", detail: "the incident no longer exists"))
                    continue
                }
                version = incident.version
                if row.kind == "update", row.ts != nil, row.renderedVersion >= version {
                    prepared[row.id] = .decided(.superseded)
                    continue
                }
                if let cached = rendered[incidentID] {
                    message = cached
                } else {
                    if interactive, incident.incidentStatus.isOpen, assignees[project.orgID] == nil {
                        assignees[project.orgID] = try await Membership.query(on: db).filter(\.$organization.$id == project.orgID)
                            .filter(\.$role ~~ [OrgRole.owner.rawValue, OrgRole.admin.rawValue, OrgRole.responder.rawValue])
                            .with(\.$user).all().map { $0.user.email }.sorted()
                    }
                    message = try await renderIncident(incident, latest: latest[incidentID], project: project,
                                                       assignees: interactive && incident.incidentStatus.isOpen ? assignees[project.orgID] ?? [] : [])
                    rendered[incidentID] = message
                }
            } else if let eventID = row.eventID, let event = events[eventID] {
                if let cached = rendered[eventID] {
                    message = cached
                } else {
                    message = try await renderNotification(event, project: project)
                    rendered[eventID] = message
                }
            } else {
                prepared[row.id] = .decided(.unsendable(code: "event_missing", detail: "the event no longer exists"))
                continue
            }
            message.channel = row.target
            let existing = row.ts.flatMap { ts in row.channelID.map { ($0, ts) } }
            prepared[row.id] = .send(Send(messageID: row.messageID, token: token, message: message, existing: existing,
                                          version: version))
        }
        for id in deliveries where prepared[id] == nil {
            prepared[id] = .decided(.unsendable(code: "delivery_missing", detail: "the delivery no longer exists"))
        }
        return prepared
    }

    /// Posts or updates the message in Slack.
    func send(_ send: Send) async -> Outcome {
        do {
            if let (channelID, ts) = send.existing {
                do {
                    let updated = try await services.slack.updateMessage(token: send.token, channel: channelID, ts: ts, send.message)
                    return .delivered(messageID: send.messageID, channelID: updated.channel, ts: updated.ts, version: send.version, reposted: false)
                } catch where error.isMessageGone {
                    // The message was deleted or its channel archived: post a fresh one and remember it.
                    let posted = try await services.slack.postMessage(token: send.token, send.message)
                    return .delivered(messageID: send.messageID, channelID: posted.channel, ts: posted.ts, version: send.version, reposted: true)
                }
            }
            let posted = try await services.slack.postMessage(token: send.token, send.message)
            return .delivered(messageID: send.messageID, channelID: posted.channel, ts: posted.ts, version: send.version, reposted: false)
        } catch {
            return .failed(error)
        }
    }

    private struct Row {
        var id: UUID
        var kind: String
        var messageID: UUID
        var projectID: UUID
        var incidentID: UUID?
        var eventID: UUID?
        var target: String
        var ts: String?
        var channelID: String?
        var renderedVersion: Int

        init(_ row: any SQLRow) throws {
            id = try row.decode(column: "id", as: UUID.self)
            kind = try row.decode(column: "kind", as: String.self)
            messageID = try row.decode(column: "message_id", as: UUID.self)
            projectID = try row.decode(column: "project_id", as: UUID.self)
            incidentID = try row.decode(column: "incident_id", as: UUID?.self)
            eventID = try row.decode(column: "event_id", as: UUID?.self)
            target = try row.decode(column: "target", as: String.self)
            ts = try row.decode(column: "ts", as: String?.self)
            channelID = try row.decode(column: "channel_id", as: String?.self)
            renderedVersion = try row.decode(column: "rendered_version", as: Int.self)
        }
    }

    private func renderIncident(_ incident: Incident, latest: TimelineView?, project: ProjectRoutingCache.Entry,
                                assignees: [String]) async throws -> SlackMessage {
        let id = try incident.requireID()
        let serviceName = try await serviceName(incident.$service.id, project: project)
        let at = latest?.at ?? incident.lastEventAt
        let view = IncidentView(
            id: id.apiString, key: incident.key, title: incident.title, description: incident.details,
            status: incident.incidentStatus, severity: incident.severity.flatMap(Severity.init(rawValue:)),
            serviceName: serviceName, tags: incident.tags, assignee: incident.assignee, projectName: project.projectName,
            latest: latest, link: incident.link.flatMap(URL.init(string:)) ?? services.links.incident(id, at: at),
            openedAt: incident.openedAt, resolvedAt: incident.resolvedAt, assignees: assignees
        )
        return MessageRenderer.incident(view, interactive: services.configuration.slackSigningSecret != nil)
    }

    private func renderNotification(_ event: Event, project: ProjectRoutingCache.Entry) async throws -> SlackMessage {
        let eventID = try event.requireID()
        let view = NotificationView(
            title: event.title ?? "Notification", text: event.text, severity: event.severity.flatMap(Severity.init(rawValue:)),
            serviceName: try await serviceName(event.$service.id, project: project), projectName: project.projectName,
            link: event.link.flatMap(URL.init(string:)) ?? services.links.event(eventID, at: event.occurredAt),
            at: event.occurredAt
        )
        return MessageRenderer.notification(view)
    }

    private func serviceName(_ id: UUID?, project: ProjectRoutingCache.Entry) async throws -> String? {
        guard let id else { return nil }
        if let known = project.services[id] { return known.name }
        return try await Service.find(id, on: db)?.name
    }
}

extension SlackError {
    /// SPEC §2: Slack says the message is gone; post a fresh one.
    var isMessageGone: Bool {
        if case .api(let code, _) = self { return code.meansMessageGone }
        return false
    }
}

/// Links into Herald's pages, at the time of an event (SPEC §2).
struct HeraldLinks: Sendable {
    var base: URL

    func incident(_ id: UUID, at: Date) -> URL {
        base.appendingPathComponent("incidents/\(id.apiString)").appending(queryItems: [URLQueryItem(name: "at", value: Self.stamp(at))])
    }

    func event(_ id: UUID, at: Date) -> URL {
        base.appendingPathComponent("events/\(id.apiString)").appending(queryItems: [URLQueryItem(name: "at", value: Self.stamp(at))])
    }

    static func stamp(_ date: Date) -> String {
        date.ISO8601Format()
    }
}
