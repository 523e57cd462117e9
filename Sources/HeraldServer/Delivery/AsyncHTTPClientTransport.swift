import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Outbound

/// The production transport: AsyncHTTPClient (the delivery loop's client, ``DeliveryEventLoop``,
/// which never follows redirects), with timeouts and connection failures told apart from answers.
/// It reads at most the request's `responseLimit` of a body and drops the connection after that.
struct AsyncHTTPClientTransport: OutboundTransport {
    let client: HTTPClient

    func send(_ request: OutboundRequest, timeout: Duration) async throws -> OutboundResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(data: body)) }
        do {
            let response = try await client.execute(outgoing, timeout: .nanoseconds(timeout.nanoseconds))
            var body = ByteBuffer()
            var truncated = false
            for try await part in response.body {
                let room = request.responseLimit - body.readableBytes
                if part.readableBytes > room {
                    body.writeImmutableBuffer(part.getSlice(at: part.readerIndex, length: max(0, room)) ?? ByteBuffer())
                    truncated = true
                    break
                }
                body.writeImmutableBuffer(part)
            }
            var headers: [String: String] = [:]
            for (name, value) in response.headers { headers[name.lowercased()] = value }
            return OutboundResponse(status: Int(response.status.code), headers: headers, body: Data(buffer: body), truncated: truncated)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Self.isTimeout(error) ? OutboundError.timeout : OutboundError.connection(String(describing: error))
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
