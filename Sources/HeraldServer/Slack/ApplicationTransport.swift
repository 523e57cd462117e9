import Foundation
import NIOCore
import NIOHTTP1
import Outbound
import Vapor

/// Hands a request to this application's own routes, without a socket: how the in-process
/// sandbox (tests) reaches Herald's `/slack/…` endpoints, through every middleware a request over
/// HTTP would meet.
struct ApplicationTransport: OutboundTransport {
    let app: Application

    func send(_ request: OutboundRequest, timeout: Duration) async throws -> OutboundResponse {
        var headers = HTTPHeaders()
        for (name, value) in request.headers { headers.add(name: name, value: value) }
        var path = request.url.path
        if let query = request.url.query { path += "?" + query }
        let vaporRequest = Request(application: app, method: HTTPMethod(rawValue: request.method), url: URI(string: path), headers: headers,
                                   collectedBody: request.body.map { ByteBuffer(data: $0) }, remoteAddress: nil, logger: app.logger,
                                   on: app.eventLoopGroup.any())
        let response = try await app.responder.current.respond(to: vaporRequest).get()
        var out: [String: String] = [:]
        for (name, value) in response.headers { out[name.lowercased()] = value }
        let body = response.body.buffer.map { Data(buffer: $0) } ?? Data(response.body.data ?? Data())
        return OutboundResponse(status: Int(response.status.code), headers: out, body: body)
    }
}
