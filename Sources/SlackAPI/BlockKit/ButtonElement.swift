/// A button; Slack sends its `action_id` and `value` back when clicked, or just opens `url`.
public struct ButtonElement: Codable, Sendable, Hashable {
    static let type = "button"

    /// Slack's two accent colours; nil is the default grey button.
    public enum ButtonStyle: String, Codable, Sendable, Hashable {
        case primary
        case danger
    }

    public var text: TextObject
    public var actionID: String
    public var value: String?
    public var style: ButtonStyle?
    public var url: String?

    public init(text: TextObject, actionID: String, value: String? = nil, style: ButtonStyle? = nil, url: String? = nil) {
        self.text = text
        self.actionID = actionID
        self.value = value
        self.style = style
        self.url = url
    }

    enum CodingKeys: String, CodingKey {
        case type
        case text
        case actionID = "action_id"
        case value
        case style
        case url
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        text = try container.decode(TextObject.self, forKey: .text)
        actionID = try container.decode(String.self, forKey: .actionID)
        value = try container.decodeIfPresent(String.self, forKey: .value)
        style = try container.decodeIfPresent(ButtonStyle.self, forKey: .style)
        url = try container.decodeIfPresent(String.self, forKey: .url)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.type, forKey: .type)
        try container.encode(text, forKey: .text)
        try container.encode(actionID, forKey: .actionID)
        try container.encodeIfPresent(value, forKey: .value)
        try container.encodeIfPresent(style, forKey: .style)
        try container.encodeIfPresent(url, forKey: .url)
    }
}

/// Top-level spelling of ``ButtonElement/ButtonStyle``.
public typealias ButtonStyle = ButtonElement.ButtonStyle
