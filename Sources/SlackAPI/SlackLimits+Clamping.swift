// Every limit is applied in one pass per type, recording into a `LimitReport`; `clamped()` ignores the
// record and `SlackLimits.violations(in:)` returns it, so the two always agree.

extension SlackMessage {
    /// This message within all of Slack's limits: long text cut with "…", surplus blocks summarised.
    public func clamped() -> SlackMessage {
        var report = LimitReport(recording: false)
        return enforcingLimits(&report)
    }

    func enforcingLimits(_ report: inout LimitReport) -> SlackMessage {
        var message = self
        report.limit(&message.text, to: SlackLimits.messageText, at: "text")
        message.blocks = message.blocks?.enforcingLimits(max: SlackLimits.maxBlocks, &report, at: "blocks")
        if var attachments = message.attachments {
            if attachments.count > SlackLimits.maxAttachments {
                report.record("attachments", "\(attachments.count) attachments, more than \(SlackLimits.maxAttachments)")
                attachments = Array(attachments.prefix(SlackLimits.maxAttachments))
            }
            message.attachments = attachments.indices.map { index in
                attachments[index].enforcingLimits(&report, at: "attachments[\(index)]")
            }
        }
        if message.text.isEmpty && (message.blocks ?? []).isEmpty && (message.attachments ?? []).isEmpty {
            report.record("text", "empty, and there are no blocks or attachments")
            message.text = SlackLimits.ellipsis
        }
        return message
    }
}

extension Attachment {
    func enforcingLimits(_ report: inout LimitReport, at path: String) -> Attachment {
        var attachment = self
        attachment.blocks = blocks?.enforcingLimits(max: SlackLimits.maxBlocks, &report, at: "\(path).blocks")
        return attachment
    }
}

extension ModalView {
    /// This view within all of Slack's limits for modals.
    public func clamped() -> ModalView {
        var report = LimitReport(recording: false)
        return enforcingLimits(&report)
    }

    func enforcingLimits(_ report: inout LimitReport) -> ModalView {
        var view = self
        report.limit(&view.callbackID, to: SlackLimits.callbackID, at: "callback_id")
        report.limit(&view.title, to: SlackLimits.modalTitle, plain: true, at: "title")
        report.limit(&view.submit, to: SlackLimits.modalButtonText, plain: true, at: "submit")
        report.limit(&view.close, to: SlackLimits.modalButtonText, plain: true, at: "close")
        report.limit(&view.privateMetadata, to: SlackLimits.privateMetadata, at: "private_metadata")
        view.blocks = view.blocks.enforcingLimits(max: SlackLimits.maxModalBlocks, &report, at: "blocks")
        let hasInput = view.blocks.contains { if case .input = $0 { true } else { false } }
        if hasInput && view.submit == nil {
            report.record("submit", "required when the view has input blocks")
            view.submit = .plain("Submit")
        }
        return view
    }
}

extension Array where Element == Block {
    /// At most ``SlackLimits/maxBlocks`` blocks, each within its limits; when blocks must go, the
    /// 50th becomes a context block saying how many more were not shown.
    public func clamped() -> [Block] {
        var report = LimitReport(recording: false)
        return enforcingLimits(max: SlackLimits.maxBlocks, &report, at: "blocks")
    }

    func enforcingLimits(max: Int, _ report: inout LimitReport, at path: String) -> [Block] {
        var blocks: [Block] = []
        for (index, block) in enumerated() {
            let blockPath = "\(path)[\(index)] (\(block.type))"
            if let kept = block.enforcingLimits(&report, at: blockPath) {
                blocks.append(kept)
            }
        }
        if blocks.count > max {
            report.record(path, "\(blocks.count) blocks, more than \(max)")
            let hidden = blocks.count - (max - 1)
            blocks = Array(blocks.prefix(max - 1))
            blocks.append(.context(ContextBlock(elements: [.mrkdwn("… \(hidden) more blocks not shown")])))
        }
        return blocks
    }
}

extension Block {
    /// This block within all of Slack's limits; a block left with nothing to show becomes an empty context
    /// block with "…" (use `[Block].clamped()` to drop such blocks instead).
    public func clamped() -> Block {
        var report = LimitReport(recording: false)
        return enforcingLimits(&report, at: type) ?? .context(ContextBlock(elements: [.mrkdwn(SlackLimits.ellipsis)]))
    }

