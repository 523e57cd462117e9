import Foundation
import SlackAPI
import Testing

/// The sandbox's JSON: parsed as Slack would read it, written back faithfully.
@Suite("Sandbox JSON values")
struct JSONValueTests {
    @Test("parsing keeps each kind of value", arguments: [
        (#"{"a":true,"b":false,"c":1,"d":0,"e":1.5,"f":"x","g":null,"h":[true,1,"1"],"i":{}}"#,
         JSONValue.object(["a": .bool(true), "b": .bool(false), "c": .number(1), "d": .number(0), "e": .number(1.5), "f": .string("x"),
                           "g": .null, "h": .array([.bool(true), .number(1), .string("1")]), "i": .object([:])])),
        (#""caf\u00e9 \"quoted\" \\ /slash""#, .string("café \"quoted\" \\ /slash")),
        ("[]", .array([])),
        ("-12.25e1", .number(-122.5)),
        (#" { "emoji" : "\ud83d\ude80 ok" } "#, .object(["emoji": .string("🚀 ok")])),
        (#"[[[]],{"a":[{}]}]"#, .array([.array([.array([])]), .object(["a": .array([.object([:])])])])),
    ])
    func parse(text: String, expected: JSONValue) throws {
        let parsed = try #require(JSONValue.parse(Data(text.utf8)))
        #expect(parsed == expected)
        // What it writes parses back to the same value, and Foundation reads it too.
        let written = parsed.encoded()
        #expect(JSONValue.parse(written) == parsed)
        #expect((try? JSONSerialization.jsonObject(with: written, options: [.fragmentsAllowed])) != nil)
    }

    @Test("invalid JSON is refused", arguments: ["", "{", "[1,]", "{'a':1}", "tru", "01", "1.", "\"a", "\"\u{01}\"", "{\"a\" 1}", "[1] x", "\"\\ud83d\"", String(repeating: "[", count: 600) + String(repeating: "]", count: 600)])
    func invalid(text: String) {
        #expect(JSONValue.parse(Data(text.utf8)) == nil)
    }

    @Test("writing: sorted keys, escapes for quotes, backslashes and control characters, integers without a fraction")
    func writing() {
        let value: JSONValue = ["b": "line\nbreak\t\u{01}\"q\"\\", "a": .number(3), "c": .number(0.5), "d": .bool(false)]
        let text = String(decoding: value.encoded(), as: UTF8.self)
        #expect(text == #"{"a":3,"b":"line\nbreak\t\u0001\"q\"\\","c":0.5,"d":false}"#)
    }
}
