import Outbound
import Foundation
import SlackAPI
import Testing

/// The fake must catch a token outside the Authorization header, or the client tests prove nothing.
@Suite struct RecordingTransportTests {
    // The leak check itself, asserted directly: a `withKnownIssue` around the send would also be
    // satisfied by a thrown error, and so pass with a fake that caught nothing.
    @Test(arguments: [
        (OutboundRequest(method: "POST", url: URL(string: "https://slack.example.com/api/auth.test?token=xoxb-1-2")!), "URL"),
        (OutboundRequest(method: "POST", url: URL(string: "https://slack.example.com/api/auth.test")!, body: Data("token=xoxb-1-2".utf8)), "body"),
        (OutboundRequest(
            method: "POST", url: URL(string: "https://slack.example.com/api/auth.test")!, headers: ["X-Token": "xoxp-1-2"]), "header x-token"),
    ])
    func tokenOutsideAuthorizationIsALeak(request: OutboundRequest, place: String) async throws {
        #expect(RecordingTransport.leaks(in: request, secrets: []) == ["request to /api/auth.test carries a Slack token in its \(place)"])
    }

    @Test func namedSecretInTheBodyIsALeak() async throws {
        let request = OutboundRequest(
            method: "POST", url: URL(string: "https://slack.example.com/api/oauth.v2.access")!,
            body: Data("client_secret=client-secret-1".utf8))
        #expect(RecordingTransport.leaks(in: request, secrets: ["client-secret-1"])
            == ["request to /api/oauth.v2.access carries a secret in its body"])
        #expect(RecordingTransport.leaks(in: request, secrets: ["another-secret"]).isEmpty)
    }

    @Test func tokenInTheAuthorizationHeaderIsFine() async throws {
        let transport = RecordingTransport([.response(OutboundResponse(status: 200))], secrets: ["xoxb-1-2"])
        let request = OutboundRequest(
            method: "POST", url: URL(string: "https://slack.example.com/api/auth.test")!,
            headers: ["Authorization": "Bearer xoxb-1-2"])
        #expect(RecordingTransport.leaks(in: request, secrets: ["xoxb-1-2"]).isEmpty)
        let response = try await transport.send(request, timeout: .seconds(1))
        #expect(response.status == 200)
        #expect(await transport.requests == [request])
    }
}