    /// Nil, recorded, when nothing valid is left (an actions block whose only select has no options, an empty context).
    func enforcingLimits(_ report: inout LimitReport, at path: String) -> Block? {
        switch self {
        case .header(var block):
            report.limit(&block.text, to: SlackLimits.headerText, plain: true, at: "\(path).text")
            report.limit(&block.blockID, to: SlackLimits.blockID, at: "\(path).block_id")
            return .header(block)

        case .section(var block):
            report.limit(&block.blockID, to: SlackLimits.blockID, at: "\(path).block_id")
            if var fields = block.fields {
                if fields.count > SlackLimits.maxSectionFields {
                    report.record("\(path).fields", "\(fields.count) fields, more than \(SlackLimits.maxSectionFields)")
                    fields = Array(fields.prefix(SlackLimits.maxSectionFields))
                }
                var kept: [TextObject] = []
                for (index, var field) in fields.enumerated() {
                    if field.text.isEmpty {
                        report.record("\(path).fields[\(index)]", "empty text; removed")
                        continue
                    }
                    report.limit(&field.text, to: SlackLimits.sectionField, at: "\(path).fields[\(index)]")
                    kept.append(field)
                }
                if kept.isEmpty {
                    report.record("\(path).fields", "no fields; removed")
                    block.fields = nil
                } else {
                    block.fields = kept
                }
            }
            if let text = block.text, text.text.isEmpty, block.fields != nil {
                report.record("\(path).text", "empty text; removed")
                block.text = nil
            }
            if block.text == nil && block.fields == nil {
                report.record(path, "neither text nor fields")
                block.text = .mrkdwn(SlackLimits.ellipsis)
            }
            report.limit(&block.text, to: SlackLimits.sectionText, plain: false, at: "\(path).text")
            if let accessory = block.accessory {
                block.accessory = accessory.enforcingLimits(&report, at: "\(path).accessory")
            }
            return .section(block)

        case .context(var block):
            report.limit(&block.blockID, to: SlackLimits.blockID, at: "\(path).block_id")
            if block.elements.count > SlackLimits.contextElements {
                report.record(
                    "\(path).elements", "\(block.elements.count) elements, more than \(SlackLimits.contextElements)")
                block.elements = Array(block.elements.prefix(SlackLimits.contextElements))
            }
            var kept: [TextObject] = []
            for (index, var element) in block.elements.enumerated() {
                if element.text.isEmpty {
                    report.record("\(path).elements[\(index)]", "empty text; removed")
                    continue
                }
                report.limit(&element.text, to: SlackLimits.contextText, at: "\(path).elements[\(index)]")
                kept.append(element)
            }
            guard !kept.isEmpty else {
                report.record(path, "no elements; block removed")
                return nil
            }
            block.elements = kept
            return .context(block)

        case .actions(var block):
            report.limit(&block.blockID, to: SlackLimits.blockID, at: "\(path).block_id")
            var kept: [BlockElement] = []
            for (index, element) in block.elements.enumerated() {
                let elementPath = "\(path).elements[\(index)]"
                if let element = element.enforcingLimits(&report, at: elementPath) {
                    kept.append(element)
                }
            }
            if kept.count > SlackLimits.actionsElements {
                report.record("\(path).elements", "\(kept.count) elements, more than \(SlackLimits.actionsElements)")
                kept = Array(kept.prefix(SlackLimits.actionsElements))
            }
            guard !kept.isEmpty else {
                report.record(path, "no elements; block removed")
                return nil
            }
            block.elements = kept
            return .actions(block)

        case .divider(var block):
            report.limit(&block.blockID, to: SlackLimits.blockID, at: "\(path).block_id")
            return .divider(block)

        case .input(var block):
            report.limit(&block.blockID, to: SlackLimits.blockID, at: "\(path).block_id")
            report.limit(&block.label, to: SlackLimits.inputLabel, plain: true, at: "\(path).label")
            report.limit(&block.hint, to: SlackLimits.inputHint, plain: true, at: "\(path).hint")
            guard let element = block.element.enforcingLimits(&report, at: "\(path).element") else {
                report.record(path, "no usable element; block removed")
                return nil
            }
            block.element = element
            return .input(block)
        }
    }
}

extension BlockElement {
    /// Nil, recorded, when nothing valid is left (a select without options).
    func enforcingLimits(_ report: inout LimitReport, at path: String) -> BlockElement? {
        switch self {
        case .button(var button):
            report.limit(&button.text, to: SlackLimits.buttonText, plain: true, at: "\(path).text")
            report.limit(&button.actionID, to: SlackLimits.actionID, at: "\(path).action_id")
            report.limit(&button.value, to: SlackLimits.buttonValue, at: "\(path).value")
            report.limit(&button.url, to: SlackLimits.buttonURL, at: "\(path).url")
            return .button(button)

        case .staticSelect(var select):
            report.limit(&select.actionID, to: SlackLimits.actionID, at: "\(path).action_id")
            report.limit(&select.placeholder, to: SlackLimits.placeholderText, plain: true, at: "\(path).placeholder")
            if select.options.count > SlackLimits.maxSelectOptions {
                report.record(
                    "\(path).options", "\(select.options.count) options, more than \(SlackLimits.maxSelectOptions)")
                select.options = Array(select.options.prefix(SlackLimits.maxSelectOptions))
            }
            guard !select.options.isEmpty else {
                report.record("\(path).options", "no options; element removed")
                return nil
            }
            let original = select.options
            select.options = original.indices.map { index in
                original[index].enforcingLimits(&report, at: "\(path).options[\(index)]")
            }
            if let initial = select.initialOption {
                if let index = original.firstIndex(of: initial) {
                    select.initialOption = select.options[index]
                } else {
                    report.record("\(path).initial_option", "not one of the options; removed")
                    select.initialOption = nil
                }
            }
            return .staticSelect(select)

        case .plainTextInput(var input):
            report.limit(&input.actionID, to: SlackLimits.actionID, at: "\(path).action_id")
            report.limit(&input.placeholder, to: SlackLimits.placeholderText, plain: true, at: "\(path).placeholder")
            if let maxLength = input.maxLength, !(1...SlackLimits.textInputLength).contains(maxLength) {
                report.record("\(path).max_length", "\(maxLength) is outside 1…\(SlackLimits.textInputLength)")
                input.maxLength = Swift.min(Swift.max(maxLength, 1), SlackLimits.textInputLength)
            }
            report.limit(&input.initialValue, to: input.maxLength ?? SlackLimits.textInputLength, at: "\(path).initial_value")
            return .plainTextInput(input)
        }
    }
}

extension OptionObject {
    func enforcingLimits(_ report: inout LimitReport, at path: String) -> OptionObject {
        var option = self
        report.limit(&option.text, to: SlackLimits.optionText, plain: true, at: "\(path).text")
        if option.value.isEmpty {
            report.record("\(path).value", "empty")
            option.value = SlackLimits.ellipsis
        }
        report.limit(&option.value, to: SlackLimits.optionValue, at: "\(path).value")
        return option
    }
}
