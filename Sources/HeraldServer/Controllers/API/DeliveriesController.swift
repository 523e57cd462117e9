import Fluent
import Foundation
import HeraldCore
import Vapor

/// `GET /api/v1/deliveries?state=&project=&limit=`: the delivery log, newest first, of the
/// projects the caller can see.
struct DeliveriesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("deliveries", use: list)
    }

    struct DeliveryDTO: Content {
        var id: String
        var projectId: String
        var incidentId: String?
        var eventId: String?
        var kind: String
        var sink: String
        var target: String
        var state: String
        var attempts: Int
        var nextAttemptAt: Date
        var lastError: String?
        var lastErrorCode: String?
        var createdAt: Date
        var updatedAt: Date
        var sentAt: Date?
        var channelId: String?
        var ts: String?
    }

    func list(req: Request) async throws -> [DeliveryDTO] {
        let caller = try req.caller
        // Every parameter is checked as the document states it: a present but empty or malformed
        // value is refused, never taken for "not given".
        var errors: [FieldError] = []
        var projectFilter: UUID?
        if let raw = req.query[String.self, at: "project"] {
            if let id = UUID(uuidString: raw) { projectFilter = id } else { errors.append(FieldError(field: "project", detail: "must be a project id")) }
        }
        var stateFilter: DeliveryState?
        if let raw = req.query[String.self, at: "state"] {
            stateFilter = DeliveryState(rawValue: raw)
            if stateFilter == nil { errors.append(FieldError(field: "state", detail: "must be one of pending, sending, sent, failed, dead, cancelled")) }
        }
        var limit = 100
        if let raw = req.query[String.self, at: "limit"] {
            if let n = Int(raw), (1...1000).contains(n) { limit = n } else {
                errors.append(FieldError(field: "limit", detail: "must be a whole number from 1 to 1000"))
            }
        }
        try Problem.throwIfInvalid(errors)
        let log = DeliveryLog(db: req.db)
        var projectIDs: [UUID]
        if let id = projectFilter {
            guard let project = try await Project.find(id, on: req.db) else { throw Problem(.notFound, "Project not found", field: "project") }
            try await req.enforce(.readProject, onProject: project, notFound: "Project")
            projectIDs = [id]
        } else {
            projectIDs = try await log.visibleProjects(of: caller.userID)
        }
        return try await log.deliveries(projectIDs: projectIDs, state: stateFilter, limit: limit).map { d in
            let location = req.herald.location(sink: d.message.sink, reference: d.message.reference)
            return DeliveryDTO(id: try d.requireID().apiString, projectId: d.$project.id.apiString,
                        incidentId: d.message.$incident.id?.apiString, eventId: d.message.$event.id?.apiString,
                        kind: d.kind, sink: d.sink, target: d.target, state: d.state, attempts: d.attempts,
                        nextAttemptAt: d.nextAttemptAt, lastError: d.lastError, lastErrorCode: d.lastErrorCode,
                        createdAt: d.createdAt, updatedAt: d.updatedAt, sentAt: d.sentAt,
                        channelId: location?.channel, ts: location?.message)
        }
    }
}
