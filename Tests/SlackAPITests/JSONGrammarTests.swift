import Foundation
@testable import SlackAPI
import Testing

/// Herald's one JSON grammar (`JSONScanner.validate`): exactly RFC 8259, no key twice in one
/// object, no half surrogate pair, 512 levels; each refusal says what and where. Judged against a
/// strict reference built on Python's `json` (`Fixtures/make_json_corpus.py` writes
/// `Fixtures/json_corpus.json`), and against `JSONDecoder` for what it accepts.
@Suite struct JSONGrammarTests {
    typealias Reason = JSONScanner.SyntaxError.Reason

    static func validate(_ text: String) -> JSONScanner.SyntaxError? {
        validate(Array(text.utf8))
    }

    static func validate(_ bytes: [UInt8]) -> JSONScanner.SyntaxError? {
        bytes.withUnsafeBytes { JSONScanner.validate($0) }
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var text: String
        var reason: Reason
        var offset: Int
        var path = ""
        var testDescription: String { text }
    }

    @Test("trailing commas, at any depth, are refused where they stand", arguments: [
        Refusal(text: #"{"a":"b",}"#, reason: .trailingComma, offset: 8),
        Refusal(text: #"[1,]"#, reason: .trailingComma, offset: 2),
        Refusal(text: #"{"tags":{"a":"b",}}"#, reason: .trailingComma, offset: 16, path: "tags"),
        Refusal(text: #"{"x":[{"y":[1, 2 ,]}]}"#, reason: .trailingComma, offset: 17, path: "x[0].y"),
        Refusal(text: "[1 ,\n]", reason: .trailingComma, offset: 3),
    ])
    func trailingCommas(_ c: Refusal) throws {
        let error = try #require(Self.validate(c.text))
        #expect(error.reason == c.reason)
        #expect(error.offset == c.offset)
        #expect(error.path == c.path)
    }

    @Test("numbers outside RFC 8259 §6, inside fields Herald ignores too", arguments: ["01", "1.", "-", "1e", "--1", "1e+", "-01", "1.e3", "00"])
    func numbers(_ number: String) throws {
        let error = try #require(Self.validate(#"{"type":"notification","ignored":\#(number)}"#))
        #expect(error.reason == .invalidNumber)
        #expect(error.path == "ignored")
        #expect(error.offset == 33)
    }

    @Test("bytes that cannot start a value", arguments: [("+1", UInt8(ascii: "+")), (".5", UInt8(ascii: ".")), ("NaN", UInt8(ascii: "N")),
                                                         ("Infinity", UInt8(ascii: "I")), ("'x'", UInt8(ascii: "'")), ("0x10", UInt8(ascii: "x"))])
    func unexpected(_ value: String, _ byte: UInt8) throws {
        let error = try #require(Self.validate("[\(value)]"))
        #expect(error.reason == .unexpected(byte))
    }

    @Test("escapes and surrogates", arguments: [
        Refusal(text: #"{"i":"\q"}"#, reason: .invalidEscape, offset: 6, path: "i"),
        Refusal(text: #"{"i":"\uZZZZ"}"#, reason: .invalidEscape, offset: 6, path: "i"),
        Refusal(text: #"{"i":"\u12"}"#, reason: .invalidEscape, offset: 6, path: "i"),
        Refusal(text: #"{"i":"\ud800"}"#, reason: .loneSurrogate, offset: 6, path: "i"),
        Refusal(text: #"{"i":"\udc00x"}"#, reason: .loneSurrogate, offset: 6, path: "i"),
        Refusal(text: #"{"i":"a\ud800\u0041"}"#, reason: .loneSurrogate, offset: 7, path: "i"),
        Refusal(text: #"{"\ud800":1}"#, reason: .loneSurrogate, offset: 2),
    ])
    func escapes(_ c: Refusal) throws {
        let error = try #require(Self.validate(c.text))
        #expect(error.reason == c.reason)
        #expect(error.offset == c.offset)
        #expect(error.path == c.path)
    }

    @Test("raw bytes: control characters and invalid UTF-8 in strings, anything outside them")
    func rawBytes() throws {
        #expect(Self.validate(Array(#"{"i":"a"#.utf8) + [0x01] + Array(#""}"#.utf8))?.reason == .controlCharacter(0x01))
        #expect(Self.validate(Array(#"{"i":"a"#.utf8) + [0x09] + Array(#""}"#.utf8))?.reason == .controlCharacter(0x09))
        let xff = try #require(Self.validate(Array(#"{"i":""#.utf8) + [0xFF] + Array(#""}"#.utf8)))
        #expect(xff.reason == .invalidUTF8)
        #expect(xff.offset == 5)
        #expect(xff.path == "i")
        // UTF-8 of a surrogate (ED A0 80), and a cut sequence.
        #expect(Self.validate(Array(#"[""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""]"#.utf8))?.reason == .invalidUTF8)
        #expect(Self.validate(Array(#"[""#.utf8) + [0xE2, 0x82] + Array(#""]"#.utf8))?.reason == .invalidUTF8)
        #expect(Self.validate([0xEF, 0xBB, 0xBF] + Array("{}".utf8))?.reason == .unexpected(0xEF))
        #expect(Self.validate([0xFF])?.reason == .unexpected(0xFF))
        // DEL and escaped NUL are allowed.
        #expect(Self.validate(Array(#"["a"#.utf8) + [0x7F] + Array(#""]"#.utf8)) == nil)
        #expect(Self.validate(#"["\u0000"]"#) == nil)
    }

    @Test("a repeated key is refused with the key's own path, whatever its Unicode form", arguments: [
        Refusal(text: #"{"type":"incident","action":"trigger","key":"k","action":"resolve"}"#, reason: .repeatedKey("action"), offset: 48, path: "action"),
        Refusal(text: #"{"tags":{"\u00e9":"composed","e\u0301":"decomposed"}}"#, reason: .repeatedKey("e\u{301}"), offset: 29, path: "tags.e\u{301}"),
        Refusal(text: #"{"alerts":[{"labels":{"a":"1"}},{"labels":{"b":"1","b":"2"}}]}"#, reason: .repeatedKey("b"), offset: 51, path: "alerts[1].labels.b"),
        Refusal(text: #"{"a":1,"\u0061":2}"#, reason: .repeatedKey("a"), offset: 7, path: "a"),
    ])
    func repeatedKeys(_ c: Refusal) throws {
        let error = try #require(Self.validate(c.text))
        #expect(error.reason == c.reason)
        #expect(error.offset == c.offset)
        #expect(error.path == c.path)
    }

    @Test("512 levels are read, 513 are refused, with the limit in the words", arguments: [511, 512, 513, 2_000])
    func depth(_ levels: Int) throws {
        let arrays = String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
        let objects = String(repeating: #"{"a":"#, count: levels) + "1" + String(repeating: "}", count: levels)
        for text in [arrays, objects] {
            let error = Self.validate(text)
            if levels <= 512 {
                #expect(error == nil)
            } else {
                #expect(error?.reason == .tooDeep(limit: 512))
                #expect(error?.description.contains("deeper than 512 levels") == true)
            }
        }
    }

    @Test("structure: ends, extra data, missing colons and commas, empty input")
    func structure() {
        #expect(Self.validate("")?.reason == .unexpectedEnd)
        #expect(Self.validate(" \n")?.reason == .unexpectedEnd)
        #expect(Self.validate(#"{"type":"#)?.path == "type")
        #expect(Self.validate(#"{"a":1} x"#)?.reason == .extraData)
        #expect(Self.validate("{}{}")?.reason == .extraData)
        #expect(Self.validate(#"{"a" 1}"#)?.reason == .unexpected(UInt8(ascii: "1")))
        #expect(Self.validate("[1 2]")?.reason == .unexpected(UInt8(ascii: "2")))
        #expect(Self.validate("[tru]")?.reason == .unexpected(UInt8(ascii: "]")))
        #expect(Self.validate("[nul")?.reason == .unexpectedEnd)
        #expect(Self.validate("\u{0C}{}")?.reason == .unexpected(0x0C))
        #expect(Self.validate(" \t\r\n{\"a\" : [ 1 , -0.5e+3 , true , null , \"\\/\" ] }\n") == nil)
        #expect(Self.validate("1e999") == nil)
    }

    @Test("each refusal says what and where in words")
    func words() throws {
        let comma = try #require(Self.validate(#"{"tags":{"a":"b",}}"#))
        #expect(comma.description == "a comma before a closing bracket at byte 16, in tags (JSON has no trailing commas)")
        let key = try #require(Self.validate(#"{"a":1,"a":2}"#))
        #expect(key.description == #"the key "a" appears twice in one object at byte 7, in a"#)
    }

    // MARK: The differential

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var base64: String
        var valid: Bool
        var why: String
        var bytes: [UInt8] { Array(Data(base64Encoded: base64) ?? Data()) }
        var testDescription: String { name }
    }

    struct Corpus: Decodable {
        var generator: String
        var cases: [Case]
    }

    static let corpus: [Case] = (try? Fixture.decode(Corpus.self, from: "json_corpus").cases) ?? []

    @Test("the corpus is there, with every class of the reference in it")
    func corpusIsThere() {
        #expect(Self.corpus.count > 1_500)
        let whys = Set(Self.corpus.map(\.why))
        for why in ["valid", "JSONDecodeError", "invalid utf-8", "lone surrogate", "repeated key", "too deep", "constant NaN"] {
            #expect(whys.contains(why), "\(why)")
        }
    }

    @Test("every verdict of the strict reference, and its class where it has one")
    func agreesWithTheReference() {
        var disagreements: [String] = []
        for c in Self.corpus {
            let error = Self.validate(c.bytes)
            if (error == nil) != c.valid {
                disagreements.append("\(c.name): reference \(c.why), Herald \(error.map(String.init(describing:)) ?? "valid")")
                continue
            }
            // Where a probe stands alone, the first fault is the probe's, and so is its class.
            guard c.name.hasPrefix("probe") || c.name.contains("depth") else { continue }
            switch (c.why, error?.reason) {
            case ("repeated key", .repeatedKey?), ("lone surrogate", .loneSurrogate?), ("too deep", .tooDeep?),
                 ("constant NaN", .unexpected?), ("constant Infinity", .unexpected?), ("constant -Infinity", .invalidNumber?),
                 ("valid", nil), ("JSONDecodeError", _):
                break
            default:
                disagreements.append("\(c.name): reference \(c.why), Herald \(error.map(String.init(describing:)) ?? "valid")")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(20).joined(separator: "\n"))")
    }

    @Test("whatever the grammar accepts, JSONDecoder reads, and reads as the scanner does")
    func foundationReadsWhatItAccepts() {
        var mismatches: [String] = []
        for c in Self.corpus where Self.validate(c.bytes) == nil {
            let data = Data(c.bytes)
            let scanned = data.withUnsafeBytes { JSONScanner.read($0, maxDepth: JSONScanner.maxDepth) { try $0.value() } }
            // Numbers beyond a Double are in the grammar, but JSONDecoder holds none as a value.
            if let scanned, Self.hasInfinity(scanned) { continue }
            let decoded = try? JSONDecoder().decode(SlackAPI.JSONValue.self, from: data)
            if scanned == nil || decoded == nil || scanned != decoded {
                mismatches.append("\(c.name): scanner \(String(describing: scanned)), JSONDecoder \(String(describing: decoded))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    static func hasInfinity(_ value: SlackAPI.JSONValue) -> Bool {
        switch value {
        case .number(let n): !n.isFinite
        case .array(let a): a.contains(where: hasInfinity)
        case .object(let o): o.values.contains(where: hasInfinity)
        default: false
        }
    }
}
