import Fluent
import Foundation
import HeraldCore

/// The delivery log (SPEC §5, §8): what was sent where, and what is still due or failed.
struct DeliveryLog: Sendable {
    let db: any Database

    /// The projects of every organization the user belongs to.
    func visibleProjects(of userID: UUID) async throws -> [UUID] {
        let orgs = try await Membership.query(on: db).filter(\.$user.$id == userID).all().map(\.$organization.id)
        return try await Project.query(on: db).filter(\.$organization.$id ~~ orgs).all(\.$id)
    }

    /// The newest `limit` deliveries of `projectIDs` (in `state`, when given), each with its message.
    func deliveries(projectIDs: [UUID], state: DeliveryState?, limit: Int) async throws -> [Delivery] {
        var query = Delivery.query(on: db).filter(\.$project.$id ~~ projectIDs).with(\.$message)
        if let state { query = query.filter(\.$state == state.rawValue) }
        return try await query.sort(\.$createdAt, .descending).limit(limit).all()
    }
}
