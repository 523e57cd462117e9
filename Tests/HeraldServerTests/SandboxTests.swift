import Foundation
@testable import HeraldServer
import SlackAPI
@testable import SlackSandbox
import Testing
import Vapor

/// The sandbox answers like Slack: the real Swift client against it, in process.
@Suite("Slack sandbox fidelity")
struct SandboxTests {
    let workspace = SandboxWorkspace()
    var client: SlackClient {
        SlackClient(baseURL: URL(string: "http://sandbox.local/sandbox/api")!,
                    transport: SandboxTransport(handler: SandboxHTTPHandler(workspace: workspace)))
    }

    @Test("post, then update: the channel holds the latest version, marked edited")
    func postAndUpdate() async throws {
        let token = await workspace.issueBotToken()
        let posted = try await client.postMessage(token: token, SlackMessage(channel: "#alerts", text: "first",
            blocks: [.header(HeaderBlock(text: .plain("Disk full"))), .section(SectionBlock(fields: [.mrkdwn("*Severity*\ncritical")]))],
            attachments: [Attachment(color: "#d32f2f", blocks: [.context(ContextBlock(elements: [.plain("ctx")]))])]))
        #expect(posted.channel.hasPrefix("C0"))
        let updated = try await client.updateMessage(token: token, channel: posted.channel, ts: posted.ts,
                                                     SlackMessage(channel: "", text: "second", attachments: [Attachment(color: "#2e7d32")]))
        #expect(updated.ts == posted.ts)
        let messages = await workspace.messages(in: "#alerts")
        #expect(messages.count == 1)
        #expect(messages[0].text == "second")
        #expect(messages[0].edits == 1)
        #expect(messages[0].attachments?.array?.first?["color"]?.string == "#2e7d32")
        // Blocks not mentioned in the update are kept, as in Slack.
        #expect(messages[0].blocks?.array?.count == 2)
    }

    @Test("the sandbox page shows mrkdwn as Slack does", arguments: [
        ("/var is at 98% &amp; rising", "/var is at 98% &amp; rising"),
        ("&lt;script&gt;", "&lt;script&gt;"),
        ("Opened <!date^1714564800^{date_short_pretty} {time}|2024-05-01T12:00:00Z>", "Opened <time>May 1, 2024 at 12:00 UTC</time>"),
        ("<https://herald.example.com/a?b=1&amp;c=2|View in Herald>", "<a href=\"https://herald.example.com/a?b=1&amp;c=2\">View in Herald</a>"),
        ("<!here> *down*", "<b>@here</b> <b>down</b>"),
        ("<#C0123|alerts> and <@U0DEMO>", "#alerts and @U0DEMO"),
        ("a &amp;amp; b", "a &amp;amp; b"),
    ])
    func pageMrkdwn(_ mrkdwn: String, _ html: String) {
        // The HTML shows each character once: `&amp;` in mrkdwn is an `&`, HTML-escaped again for the page.
        #expect(SandboxPage.mrkdwn(mrkdwn) == html)
    }

