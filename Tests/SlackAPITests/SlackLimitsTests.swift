import Foundation
import HeraldTestSupport
import SlackAPI
import Testing

/// SPEC §2: messages stay within Slack's limits by cutting with an ellipsis, never by failing; and the
/// validator that fakes use agrees exactly with `clamped()`.
@Suite struct SlackLimitsTests {
    func section(_ text: String) -> Block {
        .section(SectionBlock(text: .mrkdwn(text)))
    }

    // MARK: truncated

    @Test(arguments: [
        ("short", 10, "short"), ("exactly10!", 10, "exactly10!"), ("eleven char", 10, "eleven ch…"),
        ("abc", 1, "…"), ("abc", 0, ""), ("word then space", 10, "word then…"), ("a     b", 4, "a…"),
    ])
    func truncatedCutsWithAnEllipsis(input: String, max: Int, expected: String) {
        let result = SlackLimits.truncated(input, to: max)
        #expect(result == expected)
        #expect(result.count <= max)
    }

    @Test func truncatedNeverSplitsAGraphemeCluster() {
        let family = "👩‍👩‍👧‍👦"  // seven scalars, one Character
        let flag = "🇫🇷"
        let skin = "👍🏽"
        for max in 1...12 {
            let text = String(repeating: "a", count: 4) + family + flag + skin + "e\u{301}" + family + "tail"
            let cut = SlackLimits.truncated(text, to: max)
            #expect(cut.unicodeScalars.count <= max)
            #expect(cut.hasSuffix("…"))
            let kept = cut.dropLast()
            #expect(text.hasPrefix(kept), "cut \(max) kept \(kept) which is not a whole-character prefix")
            for character in kept {
                #expect(text.contains(character))
            }
        }
        // Limits count Unicode scalars: the family is seven, so it fits in 10 but not in 4 (and is never cut in half).
        #expect(SlackLimits.truncated("ab" + family + "cd", to: 10) == "ab" + family + "…")
        #expect(SlackLimits.truncated("ab" + family + "cd", to: 4) == "ab…")
        // One Character of a letter and 100,000 combining marks is 100,001 scalars: dropped whole.
        let zalgo = "Z" + String(repeating: "\u{301}", count: 100_000)
        #expect(SlackLimits.truncated(zalgo, to: 200) == "…")
    }

    // MARK: clamping

    @Test func sixtyBlocksBecomeFiftyWithASummary() {
        let message = SlackMessage(channel: "C1", text: "x", blocks: (1...60).map { section("Block \($0)") })

        let clamped = message.clamped()

        let blocks = clamped.blocks ?? []
        #expect(blocks.count == 50)
        #expect(blocks[48] == section("Block 49"))
        #expect(blocks[49] == .context(ContextBlock(elements: [.mrkdwn("… 11 more blocks not shown")])))
        #expect(SlackLimits.violations(in: message).contains { $0.contains("60 blocks") })
        #expect(SlackLimits.violations(in: clamped).isEmpty)
    }

    @Test func fiftyBlocksAreLeftAlone() {
        let blocks = (1...50).map { section("Block \($0)") }
        #expect(blocks.clamped() == blocks)
        #expect(SlackLimits.violations(in: blocks).isEmpty)
    }

    @Test func longSectionIsCutTo3000() {
        let block = section(String(repeating: "x", count: 5000))

        guard case .section(let clamped) = block.clamped() else {
            Issue.record("section changed type")
            return
        }

        let text = clamped.text?.text ?? ""
        #expect(text.count == 3000)
        #expect(text.hasSuffix("…"))
        #expect(SlackLimits.violations(in: [block]) == ["blocks[0] (section).text: 5000 characters, more than 3000"])
    }

    @Test func longHeaderIsCutTo150() {
        let block = Block.header(HeaderBlock(String(repeating: "h", count: 200)))
        guard case .header(let header) = block.clamped() else {
            Issue.record("header changed type")
            return
        }
        #expect(header.text.text.count == 150)
        #expect(header.text.text.hasSuffix("…"))
    }

    @Test func longButtonTextIsCutTo75() {
        let block = Block.actions(
            ActionsBlock(elements: [.button(ButtonElement(text: .plain(String(repeating: "b", count: 100)), actionID: "a"))]))
        guard case .actions(let actions) = block.clamped(), case .button(let button) = actions.elements.first else {
            Issue.record("actions changed shape")
            return
        }
        #expect(button.text.text.count == 75)
        #expect(button.text.text.hasSuffix("…"))
    }

