import Fluent
import Foundation

/// A user's role on one project (today: `admin`). The user must be a member of the organization.
final class ProjectMember: Model, @unchecked Sendable {
    static let schema = "project_members"

    @ID(key: .id) var id: UUID?
    @Parent(key: "project_id") var project: Project
    @Parent(key: "user_id") var user: User
    @Field(key: "role") var role: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(projectID: UUID, userID: UUID, role: String) {
        self.$project.id = projectID
        self.$user.id = userID
        self.role = role
    }
}
