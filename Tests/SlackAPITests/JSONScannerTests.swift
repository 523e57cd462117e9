import Foundation
import HeraldTestSupport
@testable import SlackAPI
import Testing

/// The scanner reads only what JSONDecoder reads the same way: whatever it returns, Foundation
/// returns too, for documents well formed or not.
@Suite struct JSONScannerTests {
    static func scan<T>(_ text: String, _ body: (inout JSONScanner) throws -> T) -> T? {
        Data(text.utf8).withUnsafeBytes { JSONScanner.read($0, body) }
    }

    @Test("reads strings as JSONDecoder does", arguments: [
        #""""#, #""plain""#, #""caf\u00e9 \u00E9""#, #""\ud83d\udd25 fire""#, #""tab\tnew\nline\r\"q\" \\ \/ \b\f""#,
        #""\u0000""#, "\"été 🔥\"", #"  "spaced"  "#,
    ])
    func strings(_ text: String) throws {
        let foundation = try JSONDecoder().decode(String.self, from: Data(text.utf8))
        #expect(Self.scan(text) { try $0.string() } == foundation)
    }

    @Test("refuses what is not JSON, and what it is unsure of", arguments: [
        "", " ", "{", "}", "[", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "[01]", "[1.]", "[.5]", "[1e]", "[+1]", "[-]",
        "[tru]", "[nul]", "[True]", "{'a':1}", "{a:1}", "\"unterminated", "\"bad \\x escape\"", "\"\\u12\"", "\"\\ud83d\"",
        "\"\\udd25\"", "\"\\ud83d\\u0041\"", "\"raw\ttab\"", "{\"a\":1}{}", "{\"a\":1} x", "{\"a\":1,\"a\":2}", "\u{FEFF}{}",
        String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
    ])
    func refuses(_ text: String) {
        #expect(Self.scan(text) { try $0.skip() } == nil)
    }

    @Test("reads every well-formed value it skips", arguments: [
        "{}", "[]", "0", "-0", "1.5e-3", "12E+2", "true", "false", "null", "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}",
        " \t\n\r[ 1 , 2 ] ", String(repeating: "[", count: 64) + String(repeating: "]", count: 64),
    ])
    func skips(_ text: String) {
        #expect(Self.scan(text) { try $0.skip() } != nil)
        #expect((try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) != nil)
    }

    @Test("refuses invalid UTF-8")
    func invalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(bytes.withUnsafeBytes { JSONScanner.read($0) { try $0.string() } } == nil)
    }

    static let posted = #"""
        {"ok":true,"channel":"C0123","ts":"1700000000.000100","message":{"type":"message","text":"[TRIGGERED] x","attachments":[{"color":"#D32F2F","blocks":[{"type":"header","text":{"type":"plain_text","text":"\ud83d\udd34 x"}}]}],"bot_id":"B1","ts":"1700000000.000100"},"warning":"superfluous_charset","response_metadata":{"warnings":["superfluous_charset"]}}
        """#

    static func foundation(_ data: Data) -> PostedMessage? {
        (try? JSONDecoder().decode(SlackClient.Reply<PostedMessage>.self, from: data))?.answer
    }

    @Test("a post's answer: what Reply<PostedMessage> gives, channel and ts of the top level")
    func postedAnswer() {
        let data = Data(Self.posted.utf8)
        let scanned = data.withUnsafeBytes { JSONScanner.read($0) { try PostedMessage.scanReply(&$0) } }
        #expect(scanned == PostedMessage(channel: "C0123", ts: "1700000000.000100"))
        #expect(scanned == Self.foundation(data))
        for refused in [#"{"ok":false,"error":"channel_not_found"}"#, #"{"ok":"true","channel":"C","ts":"1"}"#,
                        #"{"ok":true,"channel":"C"}"#, #"{"ok":true,"channel":1,"ts":"1"}"#] {
            #expect(Data(refused.utf8).withUnsafeBytes { JSONScanner.read($0) { try PostedMessage.scanReply(&$0) } } == nil)
        }
    }

    @Test("a post's answer mangled 4,000 ways: whatever the scanner reads, JSONDecoder reads alike")
    func mangledAnswers() {
        var read = 0
        for bytes in mangled(Self.posted, count: 4_000, seed: 9) {
            let data = Data(bytes)
            guard let scanned = data.withUnsafeBytes({ JSONScanner.read($0) { try PostedMessage.scanReply(&$0) } }) else { continue }
            read += 1
            #expect(scanned == Self.foundation(data), "\(String(decoding: bytes, as: UTF8.self))")
        }
        // Many mangled answers are still well formed (a changed letter in a skipped text): the test saw some.
        #expect(read > 100)
    }
}
