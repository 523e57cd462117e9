import Fluent
import Foundation

/// A tenant: everything in Herald belongs to one organization.
final class Organization: Model, @unchecked Sendable {
    static let schema = "organizations"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    /// Lower-cased name, unique, for lookups by name.
    @Field(key: "name_key") var nameKey: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(id: UUID? = nil, name: String) {
        self.id = id
        self.name = name
        self.nameKey = name.lowercased()
    }
}
