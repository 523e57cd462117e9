/// A large bold title; Slack requires plain text of at most 150 characters.
public struct HeaderBlock: Codable, Sendable, Hashable {
    static let type = "header"

    public var text: TextObject
    public var blockID: String?

    public init(text: TextObject, blockID: String? = nil) {
        self.text = text
        self.blockID = blockID
    }

    /// A header with plain `text`.
    public init(_ text: String, blockID: String? = nil) {
        self.init(text: .plain(text), blockID: blockID)
    }

    enum CodingKeys: String, CodingKey {
        case type
        case text
        case blockID = "block_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        text = try container.decode(TextObject.self, forKey: .text)
        blockID = try container.decodeIfPresent(String.self, forKey: .blockID)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.type, forKey: .type)
        try container.encode(text, forKey: .text)
        try container.encodeIfPresent(blockID, forKey: .blockID)
    }
}
