/// A strict reader of UTF-8 JSON, field by field, for the few documents read on every alert
/// (Alertmanager's webhook, Slack's answer to a post): Foundation's `JSONDecoder` was 5 % of
/// Herald's CPU at one alert per request, most of it in `Codable`'s containers.
///
/// Its grammar is Herald's one grammar for JSON: exactly RFC 8259 (§2 and §4), UTF-8, with no key
/// repeated in an object (keys compared as Swift compares strings, so canonically equivalent
/// spellings are the same key) and no `\u` escape of half a surrogate pair.
/// ``read(_:maxDepth:repeatedKeys:_:)`` returns nil for a document it cannot read into the shape
/// asked (or nested deeper than `maxDepth`); ``validate(_:maxDepth:)`` says whether a document is
/// in the grammar at all, and if not, what is wrong and where. Herald's body reader validates
/// whatever the fast read refuses before `JSONDecoder` sees it, so both paths accept one grammar.
/// The sandbox parses Slack clients' JSON with it too (``JSONValue/parse(_:)``), repeated keys allowed.
public struct JSONScanner {
    /// Thrown inside a scan when the value is well formed but not what the scan asked for (a
    /// number where a string was expected, a required field missing); ``read(_:maxDepth:repeatedKeys:_:)``
    /// turns it into nil.
    public struct Unreadable: Error {
        public init() {}
    }

    /// Why a document is not in the grammar, at which byte (0-based) and, once validated, at which
    /// value (`alerts[0].labels`; empty for the document itself).
    public struct SyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
        public enum Reason: Equatable, Sendable {
            /// The document ends inside a value, or holds no value at all.
            case unexpectedEnd
            /// A byte that cannot start or continue anything here.
            case unexpected(UInt8)
            /// A comma right before `}` or `]`.
            case trailingComma
            /// A number outside `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
            case invalidNumber
            /// `\` followed by anything but `" \ / b f n r t u`, or `\u` without four hex digits.
            case invalidEscape
            /// A byte below 0x20 inside a string, unescaped.
            case controlCharacter(UInt8)
            /// A `\u` escape of half a surrogate pair.
            case loneSurrogate
            case invalidUTF8
            /// A key the object already has.
            case repeatedKey(String)
            /// Objects and arrays nested deeper than the limit.
            case tooDeep(limit: Int)
            /// Anything but whitespace after the value.
            case extraData
        }

        public var reason: Reason
        public var offset: Int
        public var path: String = ""

        public init(_ reason: Reason, at offset: Int, path: String = "") {
            self.reason = reason
            self.offset = offset
            self.path = path
        }

        /// What is wrong, in words, with the byte offset (and the value's path when there is one).
        public var description: String {
            let place = "at byte \(offset)" + (path.isEmpty ? "" : ", in \(path)")
            switch reason {
            case .unexpectedEnd: return "the body ends before its JSON value does " + place
            case .unexpected(let byte): return "unexpected \(Self.describe(byte)) " + place
            case .trailingComma: return "a comma before a closing bracket " + place + " (JSON has no trailing commas)"
            case .invalidNumber: return "a number that JSON does not allow " + place + " (no leading zeros, '+', bare '.', or missing digits)"
            case .invalidEscape: return "an escape that JSON does not have " + place + " (only \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\u with four hex digits)"
            case .controlCharacter(let byte): return "an unescaped control character U+\(Self.hex4(byte)) in a string " + place
            case .loneSurrogate: return "a \\u escape of half a surrogate pair " + place + " (escape a character outside the Basic Multilingual Plane as a pair)"
            case .invalidUTF8: return "bytes that are not UTF-8 " + place
            case .repeatedKey(let key): return "the key \"\(key.prefix(100))\" appears twice in one object " + place
            case .tooDeep(let limit): return "objects and arrays nested deeper than \(limit) levels " + place
            case .extraData: return "more after the JSON value " + place
            }
        }

        private static func describe(_ byte: UInt8) -> String {
            switch byte {
            case 0x21...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
            default: return "byte 0x" + String(byte, radix: 16, uppercase: true)
            }
        }

