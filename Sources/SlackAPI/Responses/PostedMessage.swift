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

/// An answer read from a whole `{"ok": true, …}` reply by a ``JSONScanner`` (see `perform`): it
/// must read what `Reply<Self>` reads with `JSONDecoder`, or throw.
protocol ScannableAnswer {
    static func scanReply(_ scanner: inout JSONScanner) throws -> Self
}

extension PostedMessage: ScannableAnswer {
    /// `ok` true, and the top level's `channel` and `ts` (Slack's echo of the message is skipped).
    static func scanReply(_ s: inout JSONScanner) throws -> PostedMessage {
        var ok = false, channel: String?, ts: String?
        try s.members { key, s in
            switch key {
            case "ok": ok = try s.bool()
            case "channel": channel = try s.string()
            case "ts": ts = try s.string()
            default: try s.skip()
            }
        }
        guard ok, let channel, let ts else { throw JSONScanner.Unreadable() }
        return PostedMessage(channel: channel, ts: ts)
    }
}
