import Fluent
import Foundation
import HeraldCore
import HeraldSinks

/// A project's named route (SPEC §1): a source and a sink with its target and sealed credential.
final class Integration: Model, @unchecked Sendable {
    static let schema = "integrations"

    @ID(key: .id) var id: UUID?
    @Parent(key: "project_id") var project: Project
    @Field(key: "name") var name: String
    @Field(key: "name_key") var nameKey: String
    /// An ``IntegrationSource``.
    @Field(key: "source") var source: String
    /// A ``SinkType``.
    @Field(key: "sink") var sink: String
    /// The channel (Slack, an incoming webhook's override), or empty.
    @Field(key: "target") var target: String
    /// A sealed ``SinkCredential`` (JSON), bound to this row's id; nil for a Slack integration
    /// that uses the project's effective token.
    @OptionalField(key: "credential_sealed") var credentialSealed: String?
    @OptionalField(key: "credential_fingerprint") var credentialFingerprint: String?
    /// `sent`, `failed`, `dead`, `cancelled` or a test's `test_ok` / `test_failed`.
    /// A `slack` integration's updates are also posted in the living message's thread.
    @Field(key: "thread_updates") var threadUpdates: Bool
    @OptionalField(key: "last_outcome") var lastOutcome: String?
    @OptionalField(key: "last_error") var lastError: String?
    @OptionalField(key: "last_outcome_at") var lastOutcomeAt: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    /// What the sealed credential is bound to: it opens only in this integration's row.
    static func credentialContext(_ id: UUID) -> String { "integrations.credential:\(id.apiString)" }
}

/// An alert rule (SPEC §4.3).
final class AlertRule: Model, @unchecked Sendable {
    static let schema = "alert_rules"

    @ID(key: .id) var id: UUID?
    @Parent(key: "project_id") var project: Project
    @Field(key: "name") var name: String
    @Field(key: "name_key") var nameKey: String
    @Field(key: "notify_on_clear") var notifyOnClear: Bool
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}
