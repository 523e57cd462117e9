import Fluent
import Foundation

/// A person, identified by email (lower-cased, unique).
final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "email") var email: String
    @Field(key: "name") var name: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(id: UUID? = nil, email: String, name: String) {
        self.id = id
        self.email = email
        self.name = name
    }
}

/// A user's personal Slack user token (sealed, write-only), for runbook tasks sent as that user.
final class UserSlackToken: Model, @unchecked Sendable {
    static let schema = "user_slack_tokens"

    @ID(custom: "user_id", generatedBy: .user) var id: UUID?
    @Field(key: "token_sealed") var tokenSealed: String
    @Field(key: "token_fingerprint") var tokenFingerprint: String
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    /// What the sealed token is bound to: it opens only in this user's row.
    static func context(_ userID: UUID) -> String { "user_slack_tokens.token:\(userID.uuidString.lowercased())" }
}
