import Foundation

/// One field that failed validation, named by its JSON path (for example `name` or `sink.url`).
public struct FieldError: Error, Sendable, Equatable, Codable {
    public var field: String
    public var detail: String

    public init(field: String, detail: String) {
        self.field = field
        self.detail = detail
    }
}

/// Checks for the values users type: names and emails. Lengths are Unicode scalars (code points)
/// of the value as sent, so combining marks count and no name holds more than its limit's worth of bytes.
public enum Validate {
    public static let maxNameLength = 200
    public static let maxEmailLength = 254

    /// A name of 1 to 200 characters as sent, not blank, without control characters; returned trimmed.
    public static func name(_ value: String, field: String = "name") throws(FieldError) -> String {
        guard value.unicodeScalars.count <= maxNameLength else {
            throw FieldError(field: field, detail: "must be at most \(maxNameLength) characters")
        }
        guard !value.unicodeScalars.contains(where: isControl) else {
            throw FieldError(field: field, detail: "must not contain control characters")
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw FieldError(field: field, detail: "must not be empty") }
        return trimmed
    }

    /// A lower-cased email address of the form `local@domain.tld`, at most 254 characters, without
    /// spaces or control characters. Checked on Unicode scalars, not grapheme clusters: an `@`
    /// followed by a combining character is still the `@`.
    public static func email(_ value: String, field: String = "email") throws(FieldError) -> String {
        let scalars = Array(value.unicodeScalars)
        let ats = scalars.indices.filter { scalars[$0] == "@" }
        let domain = ats.count == 1 ? Array(scalars[(ats[0] + 1)...]) : []
        guard scalars.count <= maxEmailLength, ats.count == 1, ats[0] > 0,
              !scalars.contains(where: { isControl($0) || CharacterSet.whitespacesAndNewlines.contains($0) }),
              domain.contains("."), domain.first != ".", domain.last != ".",
              !zip(domain, domain.dropFirst()).contains(where: { $0 == "." && $1 == "." })
        else { throw FieldError(field: field, detail: "must be an email address like name@example.com") }
        return value.lowercased()
    }

    /// C0 and C1 control characters (U+0000–U+001F, U+007F–U+009F).
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
    }
}