    @Test("Slack's errors", arguments: [
        ("#nope", SlackErrorCode.channelNotFound), ("#general", .notInChannel), ("#private-hr", .channelNotFound),
        ("#old-alerts", .isArchived),
    ])
    func postErrors(_ channel: String, _ code: SlackErrorCode) async throws {
        let token = await workspace.issueBotToken()
        await #expect(throws: SlackError.api(code, method: "chat.postMessage")) {
            try await client.postMessage(token: token, SlackMessage(channel: channel, text: "x"))
        }
    }

    @Test("tokens: missing, unknown and revoked")
    func tokens() async throws {
        await #expect(throws: SlackError.api(.invalidAuth, method: "auth.test")) { try await client.authTest(token: "xoxb-nope") }
        let token = await workspace.issueBotToken()
        let me = try await client.authTest(token: token)
        #expect(me.teamID == SandboxWorkspace.teamID)
        #expect(try await client.authRevoke(token: token))
        await #expect(throws: SlackError.api(.tokenRevoked, method: "auth.test")) { try await client.authTest(token: token) }
    }

    @Test("updates: message gone, wrong author, channel names refused")
    func updateErrors() async throws {
        let token = await workspace.issueBotToken()
        let posted = try await client.postMessage(token: token, SlackMessage(channel: "#ops", text: "x"))
        #expect(await workspace.deleteMessage(channel: posted.channel, ts: posted.ts))
        await #expect(throws: SlackError.api(.messageNotFound, method: "chat.update")) {
            try await client.updateMessage(token: token, channel: posted.channel, ts: posted.ts, SlackMessage(channel: "", text: "y"))
        }
        await #expect(throws: SlackError.api(.channelNotFound, method: "chat.update")) {
            try await client.updateMessage(token: token, channel: "#ops", ts: posted.ts, SlackMessage(channel: "", text: "y"))
        }
        await #expect(throws: SlackError.api(.noText, method: "chat.postMessage")) {
            try await client.postMessage(token: token, SlackMessage(channel: "#ops", text: ""))
        }
    }

    @Test("conversations.list pages through public channels and the private ones the bot is in")
    func list() async throws {
        let token = await workspace.issueBotToken()
        for i in 0..<25 { await workspace.addChannel(name: "load-\(i)") }
        let all = try await client.conversationsList(token: token, pageSize: 4)
        let names = all.map(\.name)
        #expect(names.contains("secret-ops"))
        #expect(!names.contains("private-hr"))
        #expect(!names.contains("old-alerts"))
        #expect(names.count == Set(names).count)
        #expect(names.count == 5 + 25)
        #expect(all.first { $0.name == "secret-ops" }?.isPrivate == true)
        let withArchived = try await client.conversationsList(token: token, excludeArchived: false, pageSize: 1000)
        #expect(withArchived.contains { $0.name == "old-alerts" && $0.isArchived })
    }

    @Test("users by id and by email")
    func users() async throws {
        let token = await workspace.issueBotToken()
        let alice = try await client.lookupByEmail(token: token, email: "alice@example.com")
        #expect(alice.id == "U0ALICE")
        let info = try await client.usersInfo(token: token, user: alice.id)
        #expect(info.email == "alice@example.com")
        await #expect(throws: SlackError.api(.usersNotFound, method: "users.lookupByEmail")) {
            try await client.lookupByEmail(token: token, email: "nobody@example.com")
        }
        await #expect(throws: SlackError.api(.userNotFound, method: "users.info")) { try await client.usersInfo(token: token, user: "U0NOPE") }
    }

    @Test("views.open needs a fresh trigger id")
    func views() async throws {
        let token = await workspace.issueBotToken()
        let view = ModalView(callbackID: "create_incident", title: .plain("Create incident"), submit: .plain("Create"),
                             blocks: [.input(InputBlock(label: .plain("Title"), element: .plainTextInput(PlainTextInputElement(actionID: "title")), blockID: "title"))])
        await #expect(throws: SlackError.api(.invalidTriggerID, method: "views.open")) {
            try await client.openView(token: token, triggerID: "123.456.abc", view: view)
        }
        let trigger = await workspace.issueTriggerID()
        let id = try await client.openView(token: token, triggerID: trigger, view: view)
        #expect(id.hasPrefix("V"))
        #expect(await workspace.views().first?["callback_id"]?.string == "create_incident")
    }

    @Test("oauth.v2.access exchanges a code once for a working bot token")
    func oauth() async throws {
        let code = await workspace.issueOAuthCode(redirectURI: "http://127.0.0.1/cb")
        let access = try await client.oauthV2Access(clientID: workspace.clientID, clientSecret: "sandbox-client-secret",
                                                    code: code, redirectURI: "http://127.0.0.1/cb")
        #expect(access.teamID == SandboxWorkspace.teamID)
        #expect(try await client.authTest(token: access.accessToken).botID == SandboxWorkspace.botID)
        await #expect(throws: SlackError.api(.codeAlreadyUsed, method: "oauth.v2.access")) {
            try await client.oauthV2Access(clientID: workspace.clientID, clientSecret: "sandbox-client-secret", code: code, redirectURI: "http://127.0.0.1/cb")
        }
        await #expect(throws: SlackError.api(.badClientSecret, method: "oauth.v2.access")) {
            try await client.oauthV2Access(clientID: workspace.clientID, clientSecret: "wrong", code: code, redirectURI: nil)
        }
    }

    @Test("incoming webhooks post into their channel; unknown ones are no_service")
    func webhooks() async throws {
        let path = try #require(await workspace.createWebhook(channel: "#ops"))
        try await client.postWebhook(url: URL(string: "http://sandbox.local/sandbox/services/\(path)")!, SlackMessage(channel: "", text: "hello"))
        #expect(await workspace.messages(in: "#ops").map(\.text) == ["hello"])
        await #expect(throws: SlackError.api(.noService, method: "webhook")) {
            try await client.postWebhook(url: URL(string: "http://sandbox.local/sandbox/services/T0/B0/nope")!, SlackMessage(channel: "", text: "x"))
        }
    }

    @Test("faults: 429 with Retry-After, 500, and error codes, each once")
    func faults() async throws {
        let token = await workspace.issueBotToken()
        await workspace.injectFault(SandboxFault(kind: .rateLimited, method: "chat.postMessage", retryAfter: 2))
        await workspace.injectFault(SandboxFault(kind: .http, method: "chat.postMessage", status: 503))
        let message = SlackMessage(channel: "#alerts", text: "x")
        await #expect(throws: SlackError.rateLimited(retryAfter: .seconds(2), method: "chat.postMessage")) { try await client.postMessage(token: token, message) }
        do {
            _ = try await client.postMessage(token: token, message)
            Issue.record("expected a 503")
        } catch {
            #expect(!error.isPermanent)
            #expect(error.code == "http_503")
        }
        _ = try await client.postMessage(token: token, message)
        #expect(await workspace.messages(in: "#alerts").count == 1)
    }

    @Test("payloads over Slack's limits are refused like Slack does; clamped ones pass")
    func limits() async throws {
        let token = await workspace.issueBotToken()
        let big = SlackMessage(channel: "#alerts", text: "x", blocks: (0..<60).map { _ in .divider(DividerBlock()) })
        await #expect(throws: SlackError.api(.invalidBlocks, method: "chat.postMessage")) { try await client.postMessage(token: token, big) }
        _ = try await client.postMessage(token: token, big.clamped())
        #expect(await workspace.messages(in: "#alerts").first?.blocks?.array?.count == 50)
    }
}
