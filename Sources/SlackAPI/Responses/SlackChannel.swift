/// A conversation from `conversations.list`, as the channel picker shows it.
public struct SlackChannel: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var isPrivate: Bool
    public var isArchived: Bool
    /// Whether the bot is in the channel (it must be, to post in a private one).
    public var isMember: Bool

    public init(id: String, name: String, isPrivate: Bool = false, isArchived: Bool = false, isMember: Bool = false) {
        self.id = id
        self.name = name
        self.isPrivate = isPrivate
        self.isArchived = isArchived
        self.isMember = isMember
    }

    enum CodingKeys: String, CodingKey {
        case id
        case name
        case isPrivate = "is_private"
        case isArchived = "is_archived"
        case isMember = "is_member"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
        isPrivate = try container.decodeIfPresent(Bool.self, forKey: .isPrivate) ?? false
        isArchived = try container.decodeIfPresent(Bool.self, forKey: .isArchived) ?? false
        isMember = try container.decodeIfPresent(Bool.self, forKey: .isMember) ?? false
    }
}
