import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// Tags are stored as Foundation writes them; the direct path must give the same text and read
/// back the same values, for plain tags and for every case it leaves to Foundation.
@Suite struct TagsJSONTests {
    static func foundation(_ tags: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(tags), as: UTF8.self)
    }

    static let cases: [[String: String]] = [
        [:], ["env": "prod"], ["env": "prod", "region": "eu-west-1", "team": "payments"],
        // Sorted as Foundation sorts: uppercase before lowercase, "a10" before "a9", punctuation by code point.
        ["a10": "1", "a9": "2", "B": "3", "a": "4", "_": "5", "Z": "6", "aB": "7", "ab": "8", "a-b": "9", "a.b": "0"],
        ["": "", " ": " ", "key with spaces": "value with spaces", "~!@#$%^&*()": "{}[]:,;'`<>?|="],
        // Left to Foundation: quote, backslash, slash, control characters, non-ASCII, U+2028.
        ["q": "say \"hi\""], ["path": "a\\b"], ["url": "https://example.com/x"], ["tab": "a\tb", "nl": "a\nb"],
        ["del": "\u{7F}"], ["name": "café", "emoji": "🔥"], ["sep": "a\u{2028}b"], ["k\"ey": "v"], ["é": "x", "e": "y"],
    ]

    @Test("writes what JSONEncoder with sorted keys writes", arguments: cases)
    func encodes(_ tags: [String: String]) {
        #expect(TagsJSON.encode(tags) == Self.foundation(tags))
    }

    @Test("reads back what it wrote, and what JSONEncoder wrote", arguments: cases)
    func roundTrips(_ tags: [String: String]) {
        #expect(TagsJSON.decode(TagsJSON.encode(tags)) == tags)
        #expect(TagsJSON.decode(Self.foundation(tags)) == tags)
    }

    @Test("reads any other text as JSONDecoder does, and text it cannot read as no tags", arguments: [
        "{ \"a\" : \"1\" , \"b\":\"2\" }", "{\"a\":\"\\u0041\\/\"}", "{\"a\":\"1\",\"a\":\"2\"}", "{\"a\":\"1\",}",
        "{\"a\":1}", "{\"a\"}", "[]", "", "{", "{\"a\":\"1\"", "{\"a\":\"1\"}}", "{\"a\":\"1\" \"b\":\"2\"}", "null", "{\"a\":\"\u{1}\"}",
    ])
    func decodesOther(_ text: String) {
        let foundation = (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
        #expect(TagsJSON.decode(text) == foundation)
    }

    @Test func readsEscapesAndSpacing() {
        #expect(TagsJSON.decode("{ \"a\" : \"1\" , \"b\":\"2\" }") == ["a": "1", "b": "2"])
        #expect(TagsJSON.decode("{\"a\":\"\\u0041\\/\"}") == ["a": "A/"])
        #expect(TagsJSON.decode("{\"a\":1}") == [:])
        #expect(TagsJSON.decode("{\"a\":\"1\"") == [:])
    }

    @Test("agrees with Foundation on random plain and unplain tags")
    func randomTags() {
        var generator = SeededGenerator(seed: 9)
        let alphabet = Array("aAzZ09 -_.:~\"\\/\u{7F}\té🔥")
        for _ in 0..<500 {
            var tags: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                func word() -> String { String((0..<Int.random(in: 0...5, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }) }
                tags[word()] = word()
            }
            let text = TagsJSON.encode(tags)
            #expect(text == Self.foundation(tags))
            #expect(TagsJSON.decode(text) == tags)
        }
    }
}
