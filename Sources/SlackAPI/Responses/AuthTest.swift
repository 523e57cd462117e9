/// Who a token is (`auth.test`): used to check a pasted bot token and to learn its workspace.
public struct AuthTest: Codable, Sendable, Hashable {
    public var url: String?
    public var team: String
    public var teamID: String
    public var user: String?
    public var userID: String
    public var botID: String?

    public init(url: String? = nil, team: String, teamID: String, user: String? = nil, userID: String, botID: String? = nil) {
        self.url = url
        self.team = team
        self.teamID = teamID
        self.user = user
        self.userID = userID
        self.botID = botID
    }

    enum CodingKeys: String, CodingKey {
        case url
        case team
        case teamID = "team_id"
        case user
        case userID = "user_id"
        case botID = "bot_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decodeIfPresent(String.self, forKey: .url)
        team = try container.decodeIfPresent(String.self, forKey: .team) ?? ""
        teamID = try container.decode(String.self, forKey: .teamID)
        user = try container.decodeIfPresent(String.self, forKey: .user)
        userID = try container.decode(String.self, forKey: .userID)
        botID = try container.decodeIfPresent(String.self, forKey: .botID)
    }
}
