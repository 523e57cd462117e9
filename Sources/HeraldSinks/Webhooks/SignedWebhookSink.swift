import Crypto
import Foundation
import HeraldCore
import Outbound

/// Herald's own webhook (SPEC §8): a JSON POST of the event and the incident's state in a versioned
/// schema (`herald.webhook.v1`, documented in the OpenAPI document as `WebhookPayload`), signed
/// `X-Herald-Signature: sha256=<hex HMAC-SHA256 of the raw body>` under the integration's secret,
/// with `X-Herald-Delivery` (the same on every attempt of one delivery, so a receiver can drop
/// repeats) and `X-Herald-Timestamp` (Unix seconds of the attempt). Any 2xx is success.
public struct SignedWebhookSink: Sink {
    public let http: SinkHTTP

    public init(http transport: any OutboundTransport) {
        self.http = SinkHTTP(transport: transport)
    }

    public var type: SinkType { .webhook }
    public var capabilities: SinkCapabilities { SinkCapabilities(canEdit: false) }
    public var pacing: SinkPacing { .perSecond(10) }

    public static let schema = "herald.webhook.v1"

    /// The body: `type` says which of `incident`, `notification` or `task` is present.
    public struct Body: Codable, Sendable, Equatable {
        public var schema: String
        public var type: String
        public var incident: Incident?
        public var notification: Notification?
        public var task: Task?
    }

    public struct Incident: Codable, Sendable, Equatable {
        public var id: String
        public var key: String
        public var title: String
        public var description: String?
        public var status: String
        public var severity: String?
        public var service: String?
        public var tags: [String: String]
        public var assignee: String?
        public var project: String
        public var link: String
        public var openedAt: Date
        public var resolvedAt: Date?
        /// Grows with every change: of two bodies for one incident, the higher version is newer.
        public var version: Int
        /// The latest timeline entry: what this message is about.
        public var event: Event?
    }

    public struct Event: Codable, Sendable, Equatable {
        public var kind: String
        public var summary: String
        public var actor: String?
        public var at: Date
    }

    public struct Notification: Codable, Sendable, Equatable {
        public var title: String
        public var text: String?
        public var severity: String?
        public var service: String?
        public var project: String
        public var link: String
        public var at: Date
    }

    public struct Task: Codable, Sendable, Equatable {
        public var runbook: String
        public var message: String
        public var project: String
        public var link: String
    }

    public static func body(_ content: MessageContent) -> Body {
        switch content {
        case .incident(let v):
            return Body(schema: schema, type: "incident", incident: Incident(
                id: v.id, key: v.key, title: v.title, description: v.description, status: v.status.rawValue, severity: v.severity?.rawValue,
                service: v.serviceName, tags: v.tags, assignee: v.assignee, project: v.projectName, link: v.link.absoluteString,
                openedAt: v.openedAt, resolvedAt: v.resolvedAt, version: v.version,
                event: v.latest.map { Event(kind: $0.kind, summary: $0.summary, actor: $0.actor, at: $0.at) }))
        case .notification(let v):
            return Body(schema: schema, type: "notification", notification: Notification(
                title: v.title, text: v.text, severity: v.severity?.rawValue, service: v.serviceName, project: v.projectName,
                link: v.link.absoluteString, at: v.at))
        case .reply(let v):
            // Never sent (webhooks do not thread); described as a notification if it ever is.
            return Body(schema: schema, type: "notification", notification: Notification(
                title: v.incidentTitle, text: v.entries.map(\.summary).joined(separator: "\n"), severity: nil, service: nil, project: "",
                link: v.link.absoluteString, at: v.entries.last?.at ?? Date()))
        case .task(let v):
            return Body(schema: schema, type: "task", task: Task(runbook: v.runbookName, message: v.text, project: v.projectName,
                                                                      link: v.link.absoluteString))
        }
    }

    public func render(_ content: MessageContent) -> Data {
        SinkJSON.encode(Self.body(content))
    }

    /// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
    public static func signature(_ body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + Data(mac).hexString
    }

    public func post(_ payload: Data, to address: SinkAddress, context: SendContext) async -> SinkResult {
        guard case .signed(let text, let secret) = address.credential else { return wrongCredential("a URL and an optional signing secret") }
        guard let url = SinkHTTP.url(text) else { return SinkHTTP.invalidURL }
        var headers = [
            "x-herald-delivery": context.deliveryID,
            "x-herald-timestamp": String(Int(context.at.timeIntervalSince1970)),
            "x-herald-attempt": String(context.attempt),
        ]
        if let secret, !secret.isEmpty { headers["x-herald-signature"] = Self.signature(payload, secret: secret) }
        return await http.post(SinkHTTP.jsonPost(url, body: payload, headers: headers), secrets: address.credential.secrets)
    }
}