        private static func hex4(_ byte: UInt8) -> String {
            let digits = String(byte, radix: 16, uppercase: true)
            return String(repeating: "0", count: 4 - digits.count) + digits
        }
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

    /// The grammar's limit on nesting, and Foundation's `JSONDecoder`'s.
    public static let maxDepth = 512

    /// Nil when `bytes` hold exactly one JSON value of the grammar (with whitespace around it);
    /// otherwise the first thing wrong, where it is, and the path of the value it is in (for a
    /// repeated key, the key's own path).
    public static func validate(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = JSONScanner.maxDepth) -> SyntaxError? {
        var scanner = JSONScanner(bytes, maxDepth: maxDepth, repeatedKeys: false)
        var path: [PathStep]? = []
        do {
            try scanner.walk(&path)
            scanner.skipWhitespace()
            if scanner.at != bytes.count { throw SyntaxError(.extraData, at: scanner.at) }
            return nil
        } catch var error as SyntaxError {
            var steps = path ?? []
            if case .repeatedKey(let key) = error.reason { steps.append(.key(key)) }
            error.path = PathStep.text(steps)
            return error
        } catch {
            // `walk` throws only syntax errors.
            return SyntaxError(.unexpectedEnd, at: scanner.at)
        }
    }

    /// One step of a path into a document: `alerts[0].labels` is `[.key("alerts"), .index(0), .key("labels")]`.
    enum PathStep {
        case key(String)
        case index(Int)

        /// At most 40 steps are written out; a longer path ends with `…`.
        static func text(_ steps: [PathStep]) -> String {
            var out = ""
            for step in steps.prefix(40) {
                switch step {
                case .key(let key): out += out.isEmpty ? key : "." + key
                case .index(let i): out += "[\(i)]"
                }
            }
            return steps.count > 40 ? out + "…" : out
        }
    }

    /// Reads any one value, checking it against the grammar; `path`, when given, is kept at the
    /// value being read (so after a throw it names where).
    private mutating func walk(_ path: inout [PathStep]?) throws {
        let first = try peek()
        switch first {
        case UInt8(ascii: "{"):
            try members { key, s in
                path?.append(.key(key))
                try s.walk(&path)
                path?.removeLast()
            }
        case UInt8(ascii: "["):
            var index = 0
            try elements { s in
                path?.append(.index(index))
                try s.walk(&path)
                path?.removeLast()
                index += 1
            }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw SyntaxError(.unexpected(first), at: at)
        }
    }

    // MARK: Values

