/// A Block Kit text object: plain text or Slack's `mrkdwn`.
public struct TextObject: Codable, Sendable, Hashable {
    /// `plain_text` (headers, buttons, labels) or `mrkdwn` (sections, context).
    public enum TextType: String, Codable, Sendable, Hashable {
        case plainText = "plain_text"
        case mrkdwn
    }

    public var type: TextType
    public var text: String
    /// Only meaningful for plain text: whether `:emoji:` codes are rendered.
    public var emoji: Bool?

    public init(type: TextType, text: String, emoji: Bool? = nil) {
        self.type = type
        self.text = text
        self.emoji = emoji
    }

    /// Plain text, as headers, buttons, options and labels require.
    public static func plain(_ text: String, emoji: Bool? = nil) -> TextObject {
        TextObject(type: .plainText, text: text, emoji: emoji)
    }

    /// Slack-flavoured markdown (`*bold*`, `<url|link>`).
    public static func mrkdwn(_ text: String) -> TextObject {
        TextObject(type: .mrkdwn, text: text)
    }

    enum CodingKeys: String, CodingKey {
        case type
        case text
        case emoji
    }
}
