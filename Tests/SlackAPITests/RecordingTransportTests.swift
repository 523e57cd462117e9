import Outbound
import Foundation
import SlackAPI
import Testing

/// The fake must catch a token outside the Authorization header, or the client tests prove nothing.
@Suite struct RecordingTransportTests {
    @Test(arguments: [
        OutboundRequest(method: "POST", url: URL(string: "https://slack.example.com/api/auth.test?token=xoxb-1-2")!),
        OutboundRequest(method: "POST", url: URL(string: "https://slack.example.com/api/auth.test")!, body: Data("token=xoxb-1-2".utf8)),
        OutboundRequest(
            method: "POST", url: URL(string: "https://slack.example.com/api/auth.test")!, headers: ["X-Token": "xoxp-1-2"]),
    ])
    func tokenOutsideAuthorizationFailsTheTest(request: OutboundRequest) async throws {
        let transport = RecordingTransport([.response(OutboundResponse(status: 200))])
        await withKnownIssue {
            _ = try await transport.send(request, timeout: .seconds(1))
        }
    }

    @Test func namedSecretInTheBodyFailsTheTest() async throws {
        let transport = RecordingTransport([.response(OutboundResponse(status: 200))], secrets: ["client-secret-1"])
        let request = OutboundRequest(
            method: "POST", url: URL(string: "https://slack.example.com/api/oauth.v2.access")!,
            body: Data("client_secret=client-secret-1".utf8))
        await withKnownIssue {
            _ = try await transport.send(request, timeout: .seconds(1))
        }
    }

    @Test func tokenInTheAuthorizationHeaderIsFine() async throws {
        let transport = RecordingTransport([.response(OutboundResponse(status: 200))], secrets: ["xoxb-1-2"])
        let request = OutboundRequest(
            method: "POST", url: URL(string: "https://slack.example.com/api/auth.test")!,
            headers: ["Authorization": "Bearer xoxb-1-2"])
        let response = try await transport.send(request, timeout: .seconds(1))
        #expect(response.status == 200)
        #expect(await transport.requests == [request])
    }
}
