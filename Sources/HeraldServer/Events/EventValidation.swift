import Foundation
import HeraldCore

/// Checks shared by every intake: lengths, links, times, tags.
enum EventValidation {
    static let maxTitle = 1_000
    static let maxText = 40_000
    static let maxKey = 255
    static let maxTags = 50

    static func text(_ value: String?, field: String, max: Int, errors: inout [FieldError]) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count > max { errors.append(FieldError(field: field, detail: "must be at most \(max) characters")) }
        return trimmed.isEmpty ? nil : trimmed
    }

    static func key(_ value: String?, field: String = "key", errors: inout [FieldError]) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { errors.append(FieldError(field: field, detail: "must not be empty")) }
        if trimmed.count > maxKey { errors.append(FieldError(field: field, detail: "must be at most \(maxKey) characters")) }
        return trimmed
    }

    static func severity(_ value: String?, field: String = "severity", errors: inout [FieldError]) -> Severity? {
        guard let value, !value.isEmpty else { return nil }
        guard let severity = Severity(parsing: value) else {
            errors.append(FieldError(field: field, detail: "must be one of critical, error, warning, info"))
            return nil
        }
        return severity
    }

    static func link(_ value: String?, field: String = "link", errors: inout [FieldError]) -> String? {
        guard let value, !value.isEmpty else { return nil }
        guard value.count <= 2000, let url = URL(string: value), let scheme = url.scheme?.lowercased(),
              ["http", "https"].contains(scheme), url.host != nil
        else {
            errors.append(FieldError(field: field, detail: "must be an http(s) URL"))
            return nil
        }
        return value
    }

    static func time(_ value: String?, field: String = "at", errors: inout [FieldError]) -> Date? {
        guard let value, !value.isEmpty else { return nil }
        if let date = parseTime(value) { return date }
        errors.append(FieldError(field: field, detail: "must be an ISO 8601 time like 2026-11-22T10:15:00Z"))
        return nil
    }

    static func parseTime(_ value: String) -> Date? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = plain.date(from: value) ?? fractional.date(from: value) { return d }
        // Alertmanager and Go write nanoseconds; trim to milliseconds.
        if let dot = value.firstIndex(of: "."), let end = value[dot...].firstIndex(where: { !$0.isNumber && $0 != "." }) {
            let digits = value[value.index(after: dot)..<end].prefix(3)
            return fractional.date(from: String(value[..<dot]) + "." + digits + String(value[end...]))
        }
        return nil
    }

    static func tags(_ value: [String: String]?, field: String = "tags", errors: inout [FieldError]) -> [String: String] {
        guard let value else { return [:] }
        if value.count > maxTags { errors.append(FieldError(field: field, detail: "must have at most \(maxTags) entries")) }
        for (k, v) in value where k.isEmpty || k.count > 100 || v.count > 500 {
            errors.append(FieldError(field: "\(field).\(k.prefix(50))", detail: "keys must be 1–100 characters and values at most 500"))
            break
        }
        return value
    }
}

/// Tag values may be strings, numbers or booleans; all become strings.
struct TagValues: Decodable, Sendable {
    var values: [String: String]

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let raw = try c.decode([String: LooseString].self)
        values = raw.mapValues(\.value)
    }
}

struct LooseString: Decodable, Sendable {
    var value: String

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { value = s }
        else if let i = try? c.decode(Int.self) { value = String(i) }
        else if let d = try? c.decode(Double.self) { value = String(d) }
        else if let b = try? c.decode(Bool.self) { value = String(b) }
        else { throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath, debugDescription: "must be a string, number or boolean")) }
    }
}
