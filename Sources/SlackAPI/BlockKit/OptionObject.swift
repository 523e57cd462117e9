/// One choice of a select: plain-text label and the value Slack sends back.
public struct OptionObject: Codable, Sendable, Hashable {
    public var text: TextObject
    public var value: String

    public init(text: TextObject, value: String) {
        self.text = text
        self.value = value
    }

    /// An option labelled with plain `text`.
    public init(_ text: String, value: String) {
        self.init(text: .plain(text), value: value)
    }

    enum CodingKeys: String, CodingKey {
        case text
        case value
    }
}
