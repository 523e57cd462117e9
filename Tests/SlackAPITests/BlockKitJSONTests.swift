import Foundation
@testable import SlackAPI
import Testing

/// The Block Kit types' own JSON writer (``BlockKitJSON``) against `JSONEncoder` with the Slack
/// client's settings: the same bytes for every type, every optional left out or present, and every
/// character a string can hold.
@Suite struct BlockKitJSONTests {
    static func encoderBytes(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func writerBytes(_ value: some BlockKitJSON) -> String {
        String(decoding: value.jsonData, as: UTF8.self)
    }

    /// Every control character, quote, backslash, slash, DEL, non-ASCII and the line separators.
    static let awkward = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }.joined()
        + #"" \ / </a> \u{7F} é 🚨 \u{2028}\u{2029} ""# + "\u{0}end"

    static let everyBlock: [Block] = [
        .header(HeaderBlock(text: .plain(awkward, emoji: true), blockID: "h")),
        .header(HeaderBlock("plain")),
        .section(SectionBlock(text: .mrkdwn("*x*"), fields: [.mrkdwn("a"), .plain("b", emoji: false)],
                              accessory: .button(ButtonElement(text: .plain("Go"), actionID: "go", value: "v", style: .danger,
                                                               url: "https://x.example/a/b?c=d&e")),
                              blockID: "s")),
        .section(SectionBlock()),
        .section(SectionBlock(fields: [])),
        .context(ContextBlock(elements: [.mrkdwn(awkward), .plain("p")], blockID: "c")),
        .context(ContextBlock(elements: [])),
        .actions(ActionsBlock(elements: [
            .button(ButtonElement(text: .plain("Ack"), actionID: "ack", style: .primary)),
            .staticSelect(StaticSelectElement(placeholder: .plain("Pick"), actionID: "pick",
                                              options: [OptionObject("One", value: "1"), OptionObject(awkward, value: awkward)],
                                              initialOption: OptionObject("One", value: "1"))),
            .staticSelect(StaticSelectElement(actionID: "bare", options: [])),
        ], blockID: "a")),
        .divider(DividerBlock()),
        .divider(DividerBlock(blockID: "d")),
        .input(InputBlock(label: .plain("Why"), element: .plainTextInput(PlainTextInputElement(
            actionID: "why", multiline: true, placeholder: .plain("…"), initialValue: awkward, maxLength: 3000)),
                          blockID: "i", optional: false, hint: .plain("hint"))),
        .input(InputBlock(label: .plain("Bare"), element: .plainTextInput(PlainTextInputElement(actionID: "bare")))),
    ]

    static let messages: [SlackMessage] = [
        SlackMessage(channel: "C1", text: "only text"),
        SlackMessage(channel: "", text: awkward),
        SlackMessage(channel: "C2", text: "all", blocks: everyBlock,
                     attachments: [Attachment(color: "#E01E5A", blocks: everyBlock, fallback: "f", text: awkward), Attachment()],
                     threadTS: "1503435956.000247", unfurlLinks: false),
        SlackMessage(channel: "C3", text: "empty lists", blocks: [], attachments: [], unfurlLinks: true),
    ]

    @Test("a message's bytes are JSONEncoder's", arguments: 0..<messages.count)
    func messageBytes(_ index: Int) throws {
        let message = Self.messages[index]
        #expect(Self.writerBytes(message) == (try Self.encoderBytes(message)))
    }

    @Test func recordedMessageFixtureBytes() throws {
        let message = try Fixture.decode(SlackMessage.self, from: "block_kit_message")
        #expect(Self.writerBytes(message) == (try Self.encoderBytes(message)))
    }

    @Test("an update's bytes are JSONEncoder's", arguments: [nil, everyBlock] as [[Block]?])
    func updateBytes(_ blocks: [Block]?) throws {
        let body = SlackClient.UpdateBody(channel: "C1", ts: "1.2", text: Self.awkward, blocks: blocks,
                                          attachments: blocks.map { [Attachment(color: "good", blocks: $0)] })
        #expect(Self.writerBytes(body) == (try Self.encoderBytes(body)))
    }

    @Test func writtenJSONDecodesBackToTheMessage() throws {
        let message = Self.messages[2]
        #expect(try JSONDecoder().decode(SlackMessage.self, from: message.jsonData) == message)
    }
}
