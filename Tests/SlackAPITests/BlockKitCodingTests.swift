import Foundation
import SlackAPI
import Testing

/// Block Kit JSON in Slack's own shape, checked against recorded payloads.
@Suite struct BlockKitCodingTests {
    @Test func messageFixtureRoundTrips() throws {
        // setup
        let recorded = try Fixture.data("block_kit_message")

        // MUT
        let message = try JSONDecoder().decode(SlackMessage.self, from: recorded)
        let encoded = try JSONEncoder().encode(message)

        // validate
        #expect(try JSONValue(encoded) == JSONValue(recorded))
        #expect(try JSONDecoder().decode(SlackMessage.self, from: encoded) == message)
    }

    @Test func messageFixtureDecodesIntoTheExpectedValues() throws {
        let message = try Fixture.decode(SlackMessage.self, from: "block_kit_message")

        #expect(message.channel == "C123ABC456")
        #expect(message.threadTS == "1503435956.000247")
        #expect(message.unfurlLinks == false)
        #expect(message.blocks?.map(\.type) == ["header", "section", "context", "divider", "actions"])
        #expect(
            message.blocks?.first
                == .header(HeaderBlock(text: .plain(":rotating_light: Disk full on db-1", emoji: true), blockID: "incident.header")))
        guard case .section(let section) = message.blocks?[1], case .actions(let actions) = message.blocks?[4] else {
            Issue.record("unexpected block order")
            return
        }
        #expect(section.fields?.count == 5)
        #expect(section.fields?.first == .mrkdwn("*Severity*\ncritical"))
        #expect(actions.elements.map(\.actionID) == ["incident.acknowledge", "incident.resolve", "incident.reassign", "incident.open"])
        #expect(
            actions.elements[0]
                == .button(
                    ButtonElement(
                        text: .plain("Acknowledge", emoji: true), actionID: "incident.acknowledge", value: "inc_42",
                        style: .primary)))
        guard case .staticSelect(let select) = actions.elements[2] else {
            Issue.record("expected a static select")
            return
        }
        #expect(select.options == [OptionObject("Ada Lovelace", value: "ada@example.com"), OptionObject("Grace Hopper", value: "grace@example.com")])
        #expect(select.initialOption == OptionObject("Ada Lovelace", value: "ada@example.com"))
        #expect(message.attachments?.first?.color == "#E01E5A")
        #expect(message.attachments?.first?.blocks?.count == 1)
    }

    @Test func builtMessageEncodesToSlacksKeys() throws {
        let message = SlackMessage(
            channel: "C1", text: "fallback",
            blocks: [
                .header(HeaderBlock("Title")),
                .section(
                    SectionBlock(
                        text: .mrkdwn("body"), fields: [.mrkdwn("*a*")],
                        accessory: .button(ButtonElement(text: .plain("Go"), actionID: "go", url: "https://x.example")),
                        blockID: "b1")),
                .context(ContextBlock(elements: [.plain("small")])),
                .actions(
                    ActionsBlock(
                        elements: [
                            .staticSelect(
                                StaticSelectElement(
                                    placeholder: .plain("Pick"), actionID: "pick", options: [OptionObject("One", value: "1")],
                                    initialOption: OptionObject("One", value: "1")))
                        ], blockID: "acts")),
                .divider(DividerBlock()),
            ],
            attachments: [Attachment(color: "good", blocks: [.divider(DividerBlock(blockID: "d"))], fallback: "f", text: "t")],
            threadTS: "123.456", unfurlLinks: true)

        let json = try JSONValue(encoding: message)

        let expected = try JSONValue(
            Data(
                #"""
                {"channel":"C1","text":"fallback","thread_ts":"123.456","unfurl_links":true,
                 "blocks":[
                   {"type":"header","text":{"type":"plain_text","text":"Title"}},
                   {"type":"section","block_id":"b1","text":{"type":"mrkdwn","text":"body"},
                    "fields":[{"type":"mrkdwn","text":"*a*"}],
                    "accessory":{"type":"button","action_id":"go","text":{"type":"plain_text","text":"Go"},"url":"https://x.example"}},
                   {"type":"context","elements":[{"type":"plain_text","text":"small"}]},
                   {"type":"actions","block_id":"acts","elements":[
                     {"type":"static_select","action_id":"pick","placeholder":{"type":"plain_text","text":"Pick"},
                      "options":[{"text":{"type":"plain_text","text":"One"},"value":"1"}],
                      "initial_option":{"text":{"type":"plain_text","text":"One"},"value":"1"}}]},
                   {"type":"divider"}],
                 "attachments":[{"color":"good","blocks":[{"type":"divider","block_id":"d"}],"fallback":"f","text":"t"}]}
                """#.utf8))
        #expect(json == expected)
    }

    @Test func modalFixtureRoundTripsWithTypeModal() throws {
        let recorded = try Fixture.data("modal_view")

        let view = try JSONDecoder().decode(ModalView.self, from: recorded)
        let encoded = try JSONValue(encoding: view)

        #expect(encoded == (try JSONValue(recorded)))
        #expect(encoded["type"] == .string("modal"))
        #expect(view.callbackID == "create_incident")
        #expect(view.privateMetadata == #"{"project":"prj_1"}"#)
        guard case .input(let title) = view.blocks[1], case .plainTextInput(let input) = title.element else {
            Issue.record("expected a text input")
            return
        }
        #expect(input.maxLength == 150)
        #expect(title.blockID == "title")
    }

    @Test(arguments: ["image", "rich_text", "video"])
    func unknownBlockTypeIsADecodingErrorNamingIt(type: String) {
        let json = Data(#"[{"type":"\#(type)","block_id":"x"}]"#.utf8)
        do {
            _ = try JSONDecoder().decode([Block].self, from: json)
            Issue.record("decoded an unsupported block")
        } catch let error as DecodingError {
            #expect("\(error)".contains(type))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func unknownElementTypeIsADecodingErrorNamingIt() {
        let json = Data(#"{"type":"actions","elements":[{"type":"datepicker","action_id":"d"}]}"#.utf8)
        #expect {
            try JSONDecoder().decode(Block.self, from: json)
        } throws: { error in
            error is DecodingError && "\(error)".contains("datepicker")
        }
    }
}
