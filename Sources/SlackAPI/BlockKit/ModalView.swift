/// A modal for `views.open` (e.g. `/create_incident`); `callback_id` and `private_metadata` return on submit.
public struct ModalView: Codable, Sendable, Hashable {
    static let type = "modal"

    public var callbackID: String
    public var title: TextObject
    public var submit: TextObject?
    public var close: TextObject?
    public var blocks: [Block]
    public var privateMetadata: String?

    public init(
        callbackID: String, title: TextObject, submit: TextObject? = nil, close: TextObject? = nil, blocks: [Block],
        privateMetadata: String? = nil
    ) {
        self.callbackID = callbackID
        self.title = title
        self.submit = submit
        self.close = close
        self.blocks = blocks
        self.privateMetadata = privateMetadata
    }

    enum CodingKeys: String, CodingKey {
        case type
        case callbackID = "callback_id"
        case title
        case submit
        case close
        case blocks
        case privateMetadata = "private_metadata"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        guard type == Self.type else {
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unsupported view type \"\(type)\"")
        }
        callbackID = try container.decodeIfPresent(String.self, forKey: .callbackID) ?? ""
        title = try container.decode(TextObject.self, forKey: .title)
        submit = try container.decodeIfPresent(TextObject.self, forKey: .submit)
        close = try container.decodeIfPresent(TextObject.self, forKey: .close)
        blocks = try container.decode([Block].self, forKey: .blocks)
        privateMetadata = try container.decodeIfPresent(String.self, forKey: .privateMetadata)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.type, forKey: .type)
        try container.encode(callbackID, forKey: .callbackID)
        try container.encode(title, forKey: .title)
        try container.encodeIfPresent(submit, forKey: .submit)
        try container.encodeIfPresent(close, forKey: .close)
        try container.encode(blocks, forKey: .blocks)
        try container.encodeIfPresent(privateMetadata, forKey: .privateMetadata)
    }
}
