/// A bot message in `chat.postMessage` shape; `text` is the notification and screen-reader fallback.
/// Also the body of an incoming webhook, where an empty `channel` is left out.
public struct SlackMessage: Codable, Sendable, Hashable {
    public var channel: String
    public var text: String
    public var blocks: [Block]?
    public var attachments: [Attachment]?
    public var threadTS: String?
    public var unfurlLinks: Bool?

    public init(
        channel: String, text: String, blocks: [Block]? = nil, attachments: [Attachment]? = nil,
        threadTS: String? = nil, unfurlLinks: Bool? = nil
    ) {
        self.channel = channel
        self.text = text
        self.blocks = blocks
        self.attachments = attachments
        self.threadTS = threadTS
        self.unfurlLinks = unfurlLinks
    }

    enum CodingKeys: String, CodingKey {
        case channel
        case text
        case blocks
        case attachments
        case threadTS = "thread_ts"
        case unfurlLinks = "unfurl_links"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        channel = try container.decodeIfPresent(String.self, forKey: .channel) ?? ""
        text = try container.decodeIfPresent(String.self, forKey: .text) ?? ""
        blocks = try container.decodeIfPresent([Block].self, forKey: .blocks)
        attachments = try container.decodeIfPresent([Attachment].self, forKey: .attachments)
        threadTS = try container.decodeIfPresent(String.self, forKey: .threadTS)
        unfurlLinks = try container.decodeIfPresent(Bool.self, forKey: .unfurlLinks)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if !channel.isEmpty {
            try container.encode(channel, forKey: .channel)
        }
        try container.encode(text, forKey: .text)
        try container.encodeIfPresent(blocks, forKey: .blocks)
        try container.encodeIfPresent(attachments, forKey: .attachments)
        try container.encodeIfPresent(threadTS, forKey: .threadTS)
        try container.encodeIfPresent(unfurlLinks, forKey: .unfurlLinks)
    }
}
