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
        let projectID = try project.requireID()
        var query = Incident.query(on: req.db).filter(\.$project.$id == projectID)
        if let status = req.query[String.self, at: "status"] {
            if status == "open" {
                query = query.filter(\.$status != IncidentStatus.resolved.rawValue)
            } else if let s = IncidentStatus(rawValue: status) {
                query = query.filter(\.$status == s.rawValue)
            } else {
                throw Problem(.unprocessableEntity, "status must be triggered, acknowledged, resolved or open", field: "status")
            }
        }
        let incidents = try await query.sort(\.$openedAt, .descending).limit(500).all()
        var services: [UUID: String] = [:]
        for s in try await Service.query(on: req.db).filter(\.$project.$id == projectID).all() { services[s.id!] = s.name }
        return try incidents.map { try IncidentDTO($0, serviceName: $0.$service.id.flatMap { services[$0] }) }
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
        var errors: [FieldError] = []
        let title = EventValidation.text(body.title, field: "title", max: EventValidation.maxTitle, errors: &errors)
        if title == nil { errors.append(FieldError(field: "title", detail: "must not be empty")) }
        let event = IncomingEvent(
            kind: .incident(.trigger),
            key: "herald-" + UUID().uuidString.lowercased(),
            title: title,
            text: EventValidation.text(body.description, field: "description", max: EventValidation.maxText, errors: &errors),
            severity: EventValidation.severity(body.severity, errors: &errors),
            service: EventValidation.reference(body.service, field: "service", errors: &errors),
            tags: EventValidation.tags(body.tags?.values, errors: &errors),
            source: "herald",
            actor: try req.caller.user.email
        )
        try Problem.throwIfInvalid(errors)
        let result = try await EventIntake(req: req).accept(event, projectID: project.requireID())
        return try await detail(req, result.incidentID!).encodeResponse(status: .created, for: req)
    }

    func show(req: Request) async throws -> IncidentDTO {
        let incident = try await load(req, .readProject)
        return try await detail(req, incident.requireID())
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
        let incident = try await load(req, .actOnIncidents)
        let body = try await req.decodeJSON(ReassignBody.self)
        let email = try Validate.email(body.assignee, field: "assignee")
        guard let project = try await Project.find(incident.$project.id, on: req.db) else { throw Problem.notFound("Incident") }
        // Someone the organization does not have is not found (404, like a member path that names nobody).
        guard try await Membership.query(on: req.db).filter(\.$organization.$id == project.$organization.id)
            .join(User.self, on: \Membership.$user.$id == \User.$id).filter(User.self, \.$email == email).first() != nil
        else { throw Problem(.notFound, "No member of this organization has the email \(email)", field: "assignee") }
        return try await act(req, nil, incident: incident, assignee: email)
    }

    private func act(_ req: Request, _ action: IncidentAction?, incident: Incident? = nil, assignee: String? = nil) async throws -> IncidentDTO {
        let incident = if let incident { incident } else { try await load(req, .actOnIncidents) }
        let id = try incident.requireID()
        do {
            _ = try await EventIntake(req: req).act(action ?? .update, incidentID: id, actor: try req.caller.user.email,
                                                    source: "herald", assignee: assignee)
        } catch IntakeError.refused(_, let reason) {
            throw Problem(.conflict, "Refused (and recorded in the timeline): \(reason)")
        } catch IntakeError.noOpenIncident {
            throw Problem(.conflict, "Refused: the incident is already resolved")
        }
        return try await detail(req, id)
    }

    /// The incident named by `{id}`, if the caller may do `permission` on its project.
    private func load(_ req: Request, _ permission: Permission) async throws -> Incident {
        guard let id = req.uuid("id"), let incident = try await Incident.find(id, on: req.db),
              let project = try await Project.find(incident.$project.id, on: req.db)
        else { throw Problem.notFound("Incident") }
        let (standing, _) = try await req.standing(inOrg: project.$organization.id, project: project.requireID())
        try req.enforce(permission, standing, notFound: "Incident")
        return incident
    }

    private func detail(_ req: Request, _ id: UUID) async throws -> IncidentDTO {
        guard let incident = try await Incident.find(id, on: req.db) else { throw Problem.notFound("Incident") }
        let serviceName = try await incident.$service.id.asyncMap { try await Service.find($0, on: req.db)?.name } ?? nil
        var dto = try IncidentDTO(incident, serviceName: serviceName)
        dto.timeline = try await TimelineEntry.query(on: req.db).filter(\.$incident.$id == id).sort(\.$seq).all()
            .map { .init(kind: $0.kind, summary: $0.summary, actor: $0.actor, at: $0.at) }
        var messages: [IncidentDTO.MessageRef] = []
        for message in try await Message.query(on: req.db).filter(\.$incident.$id == id).sort(\.$createdAt).all() {
            let last = try await Delivery.query(on: req.db).filter(\.$message.$id == message.requireID())
                .sort(\.$createdAt, .descending).first()
            let location = req.herald.location(sink: message.sink, reference: message.reference)
            messages.append(.init(sink: message.sink, target: message.target, channelId: location?.channel, ts: location?.message,
                                  shownVersion: message.renderedVersion, lastSentAt: message.lastSentAt,
                                  lastDelivery: last.map { .init(id: $0.id!.apiString, kind: $0.kind, state: $0.state,
                                                                 error: $0.lastErrorCode) }))
        }
        dto.messages = messages
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
    }
}
