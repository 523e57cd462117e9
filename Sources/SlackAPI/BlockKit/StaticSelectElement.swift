/// A drop-down of fixed options (at most 100); the chosen option's `value` comes back in `block_actions`.
public struct StaticSelectElement: Codable, Sendable, Hashable {
    static let type = "static_select"

    public var placeholder: TextObject?
    public var actionID: String
    public var options: [OptionObject]
    public var initialOption: OptionObject?

    public init(
        placeholder: TextObject? = nil, actionID: String, options: [OptionObject], initialOption: OptionObject? = nil
    ) {
        self.placeholder = placeholder
        self.actionID = actionID
        self.options = options
        self.initialOption = initialOption
    }

    enum CodingKeys: String, CodingKey {
        case type
        case placeholder
        case actionID = "action_id"
        case options
        case initialOption = "initial_option"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        placeholder = try container.decodeIfPresent(TextObject.self, forKey: .placeholder)
        actionID = try container.decode(String.self, forKey: .actionID)
        options = try container.decode([OptionObject].self, forKey: .options)
        initialOption = try container.decodeIfPresent(OptionObject.self, forKey: .initialOption)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.type, forKey: .type)
        try container.encodeIfPresent(placeholder, forKey: .placeholder)
        try container.encode(actionID, forKey: .actionID)
        try container.encode(options, forKey: .options)
        try container.encodeIfPresent(initialOption, forKey: .initialOption)
    }
}
