import Outbound
import Foundation
import SlackAPI
import Testing

/// How Slack's failures become `SlackError`s, and which of them delivery may retry (SPEC §5).
@Suite struct SlackClientErrorTests {
    static let token = "xoxb-333-444-fixture"

    func post(_ reply: RecordingTransport.Reply) async -> SlackError? {
        let transport = RecordingTransport([reply], secrets: [Self.token])
        let client = SlackClient(baseURL: URL(string: "https://slack.example.com/api")!, transport: transport)
        do {
            _ = try await client.postMessage(token: Self.token, SlackMessage(channel: "C1", text: "hi"))
            return nil
        } catch {
            return error
        }
    }

    static func answer(_ status: Int, _ body: String, headers: [String: String] = [:]) -> RecordingTransport.Reply {
        .response(OutboundResponse(status: status, headers: headers, body: Data(body.utf8)))
    }

    static let okFalseCases: [(String, SlackErrorCode)] = [
        ("invalid_auth", .invalidAuth), ("not_authed", .notAuthed), ("token_revoked", .tokenRevoked),
        ("account_inactive", .accountInactive), ("channel_not_found", .channelNotFound),
        ("not_in_channel", .notInChannel), ("is_archived", .isArchived), ("msg_too_long", .msgTooLong),
        ("invalid_blocks", .invalidBlocks), ("missing_scope", .missingScope), ("internal_error", .internalError),
        ("whatever_slack_adds_next", .unknown("whatever_slack_adds_next")),
    ]

