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
        var projectIDs: [UUID]
        if let raw = req.query[String.self, at: "project"], !raw.isEmpty {
            guard let id = UUID(uuidString: raw), let project = try await Project.find(id, on: req.db) else {
                throw Problem(.notFound, "Project not found", field: "project")
            }
            let (standing, _) = try await req.standing(inOrg: project.$organization.id, project: id)
            try req.enforce(.readProject, standing, notFound: "Project")
            projectIDs = [id]
        } else {
            let orgs = try await Membership.query(on: req.db).filter(\.$user.$id == caller.userID).all().map(\.$organization.id)
            projectIDs = try await Project.query(on: req.db).filter(\.$organization.$id ~~ orgs).all(\.$id)
        }
        var query = Delivery.query(on: req.db).filter(\.$project.$id ~~ projectIDs).with(\.$message)
        if let state = req.query[String.self, at: "state"], !state.isEmpty {
            guard DeliveryState(rawValue: state) != nil else {
                throw Problem(.unprocessableEntity, "state must be one of pending, sending, sent, failed, dead", field: "state")
            }
            query = query.filter(\.$state == state)
        }
        let limit = min(max(req.query[Int.self, at: "limit"] ?? 100, 1), 1000)
        return try await query.sort(\.$createdAt, .descending).limit(limit).all().map { d in
            DeliveryDTO(id: try d.requireID().apiString, projectId: d.$project.id.apiString,
                        incidentId: d.message.$incident.id?.apiString, eventId: d.message.$event.id?.apiString,
                        kind: d.kind, sink: d.sink, target: d.target, state: d.state, attempts: d.attempts,
                        nextAttemptAt: d.nextAttemptAt, lastError: d.lastError, lastErrorCode: d.lastErrorCode,
                        createdAt: d.createdAt, updatedAt: d.updatedAt, sentAt: d.sentAt,
                        channelId: d.message.channelID, ts: d.message.ts)
        }
    }
}
