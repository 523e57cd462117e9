import Fluent
import Foundation
import HeraldCore
import SlackAPI
import Vapor

/// Sends one claimed delivery: renders the message from the current state of its incident (or its
/// notification) and posts or updates it in Slack. Living messages (SPEC §2): an update whose
/// message is gone is re-posted and the new message remembered; an update that finds the message
/// already showing the latest version is not sent.
struct DeliverySender: Sendable {
    let services: HeraldServices
    let db: any Database

    enum Outcome: Sendable {
        /// Posted or updated: Slack's channel id and ts, and the incident version now shown.
        case delivered(messageID: UUID, channelID: String, ts: String, version: Int, reposted: Bool)
        /// Nothing to send: the message already shows this version.
        case superseded
        /// Slack refused or could not be reached; `createdAt` is the delivery's, for the retry policy.
        case failed(SlackError, createdAt: Date)
        /// Herald cannot send it at all (settings gone or disabled): a permanent failure.
        case unsendable(code: String, detail: String)
    }

    func send(_ deliveryID: UUID) async throws -> Outcome {
        guard let delivery = try await Delivery.query(on: db).filter(\.$id == deliveryID).with(\.$message).first() else {
            return .unsendable(code: "delivery_missing", detail: "the delivery no longer exists")
        }
        let message = delivery.message
        let messageID = try message.requireID()
        guard let project = try await services.routingCache.entry(for: message.$project.id, secrets: services.secrets,
                                                                 now: services.now(), on: db) else {
            return .unsendable(code: "project_missing", detail: "the project no longer exists")
        }
        let resolved = project.slack
        guard resolved.effective.enabled else {
            return .unsendable(code: "slack_disabled", detail: "Slack is disabled for this project")
        }
        guard let token = resolved.token else {
            return .unsendable(code: "slack_not_configured", detail: "no Slack token is configured")
        }

        var slackMessage: SlackMessage
        var version = 0
        if let incidentID = message.$incident.id {
            guard let incident = try await Incident.find(incidentID, on: db) else {
                return .unsendable(code: "incident_missing", detail: "the incident no longer exists")
            }
            version = incident.version
            if delivery.kind == "update", message.ts != nil, message.renderedVersion >= version {
                return .superseded
            }
            slackMessage = try await renderIncident(incident, project: project)
        } else if let eventID = message.$event.id, let event = try await Event.find(eventID, on: db) {
            slackMessage = try await renderNotification(event, project: project)
        } else {
            return .unsendable(code: "event_missing", detail: "the event no longer exists")
        }
        slackMessage.channel = message.target

        do {
            if let ts = message.ts, let channelID = message.channelID {
                do {
                    let updated = try await services.slack.updateMessage(token: token, channel: channelID, ts: ts, slackMessage)
                    return .delivered(messageID: messageID, channelID: updated.channel, ts: updated.ts, version: version, reposted: false)
                } catch let error as SlackError where error.isMessageGone {
                    // The message was deleted or its channel archived: post a fresh one and remember it.
                    let posted = try await services.slack.postMessage(token: token, slackMessage)
                    return .delivered(messageID: messageID, channelID: posted.channel, ts: posted.ts, version: version, reposted: true)
                }
            }
            let posted = try await services.slack.postMessage(token: token, slackMessage)
            return .delivered(messageID: messageID, channelID: posted.channel, ts: posted.ts, version: version, reposted: false)
        } catch {
            return .failed(error, createdAt: delivery.createdAt)
        }
    }

    private func renderIncident(_ incident: Incident, project: ProjectRoutingCache.Entry) async throws -> SlackMessage {
        let id = try incident.requireID()
        let latest = try await TimelineEntry.query(on: db).filter(\.$incident.$id == id).sort(\.$seq, .descending).first()
        let serviceName = try await incident.$service.id.asyncMap { try await Service.find($0, on: db)?.name } ?? nil
        let interactive = services.configuration.slackSigningSecret != nil
        var assignees: [String] = []
        if interactive, incident.incidentStatus.isOpen {
            assignees = try await Membership.query(on: db).filter(\.$organization.$id == project.orgID)
                .filter(\.$role ~~ [OrgRole.owner.rawValue, OrgRole.admin.rawValue, OrgRole.responder.rawValue])
                .with(\.$user).all().map { $0.user.email }.sorted()
        }
        let at = latest?.at ?? incident.lastEventAt
        let view = IncidentView(
            id: id.apiString, key: incident.key, title: incident.title, description: incident.details,
            status: incident.incidentStatus, severity: incident.severity.flatMap(Severity.init(rawValue:)),
            serviceName: serviceName, tags: incident.tags, assignee: incident.assignee, projectName: project.projectName,
            latest: latest.map { TimelineView(kind: $0.kind, summary: $0.summary, actor: $0.actor, at: $0.at) },
            link: incident.link.flatMap(URL.init(string:)) ?? services.links.incident(id, at: at),
            openedAt: incident.openedAt, resolvedAt: incident.resolvedAt, assignees: assignees
        )
        return MessageRenderer.incident(view, interactive: interactive)
    }

    private func renderNotification(_ event: Event, project: ProjectRoutingCache.Entry) async throws -> SlackMessage {
        let serviceName = try await event.$service.id.asyncMap { try await Service.find($0, on: db)?.name } ?? nil
        let eventID = try event.requireID()
        let view = NotificationView(
            title: event.title ?? "Notification", text: event.text, severity: event.severity.flatMap(Severity.init(rawValue:)),
            serviceName: serviceName, projectName: project.projectName,
            link: event.link.flatMap(URL.init(string:)) ?? services.links.event(eventID, at: event.occurredAt),
            at: event.occurredAt
        )
        return MessageRenderer.notification(view)
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
        let f = ISO8601DateFormatter()
        return f.string(from: date)
    }
}
