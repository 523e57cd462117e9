import Foundation

/// Parsing and checking of Slack channel lists as users write them (SPEC §3, §8): names or ids
/// separated by spaces, in one string or in an array. The rules are exactly those of the OpenAPI
/// document's patterns, so whatever the document accepts is accepted here, and nothing else:
///
/// - a channel is `#` (optional) and then 1 to 80 ASCII letters or digits, `-`, `_`, `.`, or
///   characters beyond ASCII (up to U+FFFF) that are not spaces, not starting with `-`, `_` or `.`;
///   a Slack id (`C…`, `G…`, `D…`, upper case) is one too;
/// - in one string, channels are separated by spaces, tabs, line breaks or commas; at most 100
///   channels as written and 10,000 characters in all;
/// - in an array, each item is exactly one channel, at most 100 items.
public enum SlackChannels {
    public static let maxChannels = 100
    public static let maxInputLength = 10_000
    public static let maxNameLength = 80

    /// The separators of the string form.
    static let separators: Set<Unicode.Scalar> = [" ", "\t", "\r", "\n", ","]

    /// The string form: normalised (`alerts` and `#Alerts` → `#alerts`; ids stay as they are) and
    /// de-duplicated, keeping order. Empty (or only separators) is an empty list.
    public static func parse(text: String, field: String = "channels") throws(FieldError) -> [String] {
        guard text.unicodeScalars.count <= maxInputLength else {
            throw FieldError(field: field, detail: "is too long (at most \(maxInputLength) characters)")
        }
        let words = text.unicodeScalars.split(whereSeparator: { separators.contains($0) }).map { String(String.UnicodeScalarView($0)) }
        guard words.count <= maxChannels else {
            throw FieldError(field: field, detail: "has \(words.count) channels; at most \(maxChannels) are allowed")
        }
        return try normalizeAll(words, field: field)
    }

    /// The array form: one channel per item.
    public static func parse(list: [String], field: String = "channels") throws(FieldError) -> [String] {
        guard list.count <= maxChannels else {
            throw FieldError(field: field, detail: "has \(list.count) channels; at most \(maxChannels) are allowed")
        }
        return try normalizeAll(list, field: field)
    }

    private static func normalizeAll(_ words: [String], field: String) throws(FieldError) -> [String] {
        var result: [String] = []
        for word in words {
            let channel = try normalize(word, field: field)
            if !result.contains(channel) { result.append(channel) }
        }
        return result
    }

    /// One channel: a Slack id (`C…`, `G…`, `D…` in upper case) or a name (`#` optional), exactly
    /// as written (no spaces around it).
    public static func normalize(_ raw: String, field: String = "channel") throws(FieldError) -> String {
        if isID(raw) { return raw }
        // Scalars, not Characters: "#" followed by a combining mark is still the "#".
        var scalars = Array(raw.unicodeScalars)
        if scalars.first == "#" { scalars.removeFirst() }
        let name = String(String.UnicodeScalarView(scalars))
        guard (1...maxNameLength).contains(scalars.count), scalars.allSatisfy(isNameScalar),
              let first = scalars.first, !["-", "_", "."].contains(first)
        else {
            throw FieldError(field: field, detail: "\"\(raw.prefix(100))\" is not a channel name (like #alerts) or id (like C0123ABCD)")
        }
        return "#" + name.lowercased()
    }

    /// An ASCII letter or digit, `-`, `_`, `.`, or a character beyond ASCII up to U+FFFF that is
    /// not a space (names in any script; Slack judges the rest): the document's class, exactly.
    static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || ["-", "_", "."].contains(scalar) {
            return true
        }
        return (0xA1...0xFFFF).contains(v) && !(0x2000...0x200A).contains(v) && ![0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000].contains(v)
    }

    /// Slack ids are upper-case letters and digits starting with C (public), G (private) or D (direct).
    public static func isID(_ value: String) -> Bool {
        let scalars = Array(value.unicodeScalars)
        guard let first = scalars.first, ["C", "G", "D"].contains(first), (2...24).contains(scalars.count) else { return false }
        return scalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    /// Spaces, tabs and line breaks around a value typed into a form.
    public static let surroundingSpace = CharacterSet(charactersIn: " \t\r\n")
}

/// Checks a secret token as typed or pasted: surrounding spaces, tabs and line breaks are trimmed;
/// anything but printable ASCII inside, and more than 512 characters, are refused.
public enum SecretInput {
    public static func token(_ raw: String, field: String = "token") throws(FieldError) -> String {
        let token = raw.trimmingCharacters(in: SlackChannels.surroundingSpace)
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
