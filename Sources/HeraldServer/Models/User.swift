import Fluent
import Foundation

/// A person, identified by email (lower-cased, unique).
final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "email") var email: String
    @Field(key: "name") var name: String
    /// A personal Slack user token (sealed, write-only), for runbook tasks sent as this user.
    @OptionalField(key: "slack_token_sealed") var slackTokenSealed: String?
    @OptionalField(key: "slack_token_fingerprint") var slackTokenFingerprint: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    /// What the sealed token is bound to: it opens only in this user's row.
    static func slackTokenContext(_ id: UUID) -> String { "users.slack_token:\(id.uuidString.lowercased())" }

    init(id: UUID? = nil, email: String, name: String) {
        self.id = id
        self.email = email
        self.name = name
    }
}
