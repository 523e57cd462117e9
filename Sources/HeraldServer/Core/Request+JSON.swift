import Foundation
import HeraldCore
import SlackAPI
import Vapor

extension Request {
    /// Decodes a JSON body into `T`, turning every decoding failure into a problem that names the
    /// field at fault: malformed JSON → 400; a missing field, wrong type or null → 422.
    func decodeJSON<T: Decodable>(_ type: T.Type = T.self) async throws -> T {
        if let contentType = headers.contentType,
           !(contentType.type == "application" && (contentType.subType == "json" || contentType.subType.hasSuffix("+json")))
        {
            throw Problem(.unsupportedMediaType, "Send the body as application/json")
        }
        let buffer = try await body.collect(max: application.routes.defaultMaxBodySize.value).get()
        guard let buffer, buffer.readableBytes > 0 else {
            throw Problem(.badRequest, "The request body is empty; a JSON object is required")
        }
        // Hot documents first through the scanner; anything it will not read, Foundation reads (or refuses) as before.
        if let scannable = T.self as? any JSONScannable.Type,
           let value = buffer.withUnsafeReadableBytes({ bytes in JSONScanner.read(bytes) { try scannable.scan(&$0) } }) as? T {
            return value
        }
        do {
            return try JSONDecoder().decode(T.self, from: buffer)
        } catch let error as DecodingError {
            throw Self.problem(for: error)
        }
    }

    static func problem(for error: DecodingError) -> Problem {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (last.map { [$0] } ?? [])
            return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .reduce("") { acc, key in key.hasPrefix("[") || acc.isEmpty ? acc + key : acc + "." + key }
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            return .invalid(FieldError(field: path(ctx.codingPath, key), detail: "is required"))
        case .typeMismatch(let type, let ctx):
            let field = path(ctx.codingPath)
            if field.isEmpty { return Problem(.badRequest, "The body must be a JSON object") }
            return .invalid(FieldError(field: field, detail: "must be \(Self.describe(type))"))
        case .valueNotFound(let type, let ctx):
            return .invalid(FieldError(field: path(ctx.codingPath), detail: "must be \(Self.describe(type)), not null"))
        case .dataCorrupted(let ctx):
            let field = path(ctx.codingPath)
            if field.isEmpty { return Problem(.badRequest, "The body is not valid JSON") }
            return .invalid(FieldError(field: field, detail: ctx.debugDescription))
        @unknown default:
            return Problem(.badRequest, "The body could not be read")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Double.Type: "a number"
        case is [Any].Type: "an array"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : (String(describing: type).hasPrefix("Dictionary") ? "an object" : "a \(type)")
        }
    }
}
