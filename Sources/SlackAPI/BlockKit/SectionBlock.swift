/// Text and/or up to ten two-column fields, with an optional element on the right.
public struct SectionBlock: Codable, Sendable, Hashable {
    static let type = "section"

    public var text: TextObject?
    public var fields: [TextObject]?
    public var accessory: BlockElement?
    public var blockID: String?

    public init(
        text: TextObject? = nil, fields: [TextObject]? = nil, accessory: BlockElement? = nil, blockID: String? = nil
    ) {
        self.text = text
        self.fields = fields
        self.accessory = accessory
        self.blockID = blockID
    }

    enum CodingKeys: String, CodingKey {
        case type
        case text
        case fields
        case accessory
        case blockID = "block_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        text = try container.decodeIfPresent(TextObject.self, forKey: .text)
        fields = try container.decodeIfPresent([TextObject].self, forKey: .fields)
        accessory = try container.decodeIfPresent(BlockElement.self, forKey: .accessory)
        blockID = try container.decodeIfPresent(String.self, forKey: .blockID)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.type, forKey: .type)
        try container.encodeIfPresent(text, forKey: .text)
        try container.encodeIfPresent(fields, forKey: .fields)
        try container.encodeIfPresent(accessory, forKey: .accessory)
        try container.encodeIfPresent(blockID, forKey: .blockID)
    }
}
