import Foundation
import HeraldCore
import Outbound

/// A Mattermost incoming webhook: Slack-compatible attachments with the colour bar. Mattermost
/// answers `200` with `ok`; it cannot edit through a webhook, so each status change is a new message.
public struct MattermostSink: Sink {
    public let http: SinkHTTP

    public init(http transport: any OutboundTransport) {
        self.http = SinkHTTP(transport: transport)
    }

    public var type: SinkType { .mattermost }
    public var capabilities: SinkCapabilities { SinkCapabilities(canEdit: false) }
    /// Mattermost's default rate limit is 10 requests per second per client; stay well under it.
    public var pacing: SinkPacing { .perSecond(2) }

    /// Mattermost's post limit (16,383 characters) shared by the text and the attachments.
    public static let maxText = 4_000

    struct Body: Encodable {
        var text: String
        var username = "Herald"
        var attachments: [Attachment]
    }

    struct Attachment: Encodable {
        var fallback: String
        var color: String
        var title: String
        var title_link: String
        var text: String?
        var fields: [Field]
        var footer: String
        var ts: Int
    }

    struct Field: Encodable {
        var short: Bool
        var title: String
        var value: String
    }

    public func render(_ content: MessageContent) -> Data {
        let summary = MessageSummary(content)
        let headline = SinkText.cut(summary.headline, max: 300)
        let attachment = Attachment(
            fallback: headline, color: summary.tone.hex, title: SinkText.cut(summary.title, max: 300),
            title_link: summary.link.absoluteString, text: summary.body.map { SinkText.cut($0, max: Self.maxText) },
            fields: summary.fields.map { Field(short: true, title: $0.label, value: SinkText.cut($0.value, max: 500)) },
            footer: "Herald", ts: Int(summary.at.timeIntervalSince1970))
        return SinkJSON.encode(Body(text: headline, attachments: [attachment]))
    }

    public func post(_ payload: Data, to address: SinkAddress, context: SendContext) async -> SinkResult {
        guard case .url(let text) = address.credential else { return wrongCredential("a webhook URL") }
        guard let url = SinkHTTP.url(text) else { return SinkHTTP.invalidURL }
        return await http.post(SinkHTTP.jsonPost(url, body: payload), secrets: address.credential.secrets)
    }
}
