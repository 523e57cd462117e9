/// A labelled form field in a modal; its value comes back in `view_submission` under `block_id`/`action_id`.
public struct InputBlock: Codable, Sendable, Hashable {
    static let type = "input"

    public var label: TextObject
    public var element: BlockElement
    public var blockID: String?
    public var optional: Bool?
    public var hint: TextObject?

    public init(
        label: TextObject, element: BlockElement, blockID: String? = nil, optional: Bool? = nil,
        hint: TextObject? = nil
    ) {
        self.label = label
        self.element = element
        self.blockID = blockID
        self.optional = optional
        self.hint = hint
    }

    enum CodingKeys: String, CodingKey {
        case type
        case label
        case element
        case blockID = "block_id"
        case optional
        case hint
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        label = try container.decode(TextObject.self, forKey: .label)
        element = try container.decode(BlockElement.self, forKey: .element)
        blockID = try container.decodeIfPresent(String.self, forKey: .blockID)
        optional = try container.decodeIfPresent(Bool.self, forKey: .optional)
        hint = try container.decodeIfPresent(TextObject.self, forKey: .hint)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.type, forKey: .type)
        try container.encode(label, forKey: .label)
        try container.encode(element, forKey: .element)
        try container.encodeIfPresent(blockID, forKey: .blockID)
        try container.encodeIfPresent(optional, forKey: .optional)
        try container.encodeIfPresent(hint, forKey: .hint)
    }
}
