/// An interactive element inside a section, actions or input block, discriminated on `type`.
/// Decoding an element type Herald does not model throws a `DecodingError` that names the type.
public enum BlockElement: Codable, Sendable, Hashable {
    case button(ButtonElement)
    case staticSelect(StaticSelectElement)
    case plainTextInput(PlainTextInputElement)

    /// Slack's name for this element's type.
    public var type: String {
        switch self {
        case .button: ButtonElement.type
        case .staticSelect: StaticSelectElement.type
        case .plainTextInput: PlainTextInputElement.type
        }
    }

    /// The `action_id` Slack reports when the element is used.
    public var actionID: String {
        switch self {
        case .button(let element): element.actionID
        case .staticSelect(let element): element.actionID
        case .plainTextInput(let element): element.actionID
        }
    }

    enum CodingKeys: String, CodingKey {
        case type
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case ButtonElement.type: self = .button(try ButtonElement(from: decoder))
        case StaticSelectElement.type: self = .staticSelect(try StaticSelectElement(from: decoder))
        case PlainTextInputElement.type: self = .plainTextInput(try PlainTextInputElement(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unsupported block element type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .button(let element): try element.encode(to: encoder)
        case .staticSelect(let element): try element.encode(to: encoder)
        case .plainTextInput(let element): try element.encode(to: encoder)
        }
    }
}
