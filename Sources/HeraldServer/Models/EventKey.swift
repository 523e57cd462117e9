import Fluent
import Foundation

/// A project's event key: what monitoring tools send events with. Only its hash is stored.
final class EventKey: Model, @unchecked Sendable {
    static let schema = "event_keys"

    @ID(key: .id) var id: UUID?
    @Parent(key: "project_id") var project: Project
    @Field(key: "name") var name: String
    @Field(key: "key_hash") var keyHash: String
    @Field(key: "display_prefix") var displayPrefix: String
    @OptionalParent(key: "created_by") var createdBy: User?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}

    init(projectID: UUID, name: String, keyHash: String, displayPrefix: String, createdBy: UUID?) {
        self.$project.id = projectID
        self.name = name
        self.keyHash = keyHash
        self.displayPrefix = displayPrefix
        self.$createdBy.id = createdBy
    }
}
