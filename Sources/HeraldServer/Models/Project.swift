import Fluent
import Foundation

/// A project inside an organization; events are sent to a project with one of its event keys.
final class Project: Model, @unchecked Sendable {
    static let schema = "projects"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    @Field(key: "name") var name: String
    @Field(key: "name_key") var nameKey: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(id: UUID? = nil, organizationID: UUID, name: String) {
        self.id = id
        self.$organization.id = organizationID
        self.name = name
        self.nameKey = name.lowercased()
    }
}
