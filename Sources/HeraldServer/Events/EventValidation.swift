import Foundation
import HeraldCore
import SlackAPI

/// The limits of every intake (Herald's API, PagerDuty, Alertmanager, the incident API), and the
/// checks that hold events to them. Lengths are Unicode scalars (code points), never grapheme
/// clusters, so a letter followed by 100,000 combining marks is 100,001 long; keys also have a
/// byte bound. So no stored string is longer than its limit's worth of bytes.
///
/// Strict checks (`text`, `key`, `reference`, `tags`) refuse a value over its limit, or holding a
/// C0 control character other than tab, line feed and carriage return (neither database can keep
/// U+0000 in text, and the others are no one's intent); the lenient ones (`cut`, `cutTags`) are
/// for compatibility formats that must not fail a whole batch: they cut display text with an
/// ellipsis and show such control characters as their visible symbols (U+2400–U+241F, so U+0000
/// is `␀`). Tag keys and values are kept in Unicode's composed form (NFC), so one tag has one
/// spelling whatever form it was sent in.
enum EventValidation {
    static let maxTitle = 1_000
    static let maxText = 40_000
    /// Dedup keys, in UTF-8 bytes.
    static let maxKeyBytes = 255
    static let maxTags = 50
    static let maxTagKey = 100
    static let maxTagValue = 500
    /// A service or rule named by id or name.
    static let maxReference = 200
    static let maxLink = 2_000

    static func scalars(_ value: String) -> Int { value.unicodeScalars.count }

