import Outbound
import Foundation
import SlackAPI
import Testing

/// Incoming webhooks answer in plain text: `ok`, or an error word with a 4xx status.
@Suite struct WebhookTests {
    static let hook = URL(string: "https://hooks.slack.example.com/services/T000/B000/XXXXSECRETXXXX")!

    func send(_ reply: RecordingTransport.Reply, message: SlackMessage = SlackMessage(channel: "", text: "Deploy done"))
        async -> (SlackError?, RecordingTransport)
    {
        let transport = RecordingTransport([reply])
        let client = SlackClient(baseURL: URL(string: "https://slack.example.com/api")!, transport: transport)
        do {
            try await client.postWebhook(url: Self.hook, message)
            return (nil, transport)
        } catch {
            return (error, transport)
        }
    }

    static func answer(_ status: Int, _ body: String, headers: [String: String] = [:]) -> RecordingTransport.Reply {
        .response(OutboundResponse(status: status, headers: headers, body: Data(body.utf8)))
    }

    @Test func postsJSONToTheHookURLWithoutAuthorization() async throws {
        let message = SlackMessage(channel: "", text: "Deploy done", blocks: [.section(SectionBlock(text: .mrkdwn("*done*")))])

        let (error, transport) = await send(Self.answer(200, "ok"), message: message)

        #expect(error == nil)
        let request = try #require(await transport.requests.first)
        #expect(request.method == "POST")
        #expect(request.url == Self.hook)
        #expect(request.headers["authorization"] == nil)
        #expect(request.headers["content-type"] == "application/json; charset=utf-8")
        let body = try JSONValue(#require(request.body))
        #expect(body["channel"] == nil)
        #expect(body["text"] == .string("Deploy done"))
        #expect(body["blocks"] != nil)
    }

    @Test func namedChannelIsSent() async throws {
        let (_, transport) = await send(Self.answer(200, "ok"), message: SlackMessage(channel: "#ops", text: "x"))
        let body = try JSONValue(#require(await transport.requests.first?.body))
        #expect(body["channel"] == .string("#ops"))
    }

    static let errorWords: [(Int, String, SlackErrorCode)] = [
        (404, "no_service", .noService), (400, "invalid_payload", .invalidPayload),
        (404, "channel_not_found", .channelNotFound), (410, "channel_is_archived", .channelIsArchived),
        (403, "action_prohibited", .actionProhibited),
        (403, "posting_to_general_channel_denied", .postingToGeneralChannelDenied),
        (403, "invalid_token", .invalidToken), (404, "no_active_hooks", .noActiveHooks),
        (400, "user_not_found", .userNotFound), (400, "no_text", .noText),
    ]

    @Test(arguments: errorWords)
    func errorWordsBecomeAPIErrors(status: Int, body: String, code: SlackErrorCode) async {
        let (error, _) = await send(Self.answer(status, body + "\n"))
        #expect(error == .api(code, method: "webhook"))
        #expect(error?.isPermanent == true)
    }

    @Test func noServiceIsPermanentPerSpec() async {
        let (error, _) = await send(Self.answer(404, "no_service"))
        #expect(error?.code == "no_service")
        #expect(error?.isPermanent == true)
    }

    @Test func serverErrorStaysTransientEvenWithAWord() async {
        let (error, _) = await send(Self.answer(500, "rollup_error"))
        #expect(error == .http(status: 500, method: "webhook", body: "rollup_error"))
        #expect(error?.isPermanent == false)
    }

    @Test func prosePageIsHTTPError() async {
        let (error, _) = await send(Self.answer(400, "Bad Request: the body was not JSON"))
        #expect(error == .http(status: 400, method: "webhook", body: "Bad Request: the body was not JSON"))
        #expect(error?.isPermanent == true)
    }

    @Test func rateLimited() async {
        let (error, _) = await send(Self.answer(429, "rate_limited", headers: ["retry-after": "4"]))
        #expect(error == .rateLimited(retryAfter: .seconds(4), method: "webhook"))
        #expect(error?.isPermanent == false)
    }

    @Test func transportFailuresNeverShowTheHookURL() async {
        let (error, _) = await send(.failure(.connection("could not reach \(Self.hook.absoluteString)")))
        #expect(error?.isPermanent == false)
        #expect(!"\(String(describing: error))".contains("XXXXSECRETXXXX"))
        let (timeout, _) = await send(.failure(.timeout))
        #expect(timeout == .timeout(method: "webhook"))
    }
}
