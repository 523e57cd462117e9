import Foundation
import HeraldCore
import SlackAPI
import Vapor

extension Request {
    /// Decodes a JSON body into `T`, turning every failure into a problem that names the field at
    /// fault: a body that is not in Herald's one JSON grammar (``JSONScanner``: RFC 8259, no key
    /// twice in one object, no lone surrogate, at most 512 levels deep) → 400; a missing field,
    /// wrong type or null → 422.
    ///
    /// Hot documents (``JSONScannable``) are read by the scanner first; whatever it will not read is
    /// validated against the grammar before `JSONDecoder` sees it, so Foundation's leniencies
    /// (trailing commas, repeated keys with the first winning, anything in ignored fields) never apply.
    func decodeJSON<T: Decodable>(_ type: T.Type = T.self) async throws -> T {
        if let contentType = headers.contentType, !Self.isJSON(contentType) {
            throw Problem(.unsupportedMediaType, "Send the body as application/json")
        }
        let buffer = try await body.collect(max: HTTPLimits.maxBodyBytes + 1).get()
        guard let buffer, buffer.readableBytes > 0 else {
            throw Problem(.badRequest, "The request body is empty; a JSON object is required")
        }
        if let scannable = T.self as? any JSONScannable.Type,
           let value = buffer.withUnsafeReadableBytes({ bytes in JSONScanner.read(bytes) { try scannable.scan(&$0) } }) as? T {
            return value
        }
        if let error = buffer.withUnsafeReadableBytes({ JSONScanner.validate($0) }) {
            throw Self.problem(for: error)
        }
        do {
            return try JSONDecoder().decode(T.self, from: buffer)
        } catch let error as DecodingError {
            throw Self.problem(for: error)
        }
    }

    /// `application/json` or `application/…+json`, in any case (RFC 9110 §8.3.1).
    static func isJSON(_ type: HTTPMediaType) -> Bool {
        let subType = type.subType.lowercased()
        return type.type.lowercased() == "application" && (subType == "json" || subType.hasSuffix("+json"))
    }

    /// A body outside the grammar: what is wrong, where, and the field it is in.
    static func problem(for error: JSONScanner.SyntaxError) -> Problem {
        let field = error.path.isEmpty ? nil : error.path
        switch error.reason {
        case .repeatedKey(let key):
            return Problem(.badRequest, "The key \"\(key.prefix(100))\" appears more than once in one object (at byte \(error.offset)); "
                + "send each key once", field: field)
        case .tooDeep(let limit):
            return Problem(.badRequest, "The body nests objects and arrays deeper than \(limit) levels (at byte \(error.offset))", field: field)
        default:
            return Problem(.badRequest, "The body is not valid JSON: \(error)", field: field)
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
