import Foundation
import HeraldCore

/// The neutral views of ``MessageContent`` flattened into what every non-Slack chat message shows:
/// a title, a colour, labelled fields, a body and a link. Each sink escapes and cuts these to its
/// own rules; none of the text here is escaped.
public struct MessageSummary: Sendable, Equatable {
    /// The colour a message carries.
    public enum Tone: Sendable, Equatable {
        /// Triggered, or a critical or error notification: red.
        case alert
        /// Acknowledged, or a warning: amber.
        case warning
        /// Resolved: green.
        case ok
        /// Anything else: grey.
        case neutral

        public var hex: String {
            switch self {
            case .alert: "#D32F2F"
            case .warning: "#F5A623"
            case .ok: "#2E7D32"
            case .neutral: "#9E9E9E"
            }
        }

        /// The colour as the integer Discord wants.
        public var rgb: Int { Int(hex.dropFirst(), radix: 16) ?? 0 }
    }

    public var title: String
    /// `TRIGGERED`, `RESOLVED`…, or nil for a notification or task.
    public var status: String?
    public var tone: Tone
    public var fields: [(label: String, value: String)]
    public var body: String?
    public var link: URL
    public var at: Date
    /// A new alert someone should hear about: a triggered incident, a notification, a task.
    public var isNew: Bool

    public init(_ content: MessageContent) {
        switch content {
        case .incident(let view):
            title = view.title.isEmpty ? "(untitled)" : view.title
            status = view.status.rawValue.uppercased()
            tone = switch view.status {
            case .triggered: .alert
            case .acknowledged: .warning
            case .resolved: .ok
            }
            var fields: [(String, String)] = [("Status", view.status.rawValue.capitalized)]
            if let severity = view.severity { fields.append(("Severity", severity.rawValue.capitalized)) }
            if let service = view.serviceName, !service.isEmpty { fields.append(("Service", service)) }
            fields.append(("Assignee", view.assignee.flatMap { $0.isEmpty ? nil : $0 } ?? "Unassigned"))
            if !view.tags.isEmpty {
                fields.append(("Tags", view.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")))
            }
            fields.append(("Project", view.projectName))
            self.fields = fields
            var lines: [String] = []
            if let description = view.description, !description.isEmpty { lines.append(description) }
            if let latest = view.latest {
                let who = latest.actor.flatMap { $0.isEmpty ? nil : " (\($0))" } ?? ""
                lines.append("\(view.status == .resolved ? "Resolved" : "Latest"): \(latest.summary)\(who)")
            }
            body = lines.isEmpty ? nil : lines.joined(separator: "\n\n")
            link = view.link
            at = view.latest?.at ?? view.resolvedAt ?? view.openedAt
            isNew = view.status == .triggered
        case .notification(let view):
            title = view.title.isEmpty ? "Notification" : view.title
            status = nil
            tone = switch view.severity {
            case .critical, .error: .alert
            case .warning: .warning
            case .info, nil: .neutral
            }
            var fields: [(String, String)] = []
            if let severity = view.severity { fields.append(("Severity", severity.rawValue.capitalized)) }
            if let service = view.serviceName, !service.isEmpty { fields.append(("Service", service)) }
            fields.append(("Project", view.projectName))
            self.fields = fields
            body = view.text.flatMap { $0.isEmpty ? nil : $0 }
            link = view.link
            at = view.at
            isNew = true
        case .reply(let view):
            title = view.incidentTitle.isEmpty ? "(untitled)" : view.incidentTitle
            status = view.status.rawValue.uppercased()
            tone = .neutral
            fields = []
            body = ((view.omitted > 0 ? ["\(view.omitted) earlier updates"] : []) + view.entries.map(\.summary)).joined(separator: "\n")
            link = view.link
            at = view.entries.last?.at ?? Date()
            isNew = false
        case .task(let view):
            title = "Runbook \(view.runbookName)"
            status = nil
            tone = .neutral
            fields = [("Project", view.projectName)]
            body = view.text
            link = view.link
            at = Date()
            isNew = true
        }
    }

    /// One line for a plain-text fallback: `[TRIGGERED] title`.
    public var headline: String {
        status.map { "[\($0)] \(title)" } ?? title
    }

    public static func == (a: MessageSummary, b: MessageSummary) -> Bool {
        a.title == b.title && a.status == b.status && a.tone == b.tone && a.body == b.body && a.link == b.link && a.at == b.at
            && a.isNew == b.isNew && a.fields.map(\.label) == b.fields.map(\.label) && a.fields.map(\.value) == b.fields.map(\.value)
    }
}

/// Cutting text to a service's limit, never mid-character, with an ellipsis.
public enum SinkText {
    /// At most `max` characters (grapheme clusters), the last one `…` when cut.
    public static func cut(_ text: String, max: Int) -> String {
        guard max > 0 else { return "" }
        guard text.count > max else { return text }
        return String(text.prefix(max - 1)) + "…"
    }

    /// At most `max` UTF-16 code units (Discord counts those), cut between characters, with an ellipsis.
    public static func cutUTF16(_ text: String, max: Int) -> String {
        cut(text, max: max, in: .utf16)
    }

    /// At most `max` bytes of UTF-8, cut between characters, with an ellipsis (Teams limits a
    /// card by its size in bytes).
    public static func cutUTF8(_ text: String, maxBytes max: Int) -> String {
        cut(text, max: max, in: .utf8)
    }

    private enum Unit {
        case utf16, utf8

        func count(_ text: some StringProtocol) -> Int {
            switch self {
            case .utf16: text.utf16.count
            case .utf8: text.utf8.count
            }
        }

        func count(_ character: Character) -> Int {
            switch self {
            case .utf16: character.utf16.count
            case .utf8: character.utf8.count
            }
        }
    }

    /// At most `max` units (the ellipsis counted in them), cut between characters.
    private static func cut(_ text: String, max: Int, in unit: Unit) -> String {
        guard unit.count(text) > max else { return text }
        let ellipsis = unit.count("…")
        guard max >= ellipsis else { return "" }
        var kept = ""
        var used = 0
        for character in text {
            let size = unit.count(character)
            guard used + size <= max - ellipsis else { break }
            kept.append(character)
            used += size
        }
        return kept + "…"
    }

    /// HTML text: `&`, `<`, `>`, `"` and `'` as entities.
    public static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
