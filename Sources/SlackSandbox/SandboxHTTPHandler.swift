import Outbound
import Foundation
import SlackAPI

/// Turns HTTP requests into sandbox calls the way Slack reads them: the method from the path
/// (`…/api/chat.postMessage`), fields from a JSON body, a form body or the query string, the
/// token from `Authorization: Bearer` or a `token` field. Webhooks are `…/services/T/B/secret`.
public struct SandboxHTTPHandler: Sendable {
    public let workspace: SandboxWorkspace

    public init(workspace: SandboxWorkspace) {
        self.workspace = workspace
    }

    public func handle(_ request: OutboundRequest) async -> OutboundResponse {
        let parts = request.url.pathComponents
        if let i = parts.lastIndex(of: "api"), i + 1 < parts.count {
            return await webAPI(method: parts[i + 1], request)
        }
        if let i = parts.lastIndex(of: "services"), i + 3 < parts.count {
            let path = parts[(i + 1)...(i + 3)].joined(separator: "/")
            let params = Self.webhookParams(request)
            return await answer(await workspace.webhook(path: path, params: params))
        }
        if let i = parts.lastIndex(of: "responses"), i + 1 < parts.count {
            // A reply to a response_url: Slack answers 404 `expired_url` for one it never issued.
            let known = await workspace.respond(key: parts[i + 1], body: request.body.flatMap { JSONValue.parse($0) })
            return OutboundResponse(status: known ? 200 : 404, headers: ["content-type": "text/plain"],
                                    body: Data((known ? "ok" : "expired_url").utf8))
        }
        return OutboundResponse(status: 404, headers: ["content-type": "text/plain"], body: Data("not found".utf8))
    }

    private func webAPI(method: String, _ request: OutboundRequest) async -> OutboundResponse {
        var params = Self.queryParams(request.url)
        let contentType = request.headers["content-type"]?.lowercased() ?? ""
        if let body = request.body, !body.isEmpty {
            if contentType.hasPrefix("application/json") {
                guard let json = JSONValue.parse(body) else { return Self.respond(.error("invalid_json")) }
                guard case .object(let fields) = json else { return Self.respond(.error("json_not_object")) }
                params.merge(fields) { $1 }
            } else if contentType.hasPrefix("application/x-www-form-urlencoded") || contentType.isEmpty {
                params.merge(Self.formParams(body)) { $1 }
            } else {
                return Self.respond(.error("invalid_form_data"))
            }
        }
        var token: String?
        var basic: (String, String)?
        if let auth = request.headers["authorization"] {
            if auth.lowercased().hasPrefix("bearer ") {
                token = String(auth.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            } else if auth.lowercased().hasPrefix("basic "),
                      let decoded = Data(base64Encoded: String(auth.dropFirst(6))).flatMap({ String(data: $0, encoding: .utf8) }),
                      let colon = decoded.firstIndex(of: ":")
            {
                basic = (String(decoded[..<colon]), String(decoded[decoded.index(after: colon)...]))
            }
        }
        // JSON bodies must carry the token in the header, as with Slack; forms and queries may carry it as a field.
        if token == nil, !contentType.hasPrefix("application/json") { token = params["token"]?.string }
        params["token"] = nil
        return await answer(await workspace.call(method: method, params: params, token: token, basicAuth: basic))
    }

    static func respond(_ result: SandboxResult) -> OutboundResponse {
        OutboundResponse(status: result.status, headers: result.headers, body: result.body)
    }

    /// Waits out a hang fault outside the workspace actor (which goes on serving others), until
    /// the caller is cancelled or the hang limit passes.
    private func answer(_ result: SandboxResult) async -> OutboundResponse {
        guard result.isHang else { return Self.respond(result) }
        await workspace.hangStarted()
        try? await Task.sleep(for: SandboxWorkspace.hangLimit)
        await workspace.hangEnded()
        return OutboundResponse(status: 504, headers: ["content-type": "text/plain"], body: Data("gateway timeout".utf8))
    }

    static func webhookParams(_ request: OutboundRequest) -> [String: JSONValue]? {
        guard let body = request.body, !body.isEmpty else { return nil }
        let contentType = request.headers["content-type"]?.lowercased() ?? ""
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            guard let payload = formParams(body)["payload"]?.string, case .object(let o)? = JSONValue.parse(Data(payload.utf8)) else { return nil }
            return o
        }
        guard case .object(let o)? = JSONValue.parse(body) else { return nil }
        return o
    }

    static func queryParams(_ url: URL) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for item in URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? [] {
            out[item.name] = .string(item.value ?? "")
        }
        return out
    }

    static func formParams(_ body: Data) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            out[decode(kv[0])] = .string(kv.count > 1 ? decode(kv[1]) : "")
        }
        return out
    }
}

/// A transport that hands requests straight to an in-process sandbox: Herald's tests exercise
/// the real client encoding and the sandbox's parsing without a socket.
public struct SandboxTransport: OutboundTransport {
    public let handler: SandboxHTTPHandler

    public init(handler: SandboxHTTPHandler) {
        self.handler = handler
    }

    public func send(_ request: OutboundRequest, timeout: Duration) async throws -> OutboundResponse {
        await handler.handle(request)
    }
}
