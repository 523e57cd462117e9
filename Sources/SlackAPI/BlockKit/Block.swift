/// A Block Kit layout block, encoded with Slack's `type` discriminator.
/// Decoding a block type Herald does not model throws a `DecodingError` that names the type.
public enum Block: Codable, Sendable, Hashable {
    case header(HeaderBlock)
    case section(SectionBlock)
    case context(ContextBlock)
    case actions(ActionsBlock)
    case divider(DividerBlock)
    case input(InputBlock)

    /// Slack's name for this block's type.
    public var type: String {
        switch self {
        case .header: HeaderBlock.type
        case .section: SectionBlock.type
        case .context: ContextBlock.type
        case .actions: ActionsBlock.type
        case .divider: DividerBlock.type
        case .input: InputBlock.type
        }
    }

    /// The block's `block_id`, whatever its type.
    public var blockID: String? {
        switch self {
        case .header(let block): block.blockID
        case .section(let block): block.blockID
        case .context(let block): block.blockID
        case .actions(let block): block.blockID
        case .divider(let block): block.blockID
        case .input(let block): block.blockID
        }
    }

    enum CodingKeys: String, CodingKey {
        case type
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case HeaderBlock.type: self = .header(try HeaderBlock(from: decoder))
        case SectionBlock.type: self = .section(try SectionBlock(from: decoder))
        case ContextBlock.type: self = .context(try ContextBlock(from: decoder))
        case ActionsBlock.type: self = .actions(try ActionsBlock(from: decoder))
        case DividerBlock.type: self = .divider(try DividerBlock(from: decoder))
        case InputBlock.type: self = .input(try InputBlock(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unsupported block type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .header(let block): try block.encode(to: encoder)
        case .section(let block): try block.encode(to: encoder)
        case .context(let block): try block.encode(to: encoder)
        case .actions(let block): try block.encode(to: encoder)
        case .divider(let block): try block.encode(to: encoder)
        case .input(let block): try block.encode(to: encoder)
        }
    }
}
