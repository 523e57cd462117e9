import Fluent
import Foundation
import HeraldCore

/// Incidents as people see and act on them (SPEC §1, §8): list, open by hand, detail with
/// timeline and messages, acknowledge, resolve, reassign. Every change goes through intake's one
/// write path (``EventIntake``), so it updates the living messages like any event. The API calls
/// it today; the pages and the Slack app will. Callers have checked the caller's permission.
struct IncidentService: Sendable {
    let intake: EventIntake
    var db: any Database { intake.db }

    init(intake: EventIntake) {
        self.intake = intake
    }

    /// Which incidents ``list(projectID:filter:)`` returns.
    enum Filter: Sendable, Equatable {
        /// Not resolved.
        case open
        case status(IncidentStatus)

        /// `open`, or a status name; nil for anything else.
        init?(_ raw: String) {
            if raw == "open" { self = .open } else if let status = IncidentStatus(rawValue: raw) { self = .status(status) } else { return nil }
        }
    }

    /// The project's incidents, newest first (at most 500), each with its service's name.
    func list(projectID: UUID, filter: Filter?) async throws -> [(incident: Incident, serviceName: String?)] {
        var query = Incident.query(on: db).filter(\.$project.$id == projectID)
        switch filter {
        case .open: query = query.filter(\.$status != IncidentStatus.resolved.rawValue)
        case .status(let status): query = query.filter(\.$status == status.rawValue)
        case nil: break
        }
        let incidents = try await query.sort(\.$openedAt, .descending).limit(500).all()
        var services: [UUID: String] = [:]
        for s in try await Service.query(on: db).filter(\.$project.$id == projectID).all() { services[try s.requireID()] = s.name }
        return incidents.map { ($0, $0.$service.id.flatMap { services[$0] }) }
    }

    /// What a person fills in to open an incident; checked by ``open(_:projectID:actor:)``.
    struct Draft: Sendable {
        var title: String
        var description: String?
        var severity: String?
        var service: String?
        var tags: [String: String]?
    }

    /// Opens an incident from `draft` (every field's problem reported at once, under the API's
    /// field names) with a key of its own; returns its id.
    func open(_ draft: Draft, projectID: UUID, actor: String, source: String = "herald") async throws -> UUID {
        var errors: [FieldError] = []
        let title = EventValidation.text(draft.title, field: "title", max: EventValidation.maxTitle, errors: &errors)
        if title == nil { errors.append(FieldError(field: "title", detail: "must not be empty")) }
        let event = IncomingEvent(
            kind: .incident(.trigger),
            key: "herald-" + UUID().uuidString.lowercased(),
            title: title,
            text: EventValidation.text(draft.description, field: "description", max: EventValidation.maxText, errors: &errors),
            severity: EventValidation.severity(draft.severity, errors: &errors),
            service: EventValidation.reference(draft.service, field: "service", errors: &errors),
            tags: EventValidation.tags(draft.tags, errors: &errors),
            source: source,
            actor: actor
        )
        try DomainError.throwIfInvalid(errors)
        guard let id = try await intake.accept(event, projectID: projectID).incidentID else {
            throw DomainError.internalFailure("the incident was not opened")
        }
        return id
    }

    /// The incident and its project's organization (for the caller's permission check).
    func find(_ id: UUID) async throws -> (incident: Incident, orgID: UUID)? {
        guard let incident = try await Incident.find(id, on: db),
              let project = try await Project.find(incident.$project.id, on: db) else { return nil }
        return (incident, project.$organization.id)
    }

    /// Acknowledges or resolves the incident as `actor`. A refusal (already resolved, say) is
    /// recorded in the timeline and answered `409`.
    func act(_ action: IncidentAction, incidentID: UUID, actor: String, source: String = "herald") async throws {
        try await apply(action, incidentID: incidentID, actor: actor, source: source, assignee: nil)
    }

    /// Assigns the incident to the member of `orgID` with `email` (`404`, field `assignee`, for
    /// anyone else).
    func reassign(incidentID: UUID, orgID: UUID, to email: String, actor: String, source: String = "herald") async throws {
        let directory = Directory(services: intake.services, db: db)
        guard try await directory.isMember(orgID: orgID, email: email) else {
            throw DomainError.notFound("Member", detail: "No member of this organization has the email \(email)", field: "assignee")
        }
        try await apply(.update, incidentID: incidentID, actor: actor, source: source, assignee: email)
    }

    private func apply(_ action: IncidentAction, incidentID: UUID, actor: String, source: String, assignee: String?) async throws {
        do {
            _ = try await intake.act(action, incidentID: incidentID, actor: actor, source: source, assignee: assignee)
        } catch IntakeError.refused(_, let reason) {
            throw DomainError.conflict("Refused (and recorded in the timeline): \(reason)")
        } catch IntakeError.noOpenIncident {
            throw DomainError.conflict("Refused: the incident is already resolved")
        }
    }

    /// An incident with everything a person looking at it sees.
    struct Detail: Sendable {
        var incident: Incident
        var serviceName: String?
        var timeline: [TimelineEntry]
        /// Its living messages, oldest first, each with its latest delivery.
        var messages: [(message: Message, lastDelivery: Delivery?)]
    }

    func detail(_ id: UUID) async throws -> Detail {
        guard let incident = try await Incident.find(id, on: db) else { throw DomainError.notFound("Incident") }
        return try await detail(of: incident)
    }

    /// The detail of an incident already read.
    func detail(of incident: Incident) async throws -> Detail {
        let id = try incident.requireID()
        let serviceName = try await incident.$service.id.asyncMap { try await Service.find($0, on: db)?.name } ?? nil
        let timeline = try await TimelineEntry.query(on: db).filter(\.$incident.$id == id).sort(\.$seq).all()
        var messages: [(Message, Delivery?)] = []
        for message in try await Message.query(on: db).filter(\.$incident.$id == id).sort(\.$createdAt).all() {
            let last = try await Delivery.query(on: db).filter(\.$message.$id == message.requireID())
                .sort(\.$createdAt, .descending).first()
            messages.append((message, last))
        }
        return Detail(incident: incident, serviceName: serviceName, timeline: timeline, messages: messages)
    }
}
