import Foundation

/// Parsing and checking of Slack channel lists as users write them (SPEC §3, §8): names or ids
/// separated by spaces, in one string or in an array.
public enum SlackChannels {
    public static let maxChannels = 100
    public static let maxInputLength = 10_000
    public static let maxNameLength = 80

    /// Splits, normalises (`alerts` and `#Alerts` → `#alerts`; ids like `C0123` stay as they are)
    /// and de-duplicates, keeping order. Empty input is an empty list.
    public static func parse(_ parts: [String], field: String = "channels") throws(FieldError) -> [String] {
        guard parts.reduce(0, { $0 + $1.count }) <= maxInputLength else {
            throw FieldError(field: field, detail: "is too long (at most \(maxInputLength) characters)")
        }
        var result: [String] = []
        for part in parts {
            for word in part.split(whereSeparator: { $0.isWhitespace || $0 == "," }) {
                let channel = try normalize(String(word), field: field)
                if !result.contains(channel) { result.append(channel) }
            }
        }
        guard result.count <= maxChannels else {
            throw FieldError(field: field, detail: "has \(result.count) channels; at most \(maxChannels) are allowed")
        }
        return result
    }

    /// One channel: a Slack id (`C…`, `G…`, `D…` in upper case) or a name (`#` optional).
    public static func normalize(_ raw: String, field: String = "channel") throws(FieldError) -> String {
        if isID(raw) { return raw }
        let name = (raw.hasPrefix("#") ? String(raw.dropFirst()) : raw).lowercased()
        guard !name.isEmpty, name.count <= maxNameLength,
              name.unicodeScalars.allSatisfy({ allowed.contains($0) }),
              let first = name.unicodeScalars.first, !["-", "_", "."].contains(first)
        else {
            throw FieldError(field: field, detail: "\"\(raw.prefix(100))\" is not a channel name (like #alerts) or id (like C0123ABCD)")
        }
        return "#" + name
    }

    /// Slack ids are upper-case letters and digits starting with C (public), G (private) or D (direct).
    public static func isID(_ value: String) -> Bool {
        guard let first = value.first, "CGD".contains(first), value.count >= 2, value.count <= 24 else { return false }
        return value.allSatisfy { ($0.isUppercase && $0.isASCII && $0.isLetter) || ($0.isASCII && $0.isNumber) }
    }

    private static let allowed: CharacterSet = {
        var set = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789-_.")
        // Slack allows non-Latin letters in channel names.
        set.formUnion(.letters.subtracting(.uppercaseLetters))
        return set
    }()
}

/// Checks a secret token as typed or pasted: surrounding whitespace is trimmed; inner whitespace,
/// control characters and absurd lengths are refused.
public enum SecretInput {
    public static func token(_ raw: String, field: String = "token") throws(FieldError) -> String {
        let token = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.contains(where: { $0.isWhitespace }) else {
            throw FieldError(field: field, detail: "must not contain spaces or line breaks")
        }
        guard token.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x21 && $0.value < 0x7f }) else {
            throw FieldError(field: field, detail: "must be printable ASCII, as Slack tokens are")
        }
        guard token.count <= 512 else { throw FieldError(field: field, detail: "is too long (at most 512 characters)") }
        return token
    }
}
