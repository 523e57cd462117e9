import Outbound
import Foundation
import HeraldCore
import HeraldSinks
import SlackAPI
import Testing

/// A Slack that answers each request from a script, keyed by method, and keeps what it was sent.
final class ScriptedSlack: OutboundTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [String: [OutboundResponse]] = [:]
    private var sent: [OutboundRequest] = []

    func answer(_ method: String, status: Int = 200, headers: [String: String] = [:], _ body: String) {
        lock.withLock { answers[method, default: []].append(OutboundResponse(status: status, headers: headers, body: Data(body.utf8))) }
    }

    var requests: [OutboundRequest] { lock.withLock { sent } }

    func send(_ request: OutboundRequest, timeout: Duration) async throws -> OutboundResponse {
        let method = request.url.lastPathComponent
        return try lock.withLock {
            sent.append(request)
            guard let answer = answers[method]?.first else { throw OutboundError.connection("no answer scripted for \(method)") }
            answers[method]?.removeFirst()
            return answer
        }
    }
}

@Suite("Sink registry and the Slack sinks")
struct SinkTests {
    static let context = SendContext(deliveryID: "d-1", attempt: 1, at: Date(timeIntervalSince1970: 1_700_000_000))
    static let view = IncidentView(id: "i-1", key: "k", title: "Disk full", status: .acknowledged, projectName: "Shop",
                                   link: URL(string: "https://herald.example/incidents/i-1")!, openedAt: Date(timeIntervalSince1970: 0))

    func bot(_ slack: ScriptedSlack) -> SlackBotSink {
        SlackBotSink(client: SlackClient(baseURL: URL(string: "https://slack.test/api")!, transport: slack))
    }

    @Test("the registry finds sinks by type, replaces a type on a second register, and knows which can edit and thread")
    func registry() {
        let slack = ScriptedSlack()
        let client = SlackClient(baseURL: URL(string: "https://slack.test/api")!, transport: slack)
        var registry = SinkRegistry([SlackBotSink(client: client), SlackWebhookSink(client: client)])
        #expect(registry.types == [.slack, .slackWebhook])
        #expect(registry["slack"]?.type == .slack)
        #expect(registry[SinkType("slack_webhook")]?.type == .slackWebhook)
        #expect(registry["hipchat"] == nil)
        #expect(registry.canEdit("slack"))
        #expect(!registry.canEdit("slack_webhook"))
        #expect(!registry.canEdit("hipchat"), "an unknown type is not editable")
        #expect(registry.canThread("slack") && !registry.canThread("slack_webhook") && !registry.canThread("hipchat"))
        let other = SlackClient(baseURL: URL(string: "https://other.test/api")!, transport: slack)
        registry.register(SlackBotSink(client: other))
        #expect(registry.types.count == 2)
        #expect((registry["slack"] as? SlackBotSink)?.client.baseURL.host == "other.test")
    }

    @Test("a payload rendered by one sink is refused by another, not sent")
    func renderedPayloadBelongsToItsSink() async {
        let slack = ScriptedSlack()
        let client = SlackClient(baseURL: URL(string: "https://slack.test/api")!, transport: slack)
        let message = SlackBotSink(client: client).renderMessage(.incident(Self.view))
        #expect(message.sink == .slack)
        struct Other: Sink {
            var type: SinkType { SinkType("other") }
            var capabilities: SinkCapabilities { SinkCapabilities(canEdit: false) }
            func render(_ content: MessageContent) -> Int { 1 }
            func post(_ payload: Int, to address: SinkAddress, context: SendContext) async -> SinkResult { .sent(reference: "x") }
        }
        let result = await Other().post(message, to: SinkAddress(target: "#a", credential: .token(token: "")), context: Self.context)
        guard case .permanent(let code, _) = result else { Issue.record("sent: \(result)"); return }
        #expect(code == "render_mismatch")
        #expect(slack.requests.isEmpty)
    }

