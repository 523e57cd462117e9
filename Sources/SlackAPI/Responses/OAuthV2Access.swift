/// The result of an `oauth.v2.access` code exchange: the bot token and the workspace it belongs to.
/// Its descriptions and mirror never show `accessToken`.
public struct OAuthV2Access: Codable, Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    public var accessToken: String
    public var botUserID: String?
    public var scope: String?
    public var teamID: String
    public var teamName: String
    public var appID: String?

    public init(
        accessToken: String, botUserID: String? = nil, scope: String? = nil, teamID: String, teamName: String,
        appID: String? = nil
    ) {
        self.accessToken = accessToken
        self.botUserID = botUserID
        self.scope = scope
        self.teamID = teamID
        self.teamName = teamName
        self.appID = appID
    }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case botUserID = "bot_user_id"
        case scope
        case team
        case enterprise
        case appID = "app_id"
    }

    enum TeamKeys: String, CodingKey {
        case id
        case name
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accessToken = try container.decode(String.self, forKey: .accessToken)
        botUserID = try container.decodeIfPresent(String.self, forKey: .botUserID)
        scope = try container.decodeIfPresent(String.self, forKey: .scope)
        appID = try container.decodeIfPresent(String.self, forKey: .appID)
        // An org-wide (Enterprise Grid) install has `team: null` and names the enterprise instead.
        let owner: KeyedDecodingContainer<TeamKeys>
        if container.contains(.team), try !container.decodeNil(forKey: .team) {
            owner = try container.nestedContainer(keyedBy: TeamKeys.self, forKey: .team)
        } else {
            owner = try container.nestedContainer(keyedBy: TeamKeys.self, forKey: .enterprise)
        }
        teamID = try owner.decode(String.self, forKey: .id)
        teamName = try owner.decodeIfPresent(String.self, forKey: .name) ?? ""
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(accessToken, forKey: .accessToken)
        try container.encode("bot", forKey: .tokenType)
        try container.encodeIfPresent(botUserID, forKey: .botUserID)
        try container.encodeIfPresent(scope, forKey: .scope)
        try container.encodeIfPresent(appID, forKey: .appID)
        var team = container.nestedContainer(keyedBy: TeamKeys.self, forKey: .team)
        try team.encode(teamID, forKey: .id)
        try team.encode(teamName, forKey: .name)
    }

    public var description: String {
        "OAuthV2Access(teamID: \(teamID), teamName: \(teamName), botUserID: \(botUserID ?? "nil"), "
            + "scope: \(scope ?? "nil"), accessToken: [redacted])"
    }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "accessToken": "[redacted]", "botUserID": botUserID as Any, "scope": scope as Any, "teamID": teamID,
                "teamName": teamName, "appID": appID as Any,
            ],
            displayStyle: .struct)
    }
}
