/// A Slack user from `users.info` or `users.lookupByEmail`; `email` (needs `users:read.email`) links it to Herald.
public struct SlackUser: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var realName: String?
    public var email: String?
    public var deleted: Bool?
    public var isBot: Bool?

    public init(
        id: String, name: String, realName: String? = nil, email: String? = nil, deleted: Bool? = nil,
        isBot: Bool? = nil
    ) {
        self.id = id
        self.name = name
        self.realName = realName
        self.email = email
        self.deleted = deleted
        self.isBot = isBot
    }

    enum CodingKeys: String, CodingKey {
        case id
        case name
        case realName = "real_name"
        case deleted
        case isBot = "is_bot"
        case profile
    }

    enum ProfileKeys: String, CodingKey {
        case email
        case realName = "real_name"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
        deleted = try container.decodeIfPresent(Bool.self, forKey: .deleted)
        isBot = try container.decodeIfPresent(Bool.self, forKey: .isBot)
        realName = try container.decodeIfPresent(String.self, forKey: .realName)
        if container.contains(.profile), try !container.decodeNil(forKey: .profile) {
            let profile = try container.nestedContainer(keyedBy: ProfileKeys.self, forKey: .profile)
            email = try profile.decodeIfPresent(String.self, forKey: .email)
            if realName == nil {
                realName = try profile.decodeIfPresent(String.self, forKey: .realName)
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(realName, forKey: .realName)
        try container.encodeIfPresent(deleted, forKey: .deleted)
        try container.encodeIfPresent(isBot, forKey: .isBot)
        var profile = container.nestedContainer(keyedBy: ProfileKeys.self, forKey: .profile)
        try profile.encodeIfPresent(email, forKey: .email)
        try profile.encodeIfPresent(realName, forKey: .realName)
    }
}
