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

/// Checks for the values users type: names and emails.
public enum Validate {
    public static let maxNameLength = 200

    /// A trimmed, non-empty name of at most 200 characters without control characters.
    public static func name(_ value: String, field: String = "name") throws(FieldError) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw FieldError(field: field, detail: "must not be empty") }
        guard trimmed.count <= maxNameLength else {
            throw FieldError(field: field, detail: "must be at most \(maxNameLength) characters")
        }
        guard !trimmed.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw FieldError(field: field, detail: "must not contain control characters")
        }
        return trimmed
    }

    /// A lower-cased email address of the form `local@domain.tld`.
    public static func email(_ value: String, field: String = "email") throws(FieldError) -> String {
        let email = value.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 254,
              parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !email.unicodeScalars.contains(where: {
                  CharacterSet.whitespacesAndNewlines.contains($0) || CharacterSet.controlCharacters.contains($0)
              })
        else { throw FieldError(field: field, detail: "must be an email address like name@example.com") }
        return email
    }
}
