import Fluent
import Foundation
import HeraldCore
import Vapor

/// Incidents (SPEC §8): list, get with timeline and message references, create, acknowledge,
/// resolve, reassign. Actions update the Slack messages through the delivery engine.
struct IncidentsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("projects", ":p", "incidents", use: list)
        routes.post("projects", ":p", "incidents", use: create)
        routes.get("incidents", ":id", use: show)
        routes.post("incidents", ":id", "acknowledge", use: acknowledge)
        routes.post("incidents", ":id", "resolve", use: resolve)
        routes.post("incidents", ":id", "reassign", use: reassign)
    }

    func list(req: Request) async throws -> [IncidentDTO] {
        let (project, _) = try await req.project(.readProject)
        var filter: IncidentService.Filter?
        if let raw = req.query[String.self, at: "status"] {
            guard let parsed = IncidentService.Filter(raw) else {
                throw Problem(.unprocessableEntity, "status must be triggered, acknowledged, resolved or open", field: "status")
            }
            filter = parsed
        }
        return try await incidents(req).list(projectID: project.requireID(), filter: filter)
            .map { try IncidentDTO($0.incident, serviceName: $0.serviceName) }
    }

    struct CreateBody: Decodable {
        var service: String?
        var title: String
        var description: String?
        var tags: TagValues?
        var severity: String?
    }

    func create(req: Request) async throws -> Response {
        let (project, _) = try await req.project(.actOnIncidents)
        let body = try await req.decodeJSON(CreateBody.self)
        let draft = IncidentService.Draft(title: body.title, description: body.description, severity: body.severity,
                                          service: body.service, tags: body.tags?.values)
        let id = try await incidents(req).open(draft, projectID: project.requireID(), actor: req.caller.user.email)
        return try await detail(req, id).encodeResponse(status: .created, for: req)
    }

    func show(req: Request) async throws -> IncidentDTO {
        let (incident, _) = try await load(req, .readProject)
        return try dto(req, try await incidents(req).detail(of: incident))
    }

    func acknowledge(req: Request) async throws -> IncidentDTO {
        try await act(req, .acknowledge)
    }

    func resolve(req: Request) async throws -> IncidentDTO {
        try await act(req, .resolve)
    }

    struct ReassignBody: Decodable {
        var assignee: String
    }

    func reassign(req: Request) async throws -> IncidentDTO {
        let (incident, orgID) = try await load(req, .actOnIncidents)
        let body = try await req.decodeJSON(ReassignBody.self)
        let email = try Validate.email(body.assignee, field: "assignee")
        let id = try incident.requireID()
        try await incidents(req).reassign(incidentID: id, orgID: orgID, to: email, actor: req.caller.user.email)
        return try await detail(req, id)
    }

    private func act(_ req: Request, _ action: IncidentAction) async throws -> IncidentDTO {
        let id = try await load(req, .actOnIncidents).incident.requireID()
        try await incidents(req).act(action, incidentID: id, actor: req.caller.user.email)
        return try await detail(req, id)
    }

    private func incidents(_ req: Request) -> IncidentService {
        IncidentService(intake: EventIntake(req: req))
    }

    /// The incident named by `{id}` and its organization, if the caller may do `permission` on its project.
    private func load(_ req: Request, _ permission: Permission) async throws -> (incident: Incident, orgID: UUID) {
        guard let id = req.uuid("id"), let found = try await incidents(req).find(id) else { throw Problem.notFound("Incident") }
        let (standing, _) = try await req.standing(inOrg: found.orgID, project: found.incident.$project.id)
        try req.enforce(permission, standing, notFound: "Incident")
        return found
    }

    private func detail(_ req: Request, _ id: UUID) async throws -> IncidentDTO {
        try dto(req, try await incidents(req).detail(id))
    }

    private func dto(_ req: Request, _ detail: IncidentService.Detail) throws -> IncidentDTO {
        var dto = try IncidentDTO(detail.incident, serviceName: detail.serviceName)
        dto.timeline = detail.timeline.map { .init(kind: $0.kind, summary: $0.summary, actor: $0.actor, at: $0.at) }
        dto.messages = detail.messages.map { message, last in
            let location = req.herald.location(sink: message.sink, reference: message.reference)
            return .init(sink: message.sink, target: message.target, channelId: location?.channel, ts: location?.message,
                         shownVersion: message.renderedVersion, lastSentAt: message.lastSentAt,
                         lastDelivery: last.map { .init(id: $0.id?.apiString ?? "", kind: $0.kind, state: $0.state, error: $0.lastErrorCode) })
        }
        return dto
    }
}

struct IncidentDTO: Content {
    var id: String
    var projectId: String
    var key: String
    var title: String
    var description: String?
    var status: String
    var severity: String?
    var service: String?
    var serviceId: String?
    var tags: [String: String]
    var assignee: String?
    var version: Int
    var openedAt: Date
    var acknowledgedAt: Date?
    var resolvedAt: Date?
    var lastEventAt: Date
    /// The incident's own link (its sender's, or a watched Slack message's permalink), if it has one.
    var link: String?
    var timeline: [TimelineDTO]?
    var messages: [MessageRef]?

    struct TimelineDTO: Content {
        var kind: String
        var summary: String
        var actor: String?
        var at: Date
    }

    /// Where the incident's living message is, per destination.
    struct MessageRef: Content {
        var sink: String
        var target: String
        var channelId: String?
        var ts: String?
        var shownVersion: Int
        var lastSentAt: Date?
        var lastDelivery: DeliveryRef?
    }

    struct DeliveryRef: Content {
        var id: String
        var kind: String
        var state: String
        var error: String?
    }

    init(_ i: Incident, serviceName: String?) throws {
        id = try i.requireID().apiString
        projectId = i.$project.id.apiString
        key = i.key
        title = i.title
        description = i.details
        status = i.status
        severity = i.severity
        service = serviceName
        serviceId = i.$service.id?.apiString
        tags = i.tags
        assignee = i.assignee
        version = i.version
        openedAt = i.openedAt
        acknowledgedAt = i.acknowledgedAt
        resolvedAt = i.resolvedAt
        lastEventAt = i.lastEventAt
        link = i.link
    }
}
