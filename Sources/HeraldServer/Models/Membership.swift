import Fluent
import Foundation
import HeraldCore

/// A user's role in an organization.
final class Membership: Model, @unchecked Sendable {
    static let schema = "memberships"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    @Parent(key: "user_id") var user: User
    @Field(key: "role") var role: String
    /// What this organization calls the member (nil: the user's own name). Never shown to other organizations.
    @OptionalField(key: "name") var name: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(organizationID: UUID, userID: UUID, role: OrgRole, name: String? = nil) {
        self.$organization.id = organizationID
        self.$user.id = userID
        self.role = role.rawValue
        self.name = name
    }

    /// Unknown stored roles (never written by Herald) read as the least powerful one.
    var orgRole: OrgRole { OrgRole(rawValue: role) ?? .stakeholder }
}
