import Foundation

/// An incident's or event's tags as stored: a JSON object of strings with sorted keys, exactly
/// as `JSONEncoder` with `.sortedKeys` writes it.
///
/// Intake writes and delivery reads tags for every event, and Foundation's coders were 5–6 % of
/// the SQLite writer's time. Tags of plain printable ASCII (the usual `env`, `region`, `team`…)
/// take a direct path here; anything else (escapes, slashes, non-ASCII, other JSON) goes through
/// Foundation, so the text and the parsed values are always what Foundation gives.
public enum TagsJSON {
    public static func encode(_ tags: [String: String]) -> String {
        guard !tags.isEmpty else { return "{}" }
        guard tags.allSatisfy({ isPlain($0.key) && isPlain($0.value) }) else {
            return String(decoding: (try? encoder.encode(tags)) ?? Data("{}".utf8), as: UTF8.self)
        }
        var out = "{"
        out.reserveCapacity(tags.reduce(2) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 })
        for (index, key) in tags.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            out += "\""
            out += key
            out += "\":\""
            out += tags[key]!
            out += "\""
        }
        out += "}"
        return out
    }

    /// The tags in `text`; an empty set for text that is not a JSON object of strings.
    public static func decode(_ text: String) -> [String: String] {
        if let plain = decodePlain(text) { return plain }
        return (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    /// Printable ASCII that JSON writes as is: no quote, backslash or slash (Foundation escapes `/`).
    private static func isPlain(_ string: String) -> Bool {
        string.utf8.allSatisfy(isPlainByte)
    }

    private static func isPlainByte(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "/")
    }

    /// `{"k":"v",…}` with plain strings, no whitespace and no repeated key (what ``encode(_:)``
    /// writes for plain tags), or nil for Foundation to read.
    private static func decodePlain(_ text: String) -> [String: String]? {
        var utf8 = text.utf8[...]
        guard utf8.first == UInt8(ascii: "{"), utf8.last == UInt8(ascii: "}") else { return nil }
        utf8 = utf8.dropFirst().dropLast()
        var tags: [String: String] = [:]
        if utf8.isEmpty { return tags }
        func string() -> String? {
            guard utf8.first == UInt8(ascii: "\"") else { return nil }
            utf8 = utf8.dropFirst()
            guard let end = utf8.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            let body = utf8[..<end]
            guard body.allSatisfy(isPlainByte) else { return nil }
            utf8 = utf8[utf8.index(after: end)...]
            return String(decoding: body, as: UTF8.self)
        }
        while true {
            guard let key = string(), utf8.first == UInt8(ascii: ":") else { return nil }
            utf8 = utf8.dropFirst()
            guard let value = string(), tags.updateValue(value, forKey: key) == nil else { return nil }
            if utf8.isEmpty { return tags }
            guard utf8.first == UInt8(ascii: ",") else { return nil }
            utf8 = utf8.dropFirst()
        }
    }
}
