/// A free-text field for modals (incident title, description).
public struct PlainTextInputElement: Codable, Sendable, Hashable {
    static let type = "plain_text_input"

    public var actionID: String
    public var multiline: Bool?
    public var placeholder: TextObject?
    public var initialValue: String?
    public var maxLength: Int?

    public init(
        actionID: String, multiline: Bool? = nil, placeholder: TextObject? = nil, initialValue: String? = nil,
        maxLength: Int? = nil
    ) {
        self.actionID = actionID
        self.multiline = multiline
        self.placeholder = placeholder
        self.initialValue = initialValue
        self.maxLength = maxLength
    }

    enum CodingKeys: String, CodingKey {
        case type
        case actionID = "action_id"
        case multiline
        case placeholder
        case initialValue = "initial_value"
        case maxLength = "max_length"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        actionID = try container.decode(String.self, forKey: .actionID)
        multiline = try container.decodeIfPresent(Bool.self, forKey: .multiline)
        placeholder = try container.decodeIfPresent(TextObject.self, forKey: .placeholder)
        initialValue = try container.decodeIfPresent(String.self, forKey: .initialValue)
        maxLength = try container.decodeIfPresent(Int.self, forKey: .maxLength)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.type, forKey: .type)
        try container.encode(actionID, forKey: .actionID)
        try container.encodeIfPresent(multiline, forKey: .multiline)
        try container.encodeIfPresent(placeholder, forKey: .placeholder)
        try container.encodeIfPresent(initialValue, forKey: .initialValue)
        try container.encodeIfPresent(maxLength, forKey: .maxLength)
    }
}
