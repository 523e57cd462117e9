/// A legacy attachment, used only for the coloured bar beside a message's blocks (SPEC §2).
public struct Attachment: Codable, Sendable, Hashable {
    /// Hex colour such as `#E01E5A`, or Slack's `good` / `warning` / `danger`.
    public var color: String?
    public var blocks: [Block]?
    public var fallback: String?
    public var text: String?

    public init(color: String? = nil, blocks: [Block]? = nil, fallback: String? = nil, text: String? = nil) {
        self.color = color
        self.blocks = blocks
        self.fallback = fallback
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case color
        case blocks
        case fallback
        case text
    }
}
