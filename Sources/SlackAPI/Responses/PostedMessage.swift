/// Where a message landed: the channel id and the message `ts`, which together address it for `chat.update`.
public struct PostedMessage: Codable, Sendable, Hashable {
    public var channel: String
    public var ts: String

    public init(channel: String, ts: String) {
        self.channel = channel
        self.ts = ts
    }

    enum CodingKeys: String, CodingKey {
        case channel
        case ts
    }
}
