/// Slack's documented size limits for messages, blocks and modals, and the one way Herald meets them:
/// cut with an ellipsis (``truncated(_:to:)``), never fail. Lengths are counted in Unicode scalars (code
/// points), never in grapheme clusters: one "character" of a letter and 100,000 combining marks is
/// 100,001 long here, as it is for Slack.
public enum SlackLimits {
    /// Blocks in a message (and in each attachment).
    public static let maxBlocks = 50
    /// Blocks in a modal view.
    public static let maxModalBlocks = 100
    public static let sectionText = 3000
    public static let sectionField = 2000
    public static let maxSectionFields = 10
    public static let headerText = 150
    /// Text of a context element.
    public static let contextText = 3000
    /// Elements in a context block.
    public static let contextElements = 10
    /// Elements in an actions block.
    public static let actionsElements = 25
    public static let buttonText = 75
    public static let buttonValue = 2000
    public static let buttonURL = 3000
    public static let optionText = 75
    public static let optionValue = 150
    public static let maxSelectOptions = 100
    /// Placeholder of a select or text input.
    public static let placeholderText = 150
    public static let inputLabel = 2000
    public static let inputHint = 2000
    /// Upper bound of a text input's `max_length`, and of its `initial_value`.
    public static let textInputLength = 3000
    /// A message's top-level `text`; Slack truncates beyond this.
    public static let messageText = 40_000
    public static let maxAttachments = 100
    public static let modalTitle = 24
    /// A modal's submit and close button labels.
    public static let modalButtonText = 24
    public static let privateMetadata = 3000
    public static let actionID = 255
    public static let blockID = 255
    public static let callbackID = 255

    /// What replaces cut text (U+2026), and stands in for text Slack requires but the caller left empty.
    public static let ellipsis = "…"

    /// `s` cut to at most `max` Unicode scalars, on a `Character` boundary (so no combining mark is
    /// separated from its letter), ending in "…" when anything was cut.
    public static func truncated(_ s: String, to max: Int) -> String {
        guard s.unicodeScalars.count > max else { return s }
        guard max > 0 else { return "" }
        var end = s.startIndex
        var used = 0
        for index in s.indices {
            let size = s[index].unicodeScalars.count
            guard used + size <= max - 1 else { break }
            used += size
            end = s.index(after: index)
        }
        var kept = s[..<end]
        while let last = kept.last, last.isWhitespace {
            kept = kept.dropLast()
        }
        return String(kept) + ellipsis
    }

    /// Every limit `message` breaks, one line each; empty exactly when `message.clamped() == message`.
    public static func violations(in message: SlackMessage) -> [String] {
        var report = LimitReport(recording: true)
        _ = message.enforcingLimits(&report)
        return report.violations
    }

    /// Every limit a message's `blocks` break (at most ``maxBlocks``).
    public static func violations(in blocks: [Block]) -> [String] {
        var report = LimitReport(recording: true)
        _ = blocks.enforcingLimits(max: maxBlocks, &report, at: "blocks")
        return report.violations
    }

    /// Every limit `view` breaks.
    public static func violations(in view: ModalView) -> [String] {
        var report = LimitReport(recording: true)
        _ = view.enforcingLimits(&report)
        return report.violations
    }
}
