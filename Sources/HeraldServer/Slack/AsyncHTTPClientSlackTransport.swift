import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlackAPI

/// The production transport: AsyncHTTPClient (the delivery loop's client, ``DeliveryEventLoop``), with timeouts and
/// connection failures told apart from Slack's own answers.
struct AsyncHTTPClientSlackTransport: SlackHTTPTransport {
    let client: HTTPClient
    /// Slack's answers are small; anything beyond this is not Slack.
    static let maxResponseBytes = 8 << 20

    func send(_ request: SlackHTTPRequest, timeout: Duration) async throws -> SlackHTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(data: body)) }
        do {
            let response = try await client.execute(outgoing, timeout: .nanoseconds(timeout.nanoseconds))
            let body = try await response.body.collect(upTo: Self.maxResponseBytes)
            var headers: [String: String] = [:]
            for (name, value) in response.headers { headers[name.lowercased()] = value }
            return SlackHTTPResponse(status: Int(response.status.code), headers: headers, body: Data(buffer: body))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Self.isTimeout(error) ? SlackTransportError.timeout : SlackTransportError.connection(String(describing: error))
        }
    }

    static func isTimeout(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error)
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return true }
        return false
    }
}
