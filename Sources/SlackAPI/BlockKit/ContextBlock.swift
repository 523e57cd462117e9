/// Small grey text under a message (up to ten elements); Herald uses text elements only.
public struct ContextBlock: Codable, Sendable, Hashable {
    static let type = "context"

    public var elements: [TextObject]
    public var blockID: String?

    public init(elements: [TextObject], blockID: String? = nil) {
        self.elements = elements
        self.blockID = blockID
    }

    enum CodingKeys: String, CodingKey {
        case type
        case elements
        case blockID = "block_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        elements = try container.decode([TextObject].self, forKey: .elements)
        blockID = try container.decodeIfPresent(String.self, forKey: .blockID)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.type, forKey: .type)
        try container.encode(elements, forKey: .elements)
        try container.encodeIfPresent(blockID, forKey: .blockID)
    }
}