    @Test("Slack bot: a post answers with a channel-and-ts reference that an edit reads back; the token and channel are sent")
    func botReference() async throws {
        let slack = ScriptedSlack()
        slack.answer("chat.postMessage", #"{"ok":true,"channel":"C042","ts":"1700000000.000100","message":{}}"#)
        slack.answer("chat.update", #"{"ok":true,"channel":"C042","ts":"1700000000.000100","text":""}"#)
        let sink = bot(slack)
        let message = sink.renderMessage(.incident(Self.view))
        let address = SinkAddress(target: "#alerts", credential: .token(token: "xoxb-secret"))
        let posted = await sink.post(message, to: address, context: Self.context)
        #expect(posted == .sent(reference: #"{"channel":"C042","ts":"1700000000.000100"}"#))
        guard case .sent(let reference?, _) = posted else { return }
        #expect(sink.location(of: reference) == MessageLocation(channel: "C042", message: "1700000000.000100"))
        #expect(await sink.edit(reference, with: message, at: address, context: Self.context) == .sent(reference: reference))
        let requests = slack.requests
        #expect(requests.map(\.url.lastPathComponent) == ["chat.postMessage", "chat.update"])
        #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer xoxb-secret" })
        let update = try #require(requests.last?.body.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] })
        #expect(update["channel"] as? String == "C042")
        #expect(update["ts"] as? String == "1700000000.000100")
    }

    @Test("Slack bot: Slack's answers sorted for the core", arguments: [
        // (method, status, headers, body, editing, expected)
        ("chat.update", 200, [:], #"{"ok":false,"error":"message_not_found"}"#, true, "gone:message_not_found"),
        ("chat.update", 200, [:], #"{"ok":false,"error":"cant_update_message"}"#, true, "gone:cant_update_message"),
        ("chat.postMessage", 200, [:], #"{"ok":false,"error":"channel_not_found"}"#, false, "permanent:channel_not_found"),
        ("chat.postMessage", 200, [:], #"{"ok":false,"error":"invalid_auth"}"#, false, "permanent:invalid_auth"),
        ("chat.postMessage", 429, ["Retry-After": "7"], "", false, "transient:ratelimited:7"),
        ("chat.postMessage", 503, [:], "busy", false, "transient:http_503:-"),
        ("chat.postMessage", 404, [:], "nope", false, "permanent:http_404"),
    ] as [(String, Int, [String: String], String, Bool, String)])
    func botErrors(_ method: String, _ status: Int, _ headers: [String: String], _ body: String, _ editing: Bool, _ expected: String) async {
        let slack = ScriptedSlack()
        slack.answer(method, status: status, headers: headers, body)
        let sink = bot(slack)
        let message = sink.renderMessage(.incident(Self.view))
        let address = SinkAddress(target: "#alerts", credential: .token(token: "xoxb-secret"))
        let result = editing
            ? await sink.edit(SlackMessageReference(channel: "C1", ts: "1.2").encoded, with: message, at: address, context: Self.context)
            : await sink.post(message, to: address, context: Self.context)
        let summary = switch result {
        case .sent: "sent"
        case .gone(let code, _): "gone:\(code)"
        case .permanent(let code, _): "permanent:\(code)"
        case .transient(let code, _, let after): "transient:\(code):\(after.map { "\($0.components.seconds)" } ?? "-")"
        }
        #expect(summary == expected)
    }

    @Test("Slack bot: an unreadable reference is a vanished message (re-posted), never a crash or a call")
    func unreadableReference() async {
        let slack = ScriptedSlack()
        let sink = bot(slack)
        for reference in ["", "1.2", #"{"channel":"","ts":"1"}"#, "{", #"{"ts":"1.2"}"#] {
            let result = await sink.edit(reference, with: sink.renderMessage(.incident(Self.view)), at: SinkAddress(target: "#a", credential: .token(token: "t")), context: Self.context)
            guard case .gone = result else { Issue.record("\(reference): \(result)"); continue }
        }
        #expect(slack.requests.isEmpty)
    }

    @Test("Slack webhook: posts the Block Kit message to its URL, cannot edit, and keeps no reference")
    func webhook() async throws {
        let slack = ScriptedSlack()
        slack.answer("T0-B0-secret", "ok")
        let sink = SlackWebhookSink(client: SlackClient(baseURL: URL(string: "https://slack.test/api")!, transport: slack))
        #expect(!sink.capabilities.canEdit)
        let message = sink.renderMessage(.incident(Self.view))
        #expect(await sink.post(message, to: SinkAddress(target: "", credential: .url(url: "https://hooks.slack.test/services/T0-B0-secret")), context: Self.context) == .sent(reference: nil))
        let request = try #require(slack.requests.first)
        #expect(request.url.absoluteString == "https://hooks.slack.test/services/T0-B0-secret")
        let body = try #require(request.body.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] })
        #expect(body["channel"] == nil, "an empty target posts to the webhook's own channel")
        #expect((body["text"] as? String)?.contains("Disk full") == true)
        #expect(await sink.post(message, to: SinkAddress(target: "", credential: .url(url: "not a url")), context: Self.context) ==
            .permanent(code: "invalid_webhook_url", detail: "the webhook URL is not an http(s) URL"))
        #expect(slack.requests.count == 1)
    }
}
