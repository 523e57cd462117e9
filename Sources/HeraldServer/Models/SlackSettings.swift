import Fluent
import Foundation
import HeraldCore

/// Slack settings of one level: an organization (`organization_id`) or a project (`project_id`).
/// The token is sealed with the secrets box; only its fingerprint is kept in clear.
final class SlackSettings: Model, @unchecked Sendable {
    static let schema = "slack_settings"
    /// Associated data for the sealed token, so it cannot be moved to another column.
    static let tokenContext = "slack_settings.token"

    @ID(key: .id) var id: UUID?
    @OptionalParent(key: "organization_id") var organization: Organization?
    @OptionalParent(key: "project_id") var project: Project?
    @Field(key: "enabled") var enabled: Bool
    @OptionalField(key: "token_sealed") var tokenSealed: String?
    @OptionalField(key: "token_fingerprint") var tokenFingerprint: String?
    /// Whether living messages' updates are also posted in their thread; nil inherits (SPEC §3).
    @OptionalField(key: "thread_updates") var threadUpdates: Bool?
    /// Channels as a JSON array of strings.
    @Field(key: "channels") var channelsJSON: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(organizationID: UUID? = nil, projectID: UUID? = nil) {
        self.$organization.id = organizationID
        self.$project.id = projectID
        self.enabled = false
        self.channelsJSON = "[]"
    }

    var channels: [String] {
        get { (try? JSONDecoder().decode([String].self, from: Data(channelsJSON.utf8))) ?? [] }
        set { channelsJSON = String(decoding: (try? JSONEncoder().encode(newValue)) ?? Data("[]".utf8), as: UTF8.self) }
    }

    /// A bot token sealed for this column, with its fingerprint: made before a write transaction,
    /// so no encryption runs inside one.
    struct SealedToken: Sendable {
        var sealed: String
        var fingerprint: String

        init(_ token: String, secrets: SecretsBox) throws {
            sealed = try secrets.seal(token, context: SlackSettings.tokenContext)
            fingerprint = secrets.fingerprint(token)
        }
    }

    /// Sets this level's token, or removes it (nil).
    func setToken(_ token: SealedToken?) {
        tokenSealed = token?.sealed
        tokenFingerprint = token?.fingerprint
    }

    var level: SlackSettingsLevel {
        SlackSettingsLevel(enabled: enabled, hasToken: tokenSealed != nil, channels: channels, threadUpdates: threadUpdates)
    }
}