    static func text(_ value: String?, field: String, max: Int, errors: inout [FieldError]) -> String? {
        guard let value else { return nil }
        if scalars(value) > max { errors.append(FieldError(field: field, detail: "must be at most \(max) characters")) }
        if hasControl(value) { errors.append(FieldError(field: field, detail: controlDetail)) }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// A dedup key of Herald's API or PagerDuty: printable ASCII (spaces allowed inside), at most
    /// 255 characters (so 255 bytes), not blank; spaces around it are dropped.
    static func key(_ value: String?, field: String = "key", errors: inout [FieldError]) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: CharacterSet(charactersIn: " "))
        if trimmed.isEmpty { errors.append(FieldError(field: field, detail: "must not be empty")) }
        if value.utf8.count > maxKeyBytes { errors.append(FieldError(field: field, detail: "must be at most \(maxKeyBytes) bytes")) }
        if !value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f }) {
            errors.append(FieldError(field: field, detail: "must be printable ASCII"))
        }
        return trimmed
    }

    /// A service or rule, by id or name: at most ``maxReference`` characters.
    static func reference(_ value: String?, field: String, errors: inout [FieldError]) -> String? {
        text(value, field: field, max: maxReference, errors: &errors)
    }

    /// One of the spellings the API document lists (`critical`, `high`, `warning`, `p3`…), exactly.
    static func severity(_ value: String?, field: String = "severity", errors: inout [FieldError]) -> Severity? {
        guard let value else { return nil }
        guard let severity = Severity(exactly: value) else {
            errors.append(FieldError(field: field, detail: "must be one of critical, error, warning, info (or a listed alias)"))
            return nil
        }
        return severity
    }

    /// `http://` or `https://` (either case), a host, then anything printable, all ASCII: the
    /// document's pattern, checked the same way here.
    static func isLink(_ value: String) -> Bool {
        let s = Array(value.unicodeScalars)
        guard s.count <= maxLink else { return false }
        let lower = String(String.UnicodeScalarView(s.prefix(8))).lowercased()
        let rest: ArraySlice<Unicode.Scalar>
        if lower.hasPrefix("https://") { rest = s.dropFirst(8) } else if lower.hasPrefix("http://") { rest = s.dropFirst(7) } else { return false }
        let printable = { (c: Unicode.Scalar) in c.value >= 0x21 && c.value <= 0x7e }
        let hostEnd = rest.firstIndex { ["/", "?", "#"].contains($0) } ?? rest.endIndex
        return hostEnd > rest.startIndex && rest.allSatisfy(printable)
    }

    static func link(_ value: String?, field: String = "link", errors: inout [FieldError]) -> String? {
        guard let value else { return nil }
        guard isLink(value) else {
            errors.append(FieldError(field: field, detail: "must be an http(s) URL of at most \(maxLink) characters"))
            return nil
        }
        return value
    }

    static func time(_ value: String?, field: String = "at", errors: inout [FieldError]) -> Date? {
        guard let value else { return nil }
        if let date = RFC3339.parse(value) { return date }
        errors.append(FieldError(field: field, detail: "must be an RFC 3339 time like 2026-11-22T10:15:00Z"))
        return nil
    }

    /// Tags held to the limits, keys and values in NFC. Canonically equivalent keys cannot both be
    /// here: the JSON grammar refuses them as one key sent twice.
    static func tags(_ value: [String: String]?, field: String = "tags", errors: inout [FieldError]) -> [String: String] {
        guard let value else { return [:] }
        if value.count > maxTags { errors.append(FieldError(field: field, detail: "must have at most \(maxTags) entries")) }
        let sorted = value.sorted(by: { $0.key < $1.key })
        for (k, v) in sorted where k.isEmpty || scalars(k) > maxTagKey || scalars(v) > maxTagValue {
            errors.append(FieldError(field: "\(field).\(cut(k, max: 50))",
                                     detail: "keys must be 1–\(maxTagKey) characters and values at most \(maxTagValue)"))
            break
        }
        for (k, v) in sorted where hasControl(k) || hasControl(v) {
            errors.append(FieldError(field: "\(field).\(cut(k, max: 50))", detail: "keys and values " + controlDetail))
            break
        }
        var normalized: [String: String] = [:]
        for (k, v) in value { normalized[nfc(k)] = nfc(v) }
        return normalized
    }

    // MARK: Text

    static let controlDetail = "must not contain control characters (U+0000–U+001F) other than tab, line feed and carriage return"

    /// Whether `value` holds a C0 control character other than tab, line feed and carriage return.
    static func hasControl(_ value: String) -> Bool {
        value.utf8.contains { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
    }

    /// `value` with each C0 control character other than tab, line feed and carriage return shown
    /// as its symbol in Unicode's Control Pictures block (U+0000 → `␀`, U+001B → `␛`).
    static func visibleControls(_ value: String) -> String {
        guard hasControl(value) else { return value }
        var out = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            if scalar.value < 0x20, ![0x09, 0x0A, 0x0D].contains(scalar.value), let picture = Unicode.Scalar(0x2400 + scalar.value) {
                out.append(picture)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// `value` in Unicode Normalization Form C (ASCII is already).
    static func nfc(_ value: String) -> String {
        value.utf8.allSatisfy { $0 < 0x80 } ? value : value.precomposedStringWithCanonicalMapping
    }

    // MARK: Lenient: compatibility formats

    /// `value` cut to `max` Unicode scalars with an ellipsis (on a character boundary), its control
    /// characters made visible (``visibleControls(_:)``).
    static func cut(_ value: String, max: Int) -> String {
        SlackLimits.truncated(visibleControls(value), to: max)
    }

    /// A tag value of a compatibility format: NFC, control characters made visible, cut to the limit.
    static func cutTag(_ value: String) -> String {
        cut(nfc(value), max: maxTagValue)
    }

    /// Tags held to the limits without refusing: keys and values in NFC with their control
    /// characters made visible, the first ``maxTags`` keys in sorted order kept, over-long keys and
    /// values cut with an ellipsis, empty keys dropped.
    static func cutTags(_ value: [String: String]) -> [String: String] {
        var kept: [String: String] = [:]
        for (k, v) in value.map({ (nfc($0.key), $0.value) }).sorted(by: { $0.0 < $1.0 }) where !k.isEmpty {
            guard kept.count < maxTags else { break }
            kept[cut(k, max: maxTagKey)] = cutTag(v)
        }
        return kept
    }

    /// The key of a set of labels that came without one (an Alertmanager alert with no
    /// fingerprint): a hash of the labels with keys and values in NFC, sorted by key (UTF-8 byte
    /// order), written `k=v` joined by `,` with `\`, `=` and `,` escaped by `\`. So the same
    /// labels give the same key in any order and any Unicode form, and no two label sets share one.
    /// (Labels with none of `\ = ,` hash exactly as before this rule, so their open incidents are found.)
    static func labelsKey(_ labels: [String: String]) -> String {
        // By scalar: a Character such as "=" with a combining mark still holds the scalar "=".
        func escaped(_ s: String) -> String {
            guard s.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: ",") }) else { return s }
            var out = String.UnicodeScalarView()
            for scalar in s.unicodeScalars {
                if scalar == "\\" || scalar == "=" || scalar == "," { out.append("\\") }
                out.append(scalar)
            }
            return String(out)
        }
        let normalized = labels.map { (key: nfc($0.key), value: nfc($0.value)) }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return String(CredentialFactory.hash(normalized.map { "\(escaped($0.key))=\(escaped($0.value))" }.joined(separator: ",")).prefix(16))
    }

    /// A key that fits ``maxKeyBytes``: `prefix + raw` when it fits, else `prefix + "sha256:" +` the
    /// first 32 hex digits of the SHA-256 of `raw` (stable, so every later alert finds the incident).
    static func fittedKey(prefix: String, _ raw: String) -> String {
        let whole = prefix + raw
        if whole.utf8.count <= maxKeyBytes, !whole.unicodeScalars.contains(where: Validate.isControl) { return whole }
        return prefix + "sha256:" + String(CredentialFactory.hash(raw).prefix(32))
    }
}

/// Tag values may be strings, numbers or booleans; all become strings.
struct TagValues: Decodable, Sendable {
    var values: [String: String]

    init(values: [String: String]) {
        self.values = values
    }

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
        else {
            // What is left: null, an object or array, or a number no Double holds (1e999).
            let detail: String
            if c.decodeNil() { detail = "must be a string, number or boolean, not null" }
            else if (try? c.decode(JSONValue.self)) != nil { detail = "must be a string, number or boolean, not an object or array" }
            else { detail = "is a number too large to be a tag value; send it as a string" }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: detail))
        }
    }
}
