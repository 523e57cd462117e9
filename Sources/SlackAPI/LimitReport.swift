/// Collects the limits a payload breaks while the same pass repairs them, so that
/// `SlackLimits.violations(in:)` and `clamped()` can never disagree.
struct LimitReport {
    let recording: Bool
    private(set) var violations: [String] = []

    init(recording: Bool) {
        self.recording = recording
    }

    mutating func record(_ path: String, _ problem: @autoclosure () -> String) {
        if recording {
            violations.append("\(path): \(problem())")
        }
    }

    /// Cuts `text` to `max` Unicode scalars with an ellipsis.
    mutating func limit(_ text: inout String, to max: Int, at path: String) {
        let count = text.unicodeScalars.count
        if count > max {
            record(path, "\(count) characters, more than \(max)")
            text = SlackLimits.truncated(text, to: max)
        }
    }

    mutating func limit(_ text: inout String?, to max: Int, at path: String) {
        guard var value = text else { return }
        limit(&value, to: max, at: path)
        text = value
    }

    /// A required text object: not empty, at most `max` characters, plain text when `plain`.
    mutating func limit(_ object: inout TextObject, to max: Int, plain: Bool, at path: String) {
        if plain && object.type != .plainText {
            record(path, "must be plain_text, not \(object.type.rawValue)")
            object.type = .plainText
        }
        if object.text.isEmpty {
            record(path, "empty text")
            object.text = SlackLimits.ellipsis
        }
        limit(&object.text, to: max, at: path)
    }

    mutating func limit(_ object: inout TextObject?, to max: Int, plain: Bool, at path: String) {
        guard var value = object else { return }
        limit(&value, to: max, plain: plain, at: path)
        object = value
    }
}