    @Test(arguments: okFalseCases)
    func okFalseBecomesAPIError(raw: String, code: SlackErrorCode) async {
        let error = await post(Self.answer(200, #"{"ok":false,"error":"\#(raw)"}"#))
        #expect(error == .api(code, method: "chat.postMessage"))
        #expect(error?.code == raw)
    }

    @Test func unknownCodeKeepsSlacksString() async {
        let error = await post(Self.answer(200, #"{"ok":false,"error":"whatever"}"#))
        guard case .api(.unknown(let raw), _) = error else {
            Issue.record("expected .api(.unknown), got \(String(describing: error))")
            return
        }
        #expect(raw == "whatever")
        #expect(error?.isPermanent == true)
    }

    @Test func recordedInvalidBlocksAnswer() async throws {
        let error = await post(.response(OutboundResponse(status: 200, body: try Fixture.data("error.invalid_blocks"))))
        #expect(error == .api(.invalidBlocks, method: "chat.postMessage"))
        #expect(error?.isPermanent == true)
    }

    @Test func rateLimitedWithRetryAfter() async throws {
        let error = try await post(
            .response(
                OutboundResponse(status: 429, headers: ["Retry-After": "2"], body: Fixture.data("error.ratelimited"))))
        #expect(error == .rateLimited(retryAfter: .seconds(2), method: "chat.postMessage"))
        #expect(error?.retryAfter == .seconds(2))
        #expect(error?.isPermanent == false)
        #expect(error?.code == "ratelimited")
    }

    static let retryAfterCases: [(String, Duration?)] = [
        ("", nil), ("soon", nil), ("-3", nil), ("0", .seconds(0)), (" 30 ", .seconds(30)), ("1.5", .milliseconds(1500)),
    ]

    @Test(arguments: retryAfterCases)
    func retryAfterHeaderForms(header: String, expected: Duration?) async {
        let headers = header.isEmpty ? [:] : ["retry-after": header]
        let error = await post(Self.answer(429, "", headers: headers))
        #expect(error == .rateLimited(retryAfter: expected, method: "chat.postMessage"))
    }

    static let httpCases: [(status: Int, permanent: Bool)] = [
        (500, false), (502, false), (503, false), (504, false), (400, true), (401, true), (403, true), (404, true),
        (410, true),
    ]

    @Test(arguments: httpCases)
    func otherHTTPStatuses(status: Int, permanent: Bool) async {
        let error = await post(Self.answer(status, "<html>upstream trouble</html>"))
        #expect(error == .http(status: status, method: "chat.postMessage", body: "<html>upstream trouble</html>"))
        #expect(error?.isPermanent == permanent)
        #expect(error?.code == "http_\(status)")
    }

    @Test func httpBodyIsCutTo500Characters() async {
        let error = await post(Self.answer(502, String(repeating: "é", count: 2000)))
        guard case .http(_, _, let body) = error else {
            Issue.record("expected .http, got \(String(describing: error))")
            return
        }
        #expect(body.count == 500)
    }

    @Test func timeoutIsTransient() async {
        let error = await post(.failure(.timeout))
        #expect(error == .timeout(method: "chat.postMessage"))
        #expect(error?.isPermanent == false)
        #expect(error?.code == "timeout")
    }

    @Test func connectionErrorIsTransient() async {
        let error = await post(.failure(.connection("connection refused")))
        #expect(error == .connection("connection refused", method: "chat.postMessage"))
        #expect(error?.isPermanent == false)
        #expect(error?.code == "connection_error")
    }

    @Test(arguments: ["not json", "", "[]", #"{"ok":true}"#, #"{"ok":true,"channel":"C1"}"#])
    func undecodableAnswerIsInvalidResponse(body: String) async {
        let error = await post(Self.answer(200, body))
        guard case .invalidResponse(_, let method) = error else {
            Issue.record("expected .invalidResponse, got \(String(describing: error))")
            return
        }
        #expect(method == "chat.postMessage")
        #expect(error?.code == "invalid_response")
        #expect(error?.isPermanent == true)
    }

    @Test func errorsNeverCarryTheToken() async {
        let replies: [RecordingTransport.Reply] = [
            .failure(.connection("TLS failed for Bearer \(Self.token)")),
            Self.answer(500, "echo: \(Self.token) and xoxp-999-other"),
            Self.answer(200, "garbage \(Self.token)"),
        ]
        for reply in replies {
            let error = await post(reply)
            let text = "\(String(describing: error)) \(String(reflecting: error))"
            #expect(!text.contains(Self.token))
            #expect(!text.contains("xoxp-999"))
            #expect(text.contains("[redacted]"))
        }
    }
}

/// `SlackError.isPermanent` for SPEC §5's list, and the other classifications.
@Suite struct SlackErrorClassificationTests {
    static let permanent: [SlackError] = [
        .api(.invalidAuth, method: "chat.postMessage"),
        .api(.tokenRevoked, method: "chat.postMessage"),
        .api(.accountInactive, method: "chat.postMessage"),
        .api(.channelNotFound, method: "chat.postMessage"),
        .api(.notInChannel, method: "chat.postMessage"),
        .api(.isArchived, method: "chat.update"),
        .api(.noService, method: "webhook"),
        .api(.invalidBlocks, method: "chat.postMessage"),
        .api(.unknown("something_new"), method: "chat.postMessage"),
        .http(status: 404, method: "chat.postMessage", body: ""),
        .http(status: 400, method: "webhook", body: ""),
        .invalidResponse("bad", method: "auth.test"),
    ]

    static let transient: [SlackError] = [
        .timeout(method: "chat.postMessage"),
        .connection("reset", method: "chat.postMessage"),
        .rateLimited(retryAfter: .seconds(30), method: "chat.postMessage"),
        .rateLimited(retryAfter: nil, method: "webhook"),
        .http(status: 500, method: "chat.postMessage", body: ""),
        .http(status: 503, method: "webhook", body: ""),
        .api(.ratelimited, method: "chat.postMessage"),
        .api(.messageRateLimited, method: "chat.postMessage"),
        .api(.internalError, method: "chat.postMessage"),
        .api(.fatalError, method: "chat.postMessage"),
        .api(.serviceUnavailable, method: "chat.postMessage"),
        .api(.requestTimeout, method: "chat.postMessage"),
    ]

    @Test(arguments: permanent)
    func permanentErrors(error: SlackError) {
        #expect(error.isPermanent)
    }

    @Test(arguments: transient)
    func transientErrors(error: SlackError) {
        #expect(!error.isPermanent)
    }

    @Test func codesForStorage() {
        #expect(SlackError.api(.notInChannel, method: "m").code == "not_in_channel")
        #expect(SlackError.rateLimited(retryAfter: nil, method: "m").code == "ratelimited")
        #expect(SlackError.http(status: 502, method: "m", body: "").code == "http_502")
        #expect(SlackError.timeout(method: "m").code == "timeout")
        #expect(SlackError.connection("x", method: "m").code == "connection_error")
        #expect(SlackError.invalidResponse("x", method: "m").code == "invalid_response")
    }

    @Test func descriptionsNameMethodAndCode() {
        #expect(
            "\(SlackError.api(.channelNotFound, method: "chat.postMessage"))"
                == "Slack chat.postMessage failed: channel_not_found")
        #expect(
            "\(SlackError.rateLimited(retryAfter: .seconds(2), method: "chat.update"))"
                == "Slack chat.update was rate limited; retry after 2 s")
        #expect(
            "\(SlackError.rateLimited(retryAfter: .milliseconds(1500), method: "chat.update"))"
                == "Slack chat.update was rate limited; retry after 1.5 s")
        #expect(SlackError.timeout(method: "auth.test").method == "auth.test")
    }
}
