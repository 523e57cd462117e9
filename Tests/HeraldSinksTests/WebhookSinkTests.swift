import Foundation
import HeraldCore
import HeraldSinks
import NIOConcurrencyHelpers
import Outbound
import SlackAPI
import Testing

/// A scripted service: answers each request with the next queued response and keeps the requests.
final class ScriptedService: OutboundTransport, @unchecked Sendable {
    private let state = NIOLockedValueBox<(requests: [OutboundRequest], answers: [Result<OutboundResponse, OutboundError>])>(([], []))

    func answer(_ status: Int, _ body: String = "", headers: [String: String] = [:]) {
        state.withLockedValue { $0.answers.append(.success(OutboundResponse(status: status, headers: headers, body: Data(body.utf8)))) }
    }

    func fail(_ error: OutboundError) {
        state.withLockedValue { $0.answers.append(.failure(error)) }
    }

    var requests: [OutboundRequest] { state.withLockedValue { $0.requests } }

    func send(_ request: OutboundRequest, timeout: Duration) async throws -> OutboundResponse {
        let next = state.withLockedValue { s -> Result<OutboundResponse, OutboundError>? in
            s.requests.append(request)
            return s.answers.isEmpty ? nil : s.answers.removeFirst()
        }
        guard let next else { throw OutboundError.connection("nothing scripted") }
        return try next.get()
    }
}

@Suite("Webhook-style sinks render within their services' limits and sort their answers")
struct WebhookSinkTests {
    static let context = SendContext(deliveryID: "0190f2c4-0000-7000-8000-000000000001", attempt: 2, at: Date(timeIntervalSince1970: 1_800_000_000))
    static func view(_ status: IncidentStatus, title: String = "Disk <full> & on fire", description: String? = "sda1 at 99%",
                     tags: [String: String] = ["host": "db1"]) -> IncidentView {
        IncidentView(id: "i-1", key: "disk", title: title, description: description, status: status, severity: .critical, tags: tags,
                     projectName: "Shop", latest: TimelineView(kind: "trigger", summary: "Triggered", at: Date(timeIntervalSince1970: 1_799_999_000)),
                     link: URL(string: "https://herald.test/incidents/i-1?at=x")!, openedAt: Date(timeIntervalSince1970: 1_799_999_000), version: 3)
    }

    static func json(_ data: Data?) throws -> [String: Any] {
        try #require(data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] })
    }

