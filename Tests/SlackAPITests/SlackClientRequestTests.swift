import Outbound
import Foundation
import SlackAPI
import Testing

/// Each Web API method: the request it sends (URL, verb, headers, body) and how it reads Slack's recorded answer.
@Suite struct SlackClientRequestTests {
    static let token = "xoxb-111-222-fixture"
    static let base = URL(string: "https://slack.example.com/api")!

    func client(_ transport: RecordingTransport, base: URL = Self.base) -> SlackClient {
        SlackClient(baseURL: base, transport: transport, timeout: .seconds(7))
    }

    func formFields(_ request: OutboundRequest) -> [String: String] {
        let body = String(decoding: request.body ?? Data(), as: UTF8.self)
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let decode = { (s: String) in s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding! }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    func expectBearer(_ request: OutboundRequest, method: String, contentType: String) {
        #expect(request.method == "POST")
        #expect(request.url.absoluteString == "https://slack.example.com/api/\(method)")
        #expect(request.headers["authorization"] == "Bearer \(Self.token)")
        #expect(request.headers["content-type"] == contentType)
    }

    static let json = "application/json; charset=utf-8"
    static let form = "application/x-www-form-urlencoded"

    @Test func postMessageSendsJSONAndReadsChannelAndTS() async throws {
        // setup
        let transport = try RecordingTransport(fixtures: ["chat.postMessage"], secrets: [Self.token])
        let message = SlackMessage(
            channel: "C123ABC456", text: "Incident triggered", blocks: [.divider(DividerBlock())],
            attachments: [Attachment(color: "#E01E5A")], threadTS: "1.2", unfurlLinks: false)

        // MUT
        let posted = try await client(transport).postMessage(token: Self.token, message)

        // validate
        #expect(posted == PostedMessage(channel: "C123ABC456", ts: "1503435956.000247"))
        let request = try #require(await transport.requests.first)
        expectBearer(request, method: "chat.postMessage", contentType: Self.json)
        let body = try JSONValue(#require(request.body))
        #expect(body["channel"] == .string("C123ABC456"))
        #expect(body["text"] == .string("Incident triggered"))
        #expect(body["thread_ts"] == .string("1.2"))
        #expect(body["unfurl_links"] == .bool(false))
        #expect(body["blocks"] == .array([.object(["type": .string("divider")])]))
        #expect(body["attachments"] == .array([.object(["color": .string("#E01E5A")])]))
        #expect(await transport.timeouts == [.seconds(7)])
    }

    @Test(arguments: ["https://slack.example.com/api", "https://slack.example.com/api/", "https://slack.example.com/api//"])
    func baseURLWithOrWithoutTrailingSlash(base: String) async throws {
        let transport = try RecordingTransport(fixtures: ["auth.test"], secrets: [Self.token])
        _ = try await client(transport, base: URL(string: base)!).authTest(token: Self.token)
        let request = try #require(await transport.requests.first)
        #expect(request.url.absoluteString == "https://slack.example.com/api/auth.test")
    }

    @Test func updateMessageUsesTheChannelArgument() async throws {
        let transport = try RecordingTransport(fixtures: ["chat.update"], secrets: [Self.token])
        let message = SlackMessage(channel: "IGNORED", text: "Incident resolved", blocks: [], threadTS: "9.9")

        let posted = try await client(transport).updateMessage(
            token: Self.token, channel: "C123ABC456", ts: "1401383885.000061", message)

        #expect(posted == PostedMessage(channel: "C123ABC456", ts: "1401383885.000061"))
        let request = try #require(await transport.requests.first)
        expectBearer(request, method: "chat.update", contentType: Self.json)
        let body = try JSONValue(#require(request.body))
        #expect(
            body
                == .object([
                    "channel": .string("C123ABC456"), "ts": .string("1401383885.000061"),
                    "text": .string("Incident resolved"), "blocks": .array([]),
                ]))
    }

    @Test func updateMessageLeavesOutWhatIsNilSoSlackKeepsIt() async throws {
        let transport = try RecordingTransport(fixtures: ["chat.update"], secrets: [Self.token])
        let message = SlackMessage(channel: "", text: "t", attachments: [Attachment(color: "#2EB67D")])

        _ = try await client(transport).updateMessage(token: Self.token, channel: "C1", ts: "1.1", message)

        let body = try JSONValue(#require(await transport.requests.first?.body))
        #expect(body["blocks"] == nil)
        #expect(body["attachments"] == .array([.object(["color": .string("#2EB67D")])]))
    }

    @Test func conversationsListFollowsCursorsAcrossThreePages() async throws {
        let transport = try RecordingTransport(
            fixtures: ["conversations.list.page1", "conversations.list.page2", "conversations.list.page3"],
            secrets: [Self.token])

        let channels = try await client(transport).conversationsList(token: Self.token)

        #expect(
            channels == [
                SlackChannel(id: "C012AB3CD", name: "general", isPrivate: false, isArchived: false, isMember: true),
                SlackChannel(id: "C061EG9T2", name: "random", isPrivate: false, isArchived: false, isMember: false),
                SlackChannel(id: "G0AKFJBEU", name: "incidents-private", isPrivate: true, isArchived: false, isMember: true),
                SlackChannel(id: "C0G9QF9GW", name: "ops-alerts", isPrivate: false, isArchived: false, isMember: true),
            ])
        let requests = await transport.requests
        #expect(requests.count == 3)
        for request in requests {
            expectBearer(request, method: "conversations.list", contentType: Self.form)
        }
        let fields = requests.map(formFields)
        #expect(fields[0] == ["types": "public_channel,private_channel", "exclude_archived": "true", "limit": "200"])
        #expect(fields[1]["cursor"] == "dGVhbTpDMDYxRkE1UEI=")
        #expect(fields[2]["cursor"] == "dGVhbTpDMUg5UkVTR0w=")
        // The cursor's "=" is percent-encoded on the wire.
        #expect(String(decoding: requests[1].body!, as: UTF8.self).contains("cursor=dGVhbTpDMDYxRkE1UEI%3D"))
    }

    @Test func conversationsListStopsWhenSlackRepeatsACursor() async throws {
        let page = #"{"ok":true,"channels":[{"id":"C1","name":"one"}],"response_metadata":{"next_cursor":"same"}}"#
        let transport = RecordingTransport(
            Array(repeating: .response(OutboundResponse(status: 200, body: Data(page.utf8))), count: 2))

        let channels = try await client(transport).conversationsList(
            token: Self.token, types: "public_channel", excludeArchived: false, pageSize: 50)

        #expect(channels == [SlackChannel(id: "C1", name: "one")])
        let requests = await transport.requests
        #expect(requests.count == 2)
        #expect(formFields(requests[0]) == ["types": "public_channel", "exclude_archived": "false", "limit": "50"])
    }

    @Test func conversationsListStopsAfter1000Pages() async throws {
        let transport = RecordingTransport()
        for page in 0...1000 {
            let body = #"{"ok":true,"channels":[{"id":"C\#(page)","name":"c\#(page)"}],"response_metadata":{"next_cursor":"p\#(page + 1)"}}"#
            await transport.enqueue(.response(OutboundResponse(status: 200, body: Data(body.utf8))))
        }

        let channels = try await client(transport).conversationsList(token: Self.token)

        #expect(channels.count == 1000)
        #expect(await transport.requests.count == 1000)
    }

    @Test func usersInfoReadsEmailFromTheProfile() async throws {
        let transport = try RecordingTransport(fixtures: ["users.info"], secrets: [Self.token])

        let user = try await client(transport).usersInfo(token: Self.token, user: "W012A3CDE")

        #expect(
            user
                == SlackUser(
                    id: "W012A3CDE", name: "spengler", realName: "Egon Spengler",
                    email: "spengler@ghostbusters.example.com", deleted: false, isBot: false))
        let request = try #require(await transport.requests.first)
        expectBearer(request, method: "users.info", contentType: Self.form)
        #expect(formFields(request) == ["user": "W012A3CDE"])
    }

    @Test func lookupByEmailEncodesTheAddress() async throws {
        let transport = try RecordingTransport(fixtures: ["users.lookupByEmail"], secrets: [Self.token])

        let user = try await client(transport).lookupByEmail(token: Self.token, email: "spengler+ops@ghostbusters.example.com")

        #expect(user.id == "W012A3CDE")
        #expect(user.email == "spengler@ghostbusters.example.com")
        let request = try #require(await transport.requests.first)
        expectBearer(request, method: "users.lookupByEmail", contentType: Self.form)
        #expect(String(decoding: request.body!, as: UTF8.self) == "email=spengler%2Bops%40ghostbusters.example.com")
        #expect(formFields(request) == ["email": "spengler+ops@ghostbusters.example.com"])
    }

    @Test func openViewSendsTriggerAndModalAndReturnsTheViewID() async throws {
        let transport = try RecordingTransport(fixtures: ["views.open"], secrets: [Self.token])
        let view = try Fixture.decode(ModalView.self, from: "modal_view")

        let id = try await client(transport).openView(token: Self.token, triggerID: "12345.98765.abcd2358fdea", view: view)

        #expect(id == "VMHU10V25")
        let request = try #require(await transport.requests.first)
        expectBearer(request, method: "views.open", contentType: Self.json)
        let body = try JSONValue(#require(request.body))
        #expect(body["trigger_id"] == .string("12345.98765.abcd2358fdea"))
        #expect(body["view"] == (try JSONValue(Fixture.data("modal_view"))))
    }

    @Test func oauthV2AccessUsesBasicAuthAndReadsTheInstallation() async throws {
        let secret = "c1i3nt-s3cr3t-value"
        let transport = try RecordingTransport(fixtures: ["oauth.v2.access"], secrets: [secret])

        let access = try await client(transport).oauthV2Access(
            clientID: "2141029472.691202649728", clientSecret: secret, code: "4724469134.4644010092847.232b4e",
            redirectURI: "https://herald.example.com/slack/oauth/callback")

        #expect(
            access
                == OAuthV2Access(
                    accessToken: "xoxb-fixture-bot-token-0000", botUserID: "U0KRQLJ9H",
                    scope: "commands,chat:write,channels:read,groups:read,users:read,users:read.email",
                    teamID: "T9TK3CUKW", teamName: "Slack Softball Team", appID: "A0KRD7HC3"))
        #expect(!"\(access)".contains("xoxb"))
        #expect(!String(reflecting: access).contains("xoxb"))
        let request = try #require(await transport.requests.first)
        #expect(request.url.absoluteString == "https://slack.example.com/api/oauth.v2.access")
        #expect(request.headers["content-type"] == Self.form)
        let basic = Data("2141029472.691202649728:\(secret)".utf8).base64EncodedString()
        #expect(request.headers["authorization"] == "Basic \(basic)")
        #expect(
            formFields(request) == [
                "code": "4724469134.4644010092847.232b4e",
                "redirect_uri": "https://herald.example.com/slack/oauth/callback",
            ])
    }

