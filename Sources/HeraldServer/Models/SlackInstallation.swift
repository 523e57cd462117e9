import Fluent
import Foundation

/// An organization's Slack app installation (SPEC §1, §6): the workspace it is in, its bot user and
/// scopes, and the channel list last read from Slack. The bot token is the organization's sealed
/// Slack token (``SlackSettings``), never here. `revokedAt` records an uninstall or a revoked token
/// Slack told Herald of (`app_uninstalled`, `tokens_revoked`).
final class SlackInstallation: Model, @unchecked Sendable {
    static let schema = "slack_installations"

    @ID(key: .id) var id: UUID?
    @Parent(key: "organization_id") var organization: Organization
    @Field(key: "team_id") var teamID: String
    @OptionalField(key: "team_name") var teamName: String?
    @OptionalField(key: "bot_user_id") var botUserID: String?
    @OptionalField(key: "app_id") var appID: String?
    /// The bot scopes Slack granted, comma-separated as Slack writes them.
    @Field(key: "scopes") var scopes: String
    @OptionalField(key: "installed_by") var installedBy: UUID?
    @Field(key: "installed_at") var installedAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "revoked_reason") var revokedReason: String?
    /// The channel picker's list (`[{id,name,isPrivate}]`), cached until refreshed.
    @OptionalField(key: "channels_json") var channelsJSON: String?
    @OptionalField(key: "channels_fetched_at") var channelsFetchedAt: Date?

    init() {}

    init(organizationID: UUID, teamID: String, teamName: String?, botUserID: String?, appID: String?, scopes: String,
         installedBy: UUID?, installedAt: Date) {
        self.$organization.id = organizationID
        self.teamID = teamID
        self.teamName = teamName
        self.botUserID = botUserID
        self.appID = appID
        self.scopes = scopes
        self.installedBy = installedBy
        self.installedAt = installedAt
    }

    /// Installed and not revoked: Slack can call Herald for this organization.
    var isLive: Bool { revokedAt == nil }
}