    @Test("HipChat: bearer auth token, escaped html, colour by status, notify only on trigger; 204 is success, 401 and 404 permanent")
    func hipchat() async throws {
        let service = ScriptedService()
        let sink = HipChatSink(http: service)
        let address = SinkAddress(target: "", credential: .room(url: "https://hipchat.test/v2/room/42/notification", authToken: "room-token"))
        service.answer(204)
        #expect(await sink.post(sink.renderMessage(.incident(Self.view(.triggered))), to: address, context: Self.context) == .sent(reference: nil))
        let request = try #require(service.requests.first)
        #expect(request.headers["authorization"] == "Bearer room-token")
        let body = try Self.json(request.body)
        #expect(body["color"] as? String == "red")
        #expect(body["notify"] as? Bool == true)
        #expect(body["message_format"] as? String == "html")
        let message = try #require(body["message"] as? String)
        #expect(message.contains("Disk &lt;full&gt; &amp; on fire") && !message.contains("<full>"))
        let resolved = try Self.json(sink.render(.incident(Self.view(.resolved))))
        #expect(resolved["color"] as? String == "green")
        #expect(resolved["notify"] as? Bool == false)
        #expect(try Self.json(sink.render(.incident(Self.view(.acknowledged))))["color"] as? String == "yellow")
        for status in [401, 404] {
            service.answer(status, #"{"error":{"code":\#(status),"message":"nope"}}"#)
            let result = await sink.post(sink.renderMessage(.incident(Self.view(.triggered))), to: address, context: Self.context)
            guard case .permanent(let code, let detail) = result else { Issue.record("\(result)"); continue }
            #expect(code == "http_\(status)")
            #expect(detail.contains("HTTP \(status)") && !detail.contains("room-token"))
        }
        #expect(await sink.post(sink.renderMessage(.incident(Self.view(.triggered))), to: SinkAddress(target: "", credential: .url(url: "x")),
                                context: Self.context) == .permanent(code: "credential_mismatch", detail: "a hipchat destination needs a room URL and an auth token"))
        let long = try Self.json(sink.render(.incident(Self.view(.triggered, description: String(repeating: "<", count: 20_000)))))
        #expect(((long["message"] as? String)?.count ?? 0) <= HipChatSink.maxMessage)
    }

    @Test("Discord: every part within its limit and the whole within 6000; the message id comes back; headers and 429 bodies pause")
    func discord() async throws {
        let sink = DiscordSink(http: ScriptedService())
        let huge = Self.view(.triggered, title: String(repeating: "T", count: 400), description: String(repeating: "é", count: 9000),
                             tags: Dictionary(uniqueKeysWithValues: (0..<40).map { ("k\($0)", String(repeating: "v", count: 2000)) }))
        let body = try Self.json(sink.render(.incident(huge)))
        let embed = try #require((body["embeds"] as? [[String: Any]])?.first)
        let title = try #require(embed["title"] as? String), description = try #require(embed["description"] as? String)
        let fields = try #require(embed["fields"] as? [[String: Any]])
        #expect(title.utf16.count <= 256 && description.utf16.count <= 4096 && fields.count <= 25)
        let total = title.utf16.count + description.utf16.count + 6
            + fields.reduce(0) { $0 + (($1["name"] as? String)?.utf16.count ?? 0) + (($1["value"] as? String)?.utf16.count ?? 0) }
        #expect(total <= 6000)
        #expect(!description.isEmpty, "the description gets what the total leaves")
        #expect(fields.allSatisfy { (($0["value"] as? String)?.utf16.count ?? 0) <= 1024 })

        let service = ScriptedService()
        let discord = DiscordSink(http: service)
        let address = SinkAddress(target: "", credential: .url(url: "https://discord.test/api/webhooks/1/tok?thread_id=9"))
        service.answer(200, #"{"id":"123456789","channel_id":"9"}"#, headers: ["X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "1.25"])
        let posted = await discord.post(discord.renderMessage(.incident(Self.view(.triggered))), to: address, context: Self.context)
        #expect(posted == .sent(reference: "123456789", holdFor: .milliseconds(1250)))
        #expect(service.requests.last?.url.absoluteString == "https://discord.test/api/webhooks/1/tok?thread_id=9&wait=true")
        service.answer(404, #"{"message":"Unknown Message","code":10008}"#)
        let edited = await discord.edit("123456789", with: discord.renderMessage(.incident(Self.view(.resolved))), at: address, context: Self.context)
        guard case .gone = edited else { Issue.record("\(edited)"); return }
        #expect(service.requests.last?.method == "PATCH")
        #expect(service.requests.last?.url.absoluteString == "https://discord.test/api/webhooks/1/tok/messages/123456789?thread_id=9")
        service.answer(429, #"{"message":"You are being rate limited.","retry_after":0.347,"global":false}"#, headers: ["Retry-After": "1"])
        let limited = await discord.post(discord.renderMessage(.incident(Self.view(.triggered))), to: address, context: Self.context)
        #expect(limited == .transient(code: "http_429", detail: limited.detail, retryAfter: .milliseconds(347)))
        service.answer(200, "not json")
        guard case .permanent(let code, _) = await discord.post(discord.renderMessage(.incident(Self.view(.triggered))), to: address, context: Self.context)
        else { Issue.record("a 200 without the message is not a success"); return }
        #expect(code == "invalid_response")
    }

    @Test("Teams: an Adaptive Card in a message; 200 and 202 succeed; retired connector URLs are refused", arguments: [
        ("https://contoso.webhook.office.com/webhookb2/x", true), ("https://outlook.office.com/webhook/x", true),
        ("https://prod-1.westus.logic.azure.com/workflows/x/triggers/manual/paths/invoke", false), ("https://office.com.evil.test/webhook", false),
    ])
    func teams(_ url: String, _ retired: Bool) async throws {
        #expect(TeamsSink.isRetiredConnector(URL(string: url)!) == retired)
        let service = ScriptedService()
        let sink = TeamsSink(http: service)
        service.answer(202)
        let result = await sink.post(sink.renderMessage(.incident(Self.view(.acknowledged))), to: SinkAddress(target: "", credential: .url(url: url)),
                                     context: Self.context)
        if retired {
            #expect(result == .permanent(code: "connector_retired", detail: TeamsSink.retiredMessage))
            #expect(service.requests.isEmpty)
        } else {
            #expect(result == .sent(reference: nil))
            let body = try Self.json(service.requests.first?.body)
            #expect(body["type"] as? String == "message")
            let attachment = try #require((body["attachments"] as? [[String: Any]])?.first)
            #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
            let card = try #require(attachment["content"] as? [String: Any])
            #expect(card["type"] as? String == "AdaptiveCard")
            #expect(((card["body"] as? [[String: Any]])?.first?["style"]) as? String == "warning")
        }
    }

    @Test("signed webhook: the HMAC of the raw body under the secret (RFC 4231 test case 2), the delivery id, attempt and timestamp")
    func signed() async throws {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        #expect(SignedWebhookSink.signature(Data("what do ya want for nothing?".utf8), secret: "Jefe")
            == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let service = ScriptedService()
        let sink = SignedWebhookSink(http: service)
        service.answer(200)
        service.answer(200)
        let message = sink.renderMessage(.incident(Self.view(.triggered)))
        #expect(await sink.post(message, to: SinkAddress(target: "", credential: .signed(url: "https://r.test/h", secret: "s3cret")), context: Self.context)
            == .sent(reference: nil))
        let request = try #require(service.requests.first)
        let body = try #require(request.body)
        #expect(request.headers["x-herald-signature"] == SignedWebhookSink.signature(body, secret: "s3cret"))
        #expect(request.headers["x-herald-delivery"] == Self.context.deliveryID)
        #expect(request.headers["x-herald-attempt"] == "2")
        #expect(request.headers["x-herald-timestamp"] == "1800000000")
        let decoded = try JSONDecoder.iso.decode(SignedWebhookSink.Body.self, from: body)
        #expect(decoded.schema == "herald.webhook.v1" && decoded.type == "incident" && decoded.incident?.version == 3)
        _ = await sink.post(message, to: SinkAddress(target: "", credential: .signed(url: "https://r.test/h", secret: nil)), context: Self.context)
        #expect(service.requests.last?.headers["x-herald-signature"] == nil, "unsigned without a secret")
    }

    @Test("transport failures: a timeout and a broken connection are retried, a refused address is not; no secret in the text")
    func transportFailures() async {
        let service = ScriptedService()
        let sink = MattermostSink(http: service)
        let address = SinkAddress(target: "", credential: .url(url: "https://mm.test/hooks/secret-key-123"))
        service.fail(.timeout)
        service.fail(.connection("could not reach https://mm.test/hooks/secret-key-123"))
        service.fail(.refused("mm.test resolves to 169.254.169.254"))
        service.answer(503, "busy", headers: ["Retry-After": "7"])
        let message = sink.renderMessage(.notification(NotificationView(title: "t", projectName: "p", link: URL(string: "https://h.test")!, at: .now)))
        guard case .transient("timeout", _, nil) = await sink.post(message, to: address, context: Self.context) else { Issue.record("timeout"); return }
        let broken = await sink.post(message, to: address, context: Self.context)
        guard case .transient("connection_error", let detail, nil) = broken else { Issue.record("\(broken)"); return }
        #expect(!detail.contains("secret-key-123"))
        guard case .permanent("address_refused", _) = await sink.post(message, to: address, context: Self.context) else { Issue.record("refused"); return }
        #expect(await sink.post(message, to: address, context: Self.context) == .transient(code: "http_503", detail: "HTTP 503: busy", retryAfter: .seconds(7)))
    }

    @Test("a hostile service's waits are bounded: Discord's retry_after and reset-after never trap and never exceed the maximum")
    func boundedWaits() async {
        let service = ScriptedService()
        let discord = DiscordSink(http: service)
        let address = SinkAddress(target: "", credential: .url(url: "https://discord.test/api/webhooks/1/tok"))
        service.answer(429, #"{"retry_after":1e300}"#)
        let result = await discord.post(discord.renderMessage(.incident(Self.view(.triggered))), to: address, context: Self.context)
        guard case .transient(_, _, let wait) = result else { Issue.record("\(result)"); return }
        #expect(wait == RetryAfter.maximum)
        service.answer(200, #"{"id":"1"}"#, headers: ["X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "9e18"])
        #expect(await discord.post(discord.renderMessage(.incident(Self.view(.triggered))), to: address, context: Self.context)
            == .sent(reference: "1", holdFor: RetryAfter.maximum))
        #expect(DiscordSink.seconds(.nan) == nil && DiscordSink.seconds(-1) == nil)
    }

    @Test("HipChat keeps within 10,000 characters without cutting an entity or the link; Teams within its bytes")
    func cutting() throws {
        let body = String(repeating: "<&\"'\n", count: 5_000)
        let message = try #require(try Self.json(HipChatSink(http: ScriptedService()).render(.incident(Self.view(.triggered, description: body))))["message"] as? String)
        #expect(message.count <= HipChatSink.maxMessage)
        #expect(message.hasSuffix("\">View in Herald</a>"), "the link survives the cut")
        let withoutEntities = message.replacingOccurrences(of: "&amp;", with: "").replacingOccurrences(of: "&lt;", with: "")
            .replacingOccurrences(of: "&gt;", with: "").replacingOccurrences(of: "&quot;", with: "").replacingOccurrences(of: "&#39;", with: "")
        #expect(!withoutEntities.contains("&"), "no entity was cut in half")
        let emoji = String(repeating: "🔥", count: 20_000)
        let card = TeamsSink(http: ScriptedService()).render(.incident(Self.view(.triggered, title: emoji, description: emoji,
                                                                                  tags: ["k": emoji])))
        #expect(card.count < 24_000, "\(card.count) bytes")
    }

    @Test("errors keep no secret: redacted before they are cut, in the URL's pieces and JSON's escaped form")
    func redaction() {
        let url = "https://prod.logic.test/workflows/abc/triggers/manual/paths/invoke?api-version=2016&sig=s1gS3cretValue"
        let echoed = #"{"error":"bad sig s1gS3cretValue at https:\/\/prod.logic.test\/workflows\/abc\/triggers\/manual\/paths\/invoke"}"#
        let text = SinkHTTP.describe(OutboundResponse(status: 401, body: Data((String(repeating: "x", count: 190) + echoed).utf8)), secrets: [url])
        #expect(!text.contains("s1gS3cret") && !text.contains("workflows/abc") && !text.contains(#"workflows\/abc"#), "\(text)")
        #expect(text.hasPrefix("HTTP 401: xxx"))
    }

    @Test("credentials are sealed as JSON and come back the same", arguments: [
        SinkCredential.none, .token(token: "xoxb-1"), .url(url: "https://h.test/x"), .room(url: "https://h.test/r", authToken: "t"),
        .signed(url: "https://h.test/s", secret: nil), .signed(url: "https://h.test/s", secret: "k"),
    ])
    func credentialCoding(_ credential: SinkCredential) throws {
        let data = try JSONEncoder().encode(credential)
        #expect(try JSONDecoder().decode(SinkCredential.self, from: data) == credential)
        #expect(credential.secrets.allSatisfy { credential.identity.contains($0) })
    }
}

extension SinkResult {
    var detail: String {
        switch self {
        case .sent: ""
        case .gone(_, let d), .permanent(_, let d), .transient(_, let d, _): d
        }
    }
}

extension JSONDecoder {
    static var iso: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
