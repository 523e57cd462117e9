import Outbound
import Foundation
import SlackAPI
import Testing

/// A fake Slack: answers with queued replies and records every request. A request that carries a secret
/// (a Slack token, or any string in `secrets`) anywhere but the `Authorization` header fails the test.
actor RecordingTransport: OutboundTransport {
    enum Reply: Sendable {
        case response(OutboundResponse)
        case failure(OutboundError)
    }

    private var replies: [Reply]
    private(set) var requests: [OutboundRequest] = []
    private(set) var timeouts: [Duration] = []
    private let secrets: [String]

    init(_ replies: [Reply] = [], secrets: [String] = []) {
        self.replies = replies
        self.secrets = secrets
    }

    /// Answers each call in turn with a recorded Slack fixture, HTTP 200.
    init(fixtures names: [String], secrets: [String] = []) throws {
        self.init(try names.map { .response(OutboundResponse(status: 200, body: try Fixture.data($0))) }, secrets: secrets)
    }

    func enqueue(_ reply: Reply) {
        replies.append(reply)
    }

    func send(_ request: OutboundRequest, timeout: Duration) async throws -> OutboundResponse {
        checkForLeakedSecrets(request)
        requests.append(request)
        timeouts.append(timeout)
        guard !replies.isEmpty else {
            Issue.record("unexpected request to \(request.url.absoluteString): no reply queued")
            throw OutboundError.connection("no reply queued")
        }
        switch replies.removeFirst() {
        case .response(let response): return response
        case .failure(let error): throw error
        }
    }

    private func checkForLeakedSecrets(_ request: OutboundRequest) {
        for leak in Self.leaks(in: request, secrets: secrets) { Issue.record(Comment(rawValue: leak)) }
    }

    /// Where `request` carries a Slack token or one of `secrets` outside the `Authorization` header,
    /// one line per place (empty when it carries none).
    static func leaks(in request: OutboundRequest, secrets: [String]) -> [String] {
        var places: [(String, String)] = [("URL", request.url.absoluteString)]
        if let body = request.body {
            places.append(("body", String(decoding: body, as: UTF8.self)))
        }
        for (name, value) in request.headers where name != "authorization" {
            places.append(("header \(name)", value))
        }
        var leaks: [String] = []
        for (place, text) in places {
            if text.contains(tokenPattern) {
                leaks.append("request to \(request.url.path) carries a Slack token in its \(place)")
            }
            for secret in secrets where text.contains(secret) {
                leaks.append("request to \(request.url.path) carries a secret in its \(place)")
            }
        }
        return leaks
    }

    nonisolated(unsafe) private static let tokenPattern = try! Regex("xox[abprse]-")
}