    @Test func oauthV2AccessWithoutRedirectURI() async throws {
        let transport = try RecordingTransport(fixtures: ["oauth.v2.access"])
        _ = try await client(transport).oauthV2Access(clientID: "id", clientSecret: "secret", code: "c0de", redirectURI: nil)
        let request = try #require(await transport.requests.first)
        #expect(formFields(request) == ["code": "c0de"])
    }

    @Test func oauthV2AccessForAnOrgWideInstallNamesTheEnterprise() async throws {
        let answer = #"""
            {"ok":true,"access_token":"xoxb-e","token_type":"bot","bot_user_id":"U1","app_id":"A1",
             "team":null,"enterprise":{"id":"E12345678","name":"Grid"},"is_enterprise_install":true}
            """#
        let transport = RecordingTransport([.response(OutboundResponse(status: 200, body: Data(answer.utf8)))])
        let access = try await client(transport).oauthV2Access(clientID: "id", clientSecret: "secret", code: "c", redirectURI: nil)
        #expect(access.teamID == "E12345678")
        #expect(access.teamName == "Grid")
    }

    @Test func authTestReadsWorkspaceAndBot() async throws {
        let transport = try RecordingTransport(fixtures: ["auth.test"], secrets: [Self.token])

        let identity = try await client(transport).authTest(token: Self.token)

        #expect(
            identity
                == AuthTest(
                    url: "https://subarachnoid.slack.com/", team: "Subarachnoid Workspace", teamID: "T12345678",
                    user: "herald", userID: "U12345678", botID: "B12345678"))
        let request = try #require(await transport.requests.first)
        expectBearer(request, method: "auth.test", contentType: Self.form)
        #expect(request.body?.isEmpty ?? true)
    }

    @Test func authRevokeReportsRevoked() async throws {
        let transport = try RecordingTransport(fixtures: ["auth.revoke"], secrets: [Self.token])

        let revoked = try await client(transport).authRevoke(token: Self.token)

        #expect(revoked)
        let request = try #require(await transport.requests.first)
        expectBearer(request, method: "auth.revoke", contentType: Self.form)
    }
}
