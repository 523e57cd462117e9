/// A strict reader of UTF-8 JSON, field by field, for the few documents read on every alert
/// (Alertmanager's webhook, Slack's answer to a post): Foundation's `JSONDecoder` was 5 % of
/// Herald's CPU at one alert per request, most of it in `Codable`'s containers.
///
/// It reads only what RFC 8259 allows, and a little less: a document it cannot read, or one it
/// is unsure Foundation would read the same way (a repeated key, a lone surrogate, nesting deeper
/// than `maxDepth`), makes ``read(_:maxDepth:repeatedKeys:_:)`` return nil, and the caller
/// decodes it with `JSONDecoder` as before, for the same value or the same error. The sandbox
/// parses Slack clients' JSON with it too (``JSONValue/parse(_:)``), repeated keys allowed.
public struct JSONScanner {
    /// Thrown inside a scan; ``read(_:maxDepth:repeatedKeys:_:)`` turns it into nil.
    public struct Unreadable: Error {
        public init() {}
    }

    private let bytes: UnsafeRawBufferPointer
    private var at = 0
    private var depth = 0
    private let maxDepth: Int
    private let repeatedKeys: Bool

    private init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int, repeatedKeys: Bool) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.repeatedKeys = repeatedKeys
    }

    /// The value `scan` reads from `bytes`, which must hold that one JSON value and nothing else
    /// but whitespace; nil when they do not or `scan` throws. Objects and arrays nest at most
    /// `maxDepth` deep; a key repeated in one object is unreadable unless `repeatedKeys`.
    public static func read<T>(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64, repeatedKeys: Bool = false,
                               _ scan: (inout JSONScanner) throws -> T) -> T? {
        var scanner = JSONScanner(bytes, maxDepth: maxDepth, repeatedKeys: repeatedKeys)
        guard let value = try? scan(&scanner) else { return nil }
        scanner.skipWhitespace()
        return scanner.at == bytes.count ? value : nil
    }

    // MARK: Values

    /// An object: `member` is called with each key and must read that key's value.
    public mutating func members(_ member: (String, inout JSONScanner) throws -> Void) throws {
        try open(UInt8(ascii: "{"))
        defer { depth -= 1 }
        var seen: Set<String> = []
        if try peek() == UInt8(ascii: "}") { at += 1; return }
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw Unreadable() }
            let key = try string()
            guard repeatedKeys || seen.insert(key).inserted else { throw Unreadable() }
            try expect(UInt8(ascii: ":"))
            try member(key, &self)
            switch try next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return
            default: throw Unreadable()
            }
        }
    }

    /// An array: `element` is called once per element and must read it.
    public mutating func elements(_ element: (inout JSONScanner) throws -> Void) throws {
        try open(UInt8(ascii: "["))
        defer { depth -= 1 }
        if try peek() == UInt8(ascii: "]") { at += 1; return }
        while true {
            try element(&self)
            switch try next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return
            default: throw Unreadable()
            }
        }
    }

    /// An object whose every value is a string.
    public mutating func stringMap() throws -> [String: String] {
        var map: [String: String] = [:]
        try members { key, s in map[key] = try s.string() }
        return map
    }

    /// `null` (read, returning true), or anything else (left unread).
    public mutating func null() throws -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// A string, or nil for `null`.
    public mutating func optionalString() throws -> String? {
        try null() ? nil : string()
    }

    public mutating func bool() throws -> Bool {
        switch try peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw Unreadable()
        }
    }

    public mutating func string() throws -> String {
        guard try next() == UInt8(ascii: "\"") else { throw Unreadable() }
        let start = at
        // The common case: no escapes, taken as it stands.
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                defer { at += 1 }
                return try text(UnsafeRawBufferPointer(rebasing: bytes[start..<at]))
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw Unreadable() }
            at += 1
        }
        var out = Array(bytes[start..<at])
        while at < bytes.count {
            let byte = bytes[at]
            at += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try out.withUnsafeBytes { try text($0) }
            case UInt8(ascii: "\\"):
                guard at < bytes.count else { throw Unreadable() }
                let escape = bytes[at]
                at += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var unit = try hex4()
                    if (0xDC00...0xDFFF).contains(unit) { throw Unreadable() }
                    if (0xD800...0xDBFF).contains(unit) {
                        guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else { throw Unreadable() }
                        at += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw Unreadable() }
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(unit) else { throw Unreadable() }
                    out.append(contentsOf: String(Character(scalar)).utf8)
                default:
                    throw Unreadable()
                }
            default:
                guard byte >= 0x20 else { throw Unreadable() }
                out.append(byte)
            }
        }
        throw Unreadable()
    }

    /// The kinds of value ``peekKind()`` tells apart (`null` is read with ``null()``).
    public enum Kind { case object, array, string, bool, number }

    /// What the next value is, by its first byte, left unread.
    public mutating func peekKind() throws -> Kind {
        switch try peek() {
        case UInt8(ascii: "{"): .object
        case UInt8(ascii: "["): .array
        case UInt8(ascii: "\""): .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): .bool
        default: .number
        }
    }

    /// Reads any one value and drops it, checking it is well formed.
    public mutating func skip() throws {
        switch try peek() {
        case UInt8(ascii: "{"): try members { _, s in try s.skip() }
        case UInt8(ascii: "["): try elements { s in try s.skip() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: skipWhitespace(); try number()
        }
    }

    // MARK: Pieces

    /// A number, as a `Double`.
    public mutating func double() throws -> Double {
        skipWhitespace()
        let start = at
        try number()
        guard let value = Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)) else { throw Unreadable() }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws {
        func digits() throws {
            guard at < bytes.count, isDigit(bytes[at]) else { throw Unreadable() }
            while at < bytes.count, isDigit(bytes[at]) { at += 1 }
        }
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
        guard at < bytes.count else { throw Unreadable() }
        if bytes[at] == UInt8(ascii: "0") {
            at += 1
            if at < bytes.count, isDigit(bytes[at]) { throw Unreadable() }
        } else {
            try digits()
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") { at += 1; try digits() }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            try digits()
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard at + 4 <= bytes.count else { throw Unreadable() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[at]
            let nibble: UInt8 = switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
            default: throw Unreadable()
            }
            value = value << 4 | UInt32(nibble)
            at += 1
        }
        return value
    }

    /// The bytes as a string; invalid UTF-8 is not read.
    private func text(_ utf8: UnsafeRawBufferPointer) throws -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else { throw Unreadable() }
        return text
    }

    private mutating func literal(_ word: StaticString) throws {
        skipWhitespace()
        let count = word.utf8CodeUnitCount
        guard at + count <= bytes.count else { throw Unreadable() }
        for i in 0..<count where bytes[at + i] != word.utf8Start[i] { throw Unreadable() }
        at += count
    }

    private mutating func open(_ bracket: UInt8) throws {
        guard try next() == bracket else { throw Unreadable() }
        depth += 1
        guard depth <= maxDepth else { throw Unreadable() }
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard try next() == byte else { throw Unreadable() }
    }

    /// The next byte that is not whitespace, read.
    private mutating func next() throws -> UInt8 {
        let byte = try peek()
        at += 1
        return byte
    }

    /// The next byte that is not whitespace, left unread.
    private mutating func peek() throws -> UInt8 {
        skipWhitespace()
        guard at < bytes.count else { throw Unreadable() }
        return bytes[at]
    }

    private mutating func skipWhitespace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x09, 0x0A, 0x0D: at += 1
            default: return
            }
        }
    }
}

/// A type read with a ``JSONScanner`` where it is read often; it must read exactly what its
/// `Decodable` conformance reads, or throw (the caller then decodes it with `JSONDecoder`).
public protocol JSONScannable {
    static func scan(_ scanner: inout JSONScanner) throws -> Self
}
