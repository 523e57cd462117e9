import Fluent
import Foundation

/// A personal API token. Only its SHA-256 hash is stored; the token is shown once.
final class APIToken: Model, @unchecked Sendable {
    static let schema = "api_tokens"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "name") var name: String
    @Field(key: "token_hash") var tokenHash: String
    /// The first characters of the token, so a person can tell their tokens apart.
    @Field(key: "display_prefix") var displayPrefix: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}

    init(userID: UUID, name: String, tokenHash: String, displayPrefix: String) {
        self.$user.id = userID
        self.name = name
        self.tokenHash = tokenHash
        self.displayPrefix = displayPrefix
    }
}
