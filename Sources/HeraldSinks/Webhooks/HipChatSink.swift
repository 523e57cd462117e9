import Foundation
import HeraldCore
import Outbound

/// HipChat v2 room notifications (SPEC §2): `POST {room notification URL}` with the room's auth
/// token as a bearer token, `message_format: html` (every piece of text escaped), `color` red,
/// yellow or green (gray for other notifications), `notify: true` on trigger. HipChat answers `204`;
/// `401` (a bad token) and `404` (no such room) are permanent, as is any other 4xx. It cannot edit:
/// each status change is a new message.
public struct HipChatSink: Sink {
    public let http: SinkHTTP

    public init(http transport: any OutboundTransport) {
        self.http = SinkHTTP(transport: transport)
    }

    public var type: SinkType { .hipchat }
    public var capabilities: SinkCapabilities { SinkCapabilities(canEdit: false) }
    /// HipChat allows about 100 requests per 5 minutes per token: one every 3 seconds per room.
    public var pacing: SinkPacing { .perSecond(1.0 / 3) }

    /// HipChat refuses a message over 10,000 characters.
    public static let maxMessage = 10_000

    struct Body: Encodable {
        var message: String
        var message_format = "html"
        var color: String
        var notify: Bool
        var from = "Herald"
    }

    public func render(_ content: MessageContent) -> Data {
        let summary = MessageSummary(content)
        let color = switch summary.tone {
        case .alert: "red"
        case .warning: "yellow"
        case .ok: "green"
        case .neutral: "gray"
        }
        var html = "<strong>" + SinkText.html(SinkText.cut(summary.headline, max: 300)) + "</strong>"
        if !summary.fields.isEmpty {
            html += "<br>" + summary.fields.map { "<em>\(SinkText.html($0.label))</em>: \(SinkText.html(SinkText.cut($0.value, max: 300)))" }
                .joined(separator: " · ")
        }
        let link = summary.link.absoluteString.count <= 2000
            ? "<br><a href=\"\(SinkText.html(summary.link.absoluteString))\">View in Herald</a>" : ""
        if let body = summary.body {
            // The body gets the room left once escaped: the raw text is cut (never an entity or a
            // tag), and cut shorter until its escaped form fits.
            let room = Self.maxMessage - html.count - link.count - 4
            var kept = body
            var rendered = Self.bodyHTML(kept)
            while rendered.count > room, !kept.isEmpty {
                kept = SinkText.cut(kept, max: max(0, kept.count - max(1, (rendered.count - room + 5) / 6) - 1))
                rendered = Self.bodyHTML(kept)
            }
            if !kept.isEmpty { html += "<br>" + rendered }
        }
        html += link
        return SinkJSON.encode(Body(message: html, color: color, notify: summary.isNew))
    }

    /// Text as HTML: escaped, line breaks as `<br>`.
    static func bodyHTML(_ text: String) -> String {
        SinkText.html(text).replacingOccurrences(of: "\n", with: "<br>")
    }

    public func post(_ payload: Data, to address: SinkAddress, context: SendContext) async -> SinkResult {
        guard case .room(let text, let token) = address.credential else { return wrongCredential("a room URL and an auth token") }
        guard let url = SinkHTTP.url(text) else { return SinkHTTP.invalidURL }
        return await http.post(SinkHTTP.jsonPost(url, body: payload, headers: ["authorization": "Bearer \(token)"]),
                               secrets: address.credential.secrets)
    }
}