    /// An object: `member` is called with each key and must read that key's value.
    public mutating func members(_ member: (String, inout JSONScanner) throws -> Void) throws {
        try open(UInt8(ascii: "{"))
        defer { depth -= 1 }
        var seen: Set<String> = []
        if try peek() == UInt8(ascii: "}") { at += 1; return }
        while true {
            let byte = try peek()
            guard byte == UInt8(ascii: "\"") else { throw SyntaxError(.unexpected(byte), at: at) }
            let keyStart = at
            let key = try string()
            guard repeatedKeys || seen.insert(key).inserted else { throw SyntaxError(.repeatedKey(key), at: keyStart) }
            try expect(UInt8(ascii: ":"))
            try member(key, &self)
            switch try next() {
            case UInt8(ascii: ","):
                let comma = at - 1
                if try peek() == UInt8(ascii: "}") { throw SyntaxError(.trailingComma, at: comma) }
            case UInt8(ascii: "}"): return
            case let other: throw SyntaxError(.unexpected(other), at: at - 1)
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
            case UInt8(ascii: ","):
                let comma = at - 1
                if try peek() == UInt8(ascii: "]") { throw SyntaxError(.trailingComma, at: comma) }
            case UInt8(ascii: "]"): return
            case let other: throw SyntaxError(.unexpected(other), at: at - 1)
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
        guard try peek() == UInt8(ascii: "\"") else { throw Unreadable() }
        let quote = at
        at += 1
        let start = at
        // The common case: no escapes, taken as it stands.
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                defer { at += 1 }
                return try text(UnsafeRawBufferPointer(rebasing: bytes[start..<at]), quote: quote)
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw SyntaxError(.controlCharacter(byte), at: at) }
            at += 1
        }
        var out = Array(bytes[start..<at])
        while at < bytes.count {
            let byte = bytes[at]
            at += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try out.withUnsafeBytes { try text($0, quote: quote) }
            case UInt8(ascii: "\\"):
                let backslash = at - 1
                guard at < bytes.count else { throw SyntaxError(.unexpectedEnd, at: at) }
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
                    var unit = try hex4(escapeAt: backslash)
                    if (0xDC00...0xDFFF).contains(unit) { throw SyntaxError(.loneSurrogate, at: backslash) }
                    if (0xD800...0xDBFF).contains(unit) {
                        guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
                            throw SyntaxError(.loneSurrogate, at: backslash)
                        }
                        at += 2
                        let low = try hex4(escapeAt: at - 2)
                        guard (0xDC00...0xDFFF).contains(low) else { throw SyntaxError(.loneSurrogate, at: backslash) }
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(unit) else { throw SyntaxError(.loneSurrogate, at: backslash) }
                    out.append(contentsOf: String(Character(scalar)).utf8)
                default:
                    throw SyntaxError(.invalidEscape, at: backslash)
                }
            default:
                guard byte >= 0x20 else { throw SyntaxError(.controlCharacter(byte), at: at - 1) }
                out.append(byte)
            }
        }
        throw SyntaxError(.unexpectedEnd, at: at)
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
        var noPath: [PathStep]? = nil
        try walk(&noPath)
    }

    // MARK: Pieces

    /// A number, as a `Double` (a number too large for one is infinite).
    public mutating func double() throws -> Double {
        skipWhitespace()
        let start = at
        try number()
        guard let value = Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)) else {
            throw SyntaxError(.invalidNumber, at: start)
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws {
        let start = at
        func digits(_ scanner: inout JSONScanner) throws {
            guard scanner.at < scanner.bytes.count, isDigit(scanner.bytes[scanner.at]) else { throw SyntaxError(.invalidNumber, at: start) }
            while scanner.at < scanner.bytes.count, isDigit(scanner.bytes[scanner.at]) { scanner.at += 1 }
        }
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
        guard at < bytes.count else { throw SyntaxError(.invalidNumber, at: start) }
        if bytes[at] == UInt8(ascii: "0") {
            at += 1
            if at < bytes.count, isDigit(bytes[at]) { throw SyntaxError(.invalidNumber, at: start) }
        } else {
            try digits(&self)
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") { at += 1; try digits(&self) }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            try digits(&self)
        }
    }

    /// The four hex digits of a `\u` escape that starts at `escapeAt`.
    private mutating func hex4(escapeAt: Int) throws -> UInt32 {
        guard at + 4 <= bytes.count else { throw SyntaxError(.invalidEscape, at: escapeAt) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[at]
            let nibble: UInt8 = switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
            default: throw SyntaxError(.invalidEscape, at: escapeAt)
            }
            value = value << 4 | UInt32(nibble)
            at += 1
        }
        return value
    }

    /// The bytes as a string; invalid UTF-8 is not read (the error names the string's opening quote).
    private func text(_ utf8: UnsafeRawBufferPointer, quote: Int) throws -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else { throw SyntaxError(.invalidUTF8, at: quote) }
        return text
    }

    private mutating func literal(_ word: StaticString) throws {
        skipWhitespace()
        let count = word.utf8CodeUnitCount
        for i in 0..<count {
            guard at + i < bytes.count else { throw SyntaxError(.unexpectedEnd, at: at + i) }
            if bytes[at + i] != word.utf8Start[i] { throw SyntaxError(.unexpected(bytes[at + i]), at: at + i) }
        }
        at += count
    }

    private mutating func open(_ bracket: UInt8) throws {
        let byte = try next()
        guard byte == bracket else { throw Unreadable() }
        depth += 1
        guard depth <= maxDepth else { throw SyntaxError(.tooDeep(limit: maxDepth), at: at - 1) }
    }

    private mutating func expect(_ byte: UInt8) throws {
        let found = try next()
        guard found == byte else { throw SyntaxError(.unexpected(found), at: at - 1) }
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
        guard at < bytes.count else { throw SyntaxError(.unexpectedEnd, at: at) }
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
