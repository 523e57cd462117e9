/// A thin horizontal rule.
public struct DividerBlock: Codable, Sendable, Hashable {
    static let type = "divider"

    public var blockID: String?

    public init(blockID: String? = nil) {
        self.blockID = blockID
    }

    enum CodingKeys: String, CodingKey {
        case type
        case blockID = "block_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        blockID = try container.decodeIfPresent(String.self, forKey: .blockID)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.type, forKey: .type)
        try container.encodeIfPresent(blockID, forKey: .blockID)
    }
}
