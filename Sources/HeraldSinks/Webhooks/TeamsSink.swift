import Foundation
import HeraldCore
import Outbound

/// Microsoft Teams through a Workflows webhook (SPEC §8): an Adaptive Card in a message
/// (`{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{…}}]}`).
/// `200` and `202` are success. Office 365 connector URLs are retired and refused. It cannot edit:
/// each status change is a new message.
public struct TeamsSink: Sink {
    public let http: SinkHTTP

    public init(http transport: any OutboundTransport) {
        self.http = SinkHTTP(transport: transport)
    }

    public var type: SinkType { .teams }
    public var capabilities: SinkCapabilities { SinkCapabilities(canEdit: false) }
    public var pacing: SinkPacing { .perSecond(2) }

    /// Bytes of UTF-8 kept in a card's body text, its title and each fact: a card may be at most
    /// 28 KB, and these keep it under 24 KB whatever the script.
    public static let maxBodyBytes = 16_000
    public static let maxTitleBytes = 1_000
    public static let maxFactBytes = 800

    /// Whether `url` is a retired Office 365 connector (`*.webhook.office.com`, `outlook.office.com/webhook…`).
    public static func isRetiredConnector(_ url: URL) -> Bool {
        guard let host = url.host?.lowercased() else { return false }
        if host == "webhook.office.com" || host.hasSuffix(".webhook.office.com") { return true }
        return ["outlook.office.com", "outlook.office365.com"].contains(host) && url.path.lowercased().hasPrefix("/webhook")
    }

    public static let retiredMessage = "Office 365 connector URLs are retired; create a Teams Workflows webhook (\"Post to a channel when a webhook request is received\") and use its URL"

    struct Message: Encodable {
        var type = "message"
        var attachments: [Attachment]
    }

    struct Attachment: Encodable {
        var contentType = "application/vnd.microsoft.card.adaptive"
        var content: Card
    }

    struct Card: Encodable {
        var schema = "http://adaptivecards.io/schemas/adaptive-card.json"
        var type = "AdaptiveCard"
        var version = "1.4"
        var body: [Element]
        var actions: [Action]

        enum CodingKeys: String, CodingKey {
            case schema = "$schema", type, version, body, actions
        }
    }

    /// The card elements Herald uses.
    enum Element: Encodable {
        case container(style: String, items: [Element])
        case text(String, weight: String? = nil, size: String? = nil, color: String? = nil)
        case facts([(String, String)])

        enum Keys: String, CodingKey {
            case type, style, bleed, items, text, weight, size, color, wrap, facts
        }

        struct Fact: Encodable {
            var title: String
            var value: String
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            switch self {
            case .container(let style, let items):
                try c.encode("Container", forKey: .type)
                try c.encode(style, forKey: .style)
                try c.encode(true, forKey: .bleed)
                try c.encode(items, forKey: .items)
            case .text(let text, let weight, let size, let color):
                try c.encode("TextBlock", forKey: .type)
                try c.encode(text, forKey: .text)
                try c.encode(true, forKey: .wrap)
                try c.encodeIfPresent(weight, forKey: .weight)
                try c.encodeIfPresent(size, forKey: .size)
                try c.encodeIfPresent(color, forKey: .color)
            case .facts(let facts):
                try c.encode("FactSet", forKey: .type)
                try c.encode(facts.map { Fact(title: $0.0, value: $0.1) }, forKey: .facts)
            }
        }
    }

    struct Action: Encodable {
        var type = "Action.OpenUrl"
        var title: String
        var url: String
    }

    public func render(_ content: MessageContent) -> Data {
        let summary = MessageSummary(content)
        let (style, color) = switch summary.tone {
        case .alert: ("attention", "Attention")
        case .warning: ("warning", "Warning")
        case .ok: ("good", "Good")
        case .neutral: ("emphasis", "Default")
        }
        var body: [Element] = [
            .container(style: style, items: [.text(SinkText.cutUTF8(summary.headline, maxBytes: Self.maxTitleBytes), weight: "Bolder",
                                                   size: "Medium", color: color)]),
            .facts(summary.fields.map { ($0.label, SinkText.cutUTF8($0.value, maxBytes: Self.maxFactBytes)) }),
        ]
        if let text = summary.body { body.append(.text(SinkText.cutUTF8(text, maxBytes: Self.maxBodyBytes))) }
        let card = Card(body: body, actions: [Action(title: "View in Herald", url: summary.link.absoluteString)])
        return SinkJSON.encode(Message(attachments: [Attachment(content: card)]))
    }

    public func post(_ payload: Data, to address: SinkAddress, context: SendContext) async -> SinkResult {
        guard case .url(let text) = address.credential else { return wrongCredential("a Workflows webhook URL") }
        guard let url = SinkHTTP.url(text) else { return SinkHTTP.invalidURL }
        guard !Self.isRetiredConnector(url) else { return .permanent(code: "connector_retired", detail: Self.retiredMessage) }
        return await http.post(SinkHTTP.jsonPost(url, body: payload), secrets: address.credential.secrets, accepts: { $0 == 200 || $0 == 202 })
    }
}