    @Test func emojiAtTheCutSurvive() {
        // 2998 letters then emoji: the cut at 3000 lands among multi-scalar characters.
        let text = String(repeating: "a", count: 2998) + "👩‍💻🇫🇷👍🏽" + String(repeating: "z", count: 10)
        guard case .section(let clamped) = section(text).clamped(), let cut = clamped.text?.text else {
            Issue.record("no text")
            return
        }
        // 👩‍💻 is three scalars: 2998 + 3 would pass 2999, so the cut comes before it.
        #expect(cut.unicodeScalars.count == 2999)
        #expect(cut == String(repeating: "a", count: 2998) + "…")
        #expect(cut.unicodeScalars.allSatisfy { $0.properties.generalCategory != .unassigned })
    }

    @Test func fieldsAndOptionsAndModalsAreClamped() {
        let options = (1...120).map { OptionObject(String(repeating: "o", count: 90), value: "v\($0)" + String(repeating: "v", count: 200)) }
        let message = SlackMessage(
            channel: "C1", text: String(repeating: "t", count: 40_500),
            blocks: [
                .section(SectionBlock(fields: (1...12).map { _ in .mrkdwn(String(repeating: "f", count: 2500)) })),
                .context(ContextBlock(elements: (1...12).map { .mrkdwn("c\($0)") })),
                .actions(
                    ActionsBlock(elements: [
                        .staticSelect(StaticSelectElement(actionID: "pick", options: options, initialOption: options[110]))
                    ])),
                .header(HeaderBlock(text: .mrkdwn("*bold*"))),
            ],
            attachments: (1...101).map { _ in Attachment(color: "danger") })

        let clamped = message.clamped()

        #expect(clamped.text.count == 40_000)
        #expect(clamped.attachments?.count == 100)
        guard case .section(let s) = clamped.blocks?[0], case .context(let c) = clamped.blocks?[1],
            case .actions(let a) = clamped.blocks?[2], case .staticSelect(let select) = a.elements.first,
            case .header(let h) = clamped.blocks?[3]
        else {
            Issue.record("blocks changed shape")
            return
        }
        #expect(s.fields?.count == 10)
        #expect(s.fields?.allSatisfy { $0.text.count == 2000 } == true)
        #expect(c.elements.count == 10)
        #expect(select.options.count == 100)
        #expect(select.options.allSatisfy { $0.text.text.count == 75 && $0.value.count == 150 })
        #expect(select.initialOption == nil)  // it was cut off with the 101st+ options
        #expect(h.text.type == .plainText)
        let violations = SlackLimits.violations(in: message)
        #expect(violations.count >= 8)
        #expect(violations.contains("text: 40500 characters, more than 40000"))
        #expect(violations.contains("blocks[3] (header).text: must be plain_text, not mrkdwn"))
        #expect(SlackLimits.violations(in: clamped).isEmpty)
    }

