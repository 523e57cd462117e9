import Outbound
import Foundation

// The plumbing shared by every method: building requests, sending them, and turning Slack's answers
// (and silences) into values or a `SlackError` free of secrets.

extension SlackClient {
    /// A bearer-token call with a JSON body.
    func call<Body: Encodable, Answer: Decodable>(
        _ method: String, token: String, json body: Body
    ) async throws(SlackError) -> Answer {
        let request = OutboundRequest(
            method: "POST", url: url(for: method),
            headers: [
                "authorization": "Bearer \(token)", "content-type": Self.jsonContentType, "accept": "application/json",
            ],
            body: try encodeJSON(body, method: method), responseLimit: Self.maxResponseBytes)
        return try await perform(method, request, secrets: [token])
    }

    /// A bearer-token call with a form body.
    func call<Answer: Decodable>(
        _ method: String, token: String, form: [(String, String)]
    ) async throws(SlackError) -> Answer {
        let request = formRequest(method, authorization: "Bearer \(token)", form: form)
        return try await perform(method, request, secrets: [token])
    }

    func formRequest(_ method: String, authorization: String, form: [(String, String)]) -> OutboundRequest {
        OutboundRequest(
            method: "POST", url: url(for: method),
            headers: [
                "authorization": authorization, "content-type": Self.formContentType, "accept": "application/json",
            ],
            body: Data(FormEncoding.encode(form).utf8), responseLimit: Self.maxResponseBytes)
    }

    /// `baseURL` + "/" + method, whether or not `baseURL` ends in a slash.
    func url(for method: String) -> URL {
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return URL(string: "\(base)/\(method)") ?? baseURL.appendingPathComponent(method)
    }

    func encodeJSON(_ value: some Encodable, method: String) throws(SlackError) -> Data {
        // Messages and updates, on every delivery, write their own JSON (the same bytes).
        if let message = value as? any BlockKitJSON { return message.jsonData }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            throw .invalidResponse("could not encode the request: \(error)", method: method)
        }
    }

    /// Sends `request` and decodes a Web API answer: `{"ok": true, …}` into `Answer`, anything else into an error.
    func perform<Answer: Decodable>(
        _ method: String, _ request: OutboundRequest, secrets: [String]
    ) async throws(SlackError) -> Answer {
        let response = try await send(request, method: method, secrets: secrets)
        if response.status == 429 {
            throw .rateLimited(retryAfter: retryAfter(response), method: method)
        }
        guard (200..<300).contains(response.status) else {
            throw httpError(response, method: method, secrets: secrets)
        }
        // A post's or an update's answer is read by the scanner; anything it will not read goes below.
        if let scannable = Answer.self as? any ScannableAnswer.Type,
           let answer = response.body.withUnsafeBytes({ bytes in JSONScanner.read(bytes) { try scannable.scanReply(&$0) } }) as? Answer {
            return answer
        }
        let decoder = JSONDecoder()
        // The usual answer, `ok` and what the method promises, read in one pass; anything else is
        // read again below, for the error it deserves.
        if let reply = try? decoder.decode(Reply<Answer>.self, from: response.body), let answer = reply.answer {
            return answer
        }
        let envelope: Envelope
        do {
            envelope = try decoder.decode(Envelope.self, from: response.body)
        } catch {
            let snippet = Self.snippet(Data(Self.redact(Self.snippet(response.body, limit: 4096), secrets: secrets).utf8), limit: 100)
            throw .invalidResponse("not a Slack API answer: \(snippet)", method: method)
        }
        guard envelope.ok else {
            throw .api(SlackErrorCode(rawValue: envelope.error ?? "unknown_error"), method: method)
        }
        do {
            return try decoder.decode(Answer.self, from: response.body)
        } catch let error as DecodingError {
            throw .invalidResponse(Self.describe(error), method: method)
        } catch {
            throw .invalidResponse("undecodable answer", method: method)
        }
    }

    /// One round trip, with transport failures mapped to `.timeout` / `.connection`.
    func send(_ request: OutboundRequest, method: String, secrets: [String]) async throws(SlackError)
        -> OutboundResponse
    {
        do {
            return try await transport.send(request, timeout: timeout)
        } catch OutboundError.timeout {
            throw .timeout(method: method)
        } catch OutboundError.connection(let reason) {
            throw .connection(Self.redact(reason, secrets: secrets), method: method)
        } catch OutboundError.refused(let reason) {
            throw .refused(Self.redact(reason, secrets: secrets), method: method)
        } catch is CancellationError {
            throw .connection("cancelled", method: method)
        } catch {
            throw .connection(Self.redact(String(describing: error), secrets: secrets), method: method)
        }
    }

    func httpError(_ response: OutboundResponse, method: String, secrets: [String]) -> SlackError {
        // Redacted before it is cut, so no secret survives in halves.
        .http(status: response.status, method: method, body: Self.snippet(Data(Self.redact(Self.snippet(response.body, limit: 4096), secrets: secrets).utf8), limit: 500))
    }

    /// The wait a 429's `Retry-After` asks for (RFC 9110: seconds or an HTTP-date, see ``RetryAfter``).
    func retryAfter(_ response: OutboundResponse) -> Duration? {
        RetryAfter.parse(response.headers["retry-after"], now: now())
    }

    /// A webhook's plain-text error: one snake_case word such as `no_service`.
    static func isErrorWord(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 100
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    static func snippet(_ body: Data, limit: Int) -> String {
        let text = String(decoding: body, as: UTF8.self)
        return text.count > limit ? String(text.prefix(limit)) : text
    }

    /// Removes the call's own secrets (``SecretRedaction``: a URL's pieces too), and anything shaped
    /// like a Slack token, from text bound for an error.
    static func redact(_ text: String, secrets: [String]) -> String {
        var text = SecretRedaction.remove(secrets, from: text)
        if text.contains("xox") || text.contains("xapp-") {
            text = text.replacing(tokenPattern, with: "[redacted]")
        }
        return text
    }

    nonisolated(unsafe) static let tokenPattern = try! Regex("(xox[a-z]|xapp)-[A-Za-z0-9-]+")

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing \(path(context.codingPath + [key]))"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) is not a \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null, expected \(type)"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "undecodable answer"
        }
    }

    struct Envelope: Decodable {
        var ok: Bool
        var error: String?
    }

    /// `{"ok": true, …}` with the method's answer decoded from the same object; nil unless ok.
    struct Reply<Answer: Decodable>: Decodable {
        var answer: Answer?

        enum CodingKeys: String, CodingKey { case ok }

        init(from decoder: any Decoder) throws {
            let ok = try decoder.container(keyedBy: CodingKeys.self).decode(Bool.self, forKey: .ok)
            answer = ok ? try Answer(from: decoder) : nil
        }
    }
}