    @Test func emptyPartsAreRepairedOrDropped() {
        let message = SlackMessage(
            channel: "C1", text: "",
            blocks: [
                .header(HeaderBlock("")),
                .section(SectionBlock(text: .mrkdwn(""), fields: [.mrkdwn("*Severity*\nhigh"), .mrkdwn("")])),
                .section(SectionBlock()),
                .actions(ActionsBlock(elements: [.staticSelect(StaticSelectElement(actionID: "reassign", options: []))])),
                .context(ContextBlock(elements: [])),
            ])

        let clamped = message.clamped()

        #expect(
            clamped.blocks == [
                .header(HeaderBlock("…")),
                .section(SectionBlock(fields: [.mrkdwn("*Severity*\nhigh")])),
                .section(SectionBlock(text: .mrkdwn("…"))),
            ])
        #expect(!SlackLimits.violations(in: message).isEmpty)
        #expect(SlackLimits.violations(in: clamped).isEmpty)
    }

    @Test func modalLimits() throws {
        var view = try Fixture.decode(ModalView.self, from: "modal_view")
        #expect(SlackLimits.violations(in: view).isEmpty)
        #expect(view.clamped() == view)

        view.title = .plain("Create a brand new incident now")
        view.submit = nil
        view.privateMetadata = String(repeating: "m", count: 3001)
        view.blocks += (1...120).map { _ in Block.divider(DividerBlock()) }

        let clamped = view.clamped()

        #expect(clamped.title.text.count == 24)
        #expect(clamped.submit == .plain("Submit"))
        #expect(clamped.privateMetadata?.count == 3000)
        #expect(clamped.blocks.count == 100)
        #expect(SlackLimits.violations(in: view).count == 4)
        #expect(SlackLimits.violations(in: clamped).isEmpty)
    }

    @Test func attachmentBlocksAreClampedToo() {
        let message = SlackMessage(
            channel: "C1", text: "x", attachments: [Attachment(color: "#2EB67D", blocks: (1...55).map { section("\($0)") })])
        let clamped = message.clamped()
        #expect(clamped.attachments?.first?.blocks?.count == 50)
        #expect(SlackLimits.violations(in: message) == ["attachments[0].blocks: 55 blocks, more than 50"])
    }

    @Test func theRecordedFixtureIsWithinLimits() throws {
        let message = try Fixture.decode(SlackMessage.self, from: "block_kit_message")
        #expect(SlackLimits.violations(in: message).isEmpty)
        #expect(message.clamped() == message)
    }

    /// A generated spread of payloads: clamping always satisfies the validator, is idempotent, and
    /// changes a message exactly when the validator objects.
    @Test(arguments: 0..<40)
    func clampedAlwaysSatisfiesTheValidator(seed: Int) {
        var rng = SeededGenerator(seed: UInt64(seed))
        let message = randomMessage(&rng)

        let clamped = message.clamped()

        #expect(SlackLimits.violations(in: clamped).isEmpty)
        #expect(clamped.clamped() == clamped)
        #expect(SlackLimits.violations(in: message).isEmpty == (clamped == message))
    }

    func randomText(_ rng: inout SeededGenerator, upTo max: Int) -> String {
        let pieces = ["a", "é", "👩‍💻", "🇫🇷", " ", "*", "\n", "日"]
        let count = Int.random(in: 0...max, using: &rng)
        return (0..<count).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    func randomMessage(_ rng: inout SeededGenerator) -> SlackMessage {
        let longish = [10, 160, 3200, 5000]
        let blockCount = [0, 3, 49, 50, 51, 70].randomElement(using: &rng)!
        var blocks: [Block] = []
        for index in 0..<blockCount {
            let length = longish.randomElement(using: &rng)!
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: blocks.append(.header(HeaderBlock(randomText(&rng, upTo: length))))
            case 1:
                let fields = (0..<Int.random(in: 0...12, using: &rng)).map { _ in TextObject.mrkdwn(randomText(&rng, upTo: 2100)) }
                blocks.append(.section(SectionBlock(text: .mrkdwn(randomText(&rng, upTo: length)), fields: fields.isEmpty ? nil : fields)))
            case 2:
                blocks.append(.context(ContextBlock(elements: (0..<Int.random(in: 0...12, using: &rng)).map { _ in .mrkdwn(randomText(&rng, upTo: 20)) })))
            case 3:
                let options = (0..<Int.random(in: 0...110, using: &rng)).map { OptionObject(randomText(&rng, upTo: 90), value: "v\($0)") }
                blocks.append(
                    .actions(
                        ActionsBlock(elements: [
                            .button(ButtonElement(text: .plain(randomText(&rng, upTo: 90)), actionID: "b\(index)", value: "inc")),
                            .staticSelect(StaticSelectElement(actionID: "s\(index)", options: options, initialOption: options.last)),
                        ])))
            case 4: blocks.append(.divider(DividerBlock(blockID: String(repeating: "d", count: Int.random(in: 1...300, using: &rng)))))
            default:
                blocks.append(
                    .input(
                        InputBlock(
                            label: .plain(randomText(&rng, upTo: 30)),
                            element: .plainTextInput(PlainTextInputElement(actionID: "i", initialValue: randomText(&rng, upTo: 40), maxLength: Int.random(in: 0...3100, using: &rng))))))
            }
        }
        return SlackMessage(
            channel: "C1", text: randomText(&rng, upTo: [5, 41_000].randomElement(using: &rng)!),
            blocks: blockCount == 0 ? nil : blocks)
    }
}
