import Foundation
import HeraldCore
import SlackAPI

/// Renders Slack messages (SPEC §2): Block Kit inside one legacy attachment that carries the
/// colour bar — red while triggered, amber while acknowledged, green once resolved — always within
/// Slack's limits (the result is `clamped()`). The `channel` of the result is left empty.
public enum SlackRenderer {
    public static let red = "#D32F2F"
    public static let amber = "#F5A623"
    public static let green = "#2E7D32"
    public static let grey = "#9E9E9E"

    public static func color(for status: IncidentStatus) -> String {
        switch status {
        case .triggered: red
        case .acknowledged: amber
        case .resolved: green
        }
    }

    /// The message for any content (what both Slack sinks send); an incident carries its controls
    /// when its view is interactive.
    public static func message(_ content: MessageContent) -> SlackMessage {
        switch content {
        case .incident(let view): incident(view, interactive: view.interactive)
        case .notification(let view): notification(view)
        case .task(let view): task(view)
        case .reply(let view): reply(view)
        }
    }

    /// A reply in a living message's thread: one line per timeline entry, newest last, and the
    /// incident's status and page.
    public static func reply(_ view: ThreadReplyView) -> SlackMessage {
        var lines = view.entries.map { entry -> String in
            let when = slackDate(entry.at)
            return Mrkdwn.escaped(entry.summary, fitting: 500) + " · " + when
        }
        if view.omitted > 0 { lines.insert("_\(view.omitted) earlier update\(view.omitted == 1 ? "" : "s")_", at: 0) }
        if lines.isEmpty { lines = [label(for: view.status)] }
        // Escaped like every text people wrote: a summary from outside never pings `<!channel>`.
        let text = Mrkdwn.escaped(view.entries.last?.summary ?? view.status.rawValue, fitting: SlackLimits.sectionText)
        return SlackMessage(channel: "", text: text, blocks: [
            .section(SectionBlock(text: .mrkdwn(String(lines.joined(separator: "\n").prefix(SlackLimits.sectionText))))),
            .context(ContextBlock(elements: footer(link: view.link, extra: [
                emoji(for: view.status) + " " + label(for: view.status), Mrkdwn.escaped(view.incidentTitle, fitting: 200),
            ]))),
        ]).clamped()
    }

    /// A runbook task's message: the text as its author wrote it (mrkdwn), and where it came from.
    public static func task(_ view: TaskView) -> SlackMessage {
        let text = view.text.isBlank ? untitled : view.text
        return SlackMessage(channel: "", text: String(text.prefix(SlackLimits.sectionText)), blocks: [
            .section(SectionBlock(text: .mrkdwn(String(text.prefix(SlackLimits.sectionText))))),
            .context(ContextBlock(elements: footer(link: view.link, extra: [
                "Runbook " + Mrkdwn.escaped(view.runbookName, fitting: 200), Mrkdwn.escaped(view.projectName, fitting: 200),
            ]))),
        ]).clamped()
    }

    /// An incident's living message. With `interactive`, it carries Acknowledge and Resolve buttons
    /// (`incident.acknowledge`, `incident.resolve`, value = incident id) and a Reassign select
    /// (`incident.reassign`, option values = emails) while the incident is open (SPEC §6); the block's
    /// id is `incident:<id>`.
    public static func incident(_ view: IncidentView, interactive: Bool) -> SlackMessage {
        let text = "[\(view.status.rawValue.uppercased())] " + fallback(view.title)
        var blocks: [Block] = [
            .header(HeaderBlock(emoji(for: view.status) + " " + headerText(view.title))),
            .section(SectionBlock(fields: [
                field("Status", mrkdwn: label(for: view.status)),
                field("Severity", mrkdwn: view.severity.map(label(for:)) ?? dash),
                field("Service", view.serviceName),
                field("Assignee", view.assignee, empty: "Unassigned"),
                field("Tags", tags(view.tags)),
                field("Project", view.projectName),
            ])),
        ]
        if let description = view.description, !description.isBlank {
            blocks.append(.section(SectionBlock(text: .mrkdwn(Mrkdwn.escaped(description, fitting: SlackLimits.sectionText)))))
        }
        if let latest = latestText(view) {
            blocks.append(.section(SectionBlock(text: .mrkdwn(latest))))
        }
        blocks.append(.context(ContextBlock(elements: footer(link: view.link, extra: [
            "Key: " + Mrkdwn.escaped(view.key, fitting: 200),
            "Opened " + slackDate(view.openedAt),
        ]))))
        if interactive, view.status.isOpen {
            blocks.append(.actions(actions(view)))
        }
        return SlackMessage(channel: "", text: text, attachments: [
            Attachment(color: color(for: view.status), blocks: blocks, fallback: text),
        ]).clamped()
    }

    /// A notification: one message, coloured by severity (critical/error red, warning amber, info grey).
    public static func notification(_ view: NotificationView) -> SlackMessage {
        let prefix = view.severity.map { "[\($0.rawValue.uppercased())] " } ?? ""
        let text = prefix + fallback(view.title)
        var blocks: [Block] = [
            .header(HeaderBlock(headerText(view.title))),
            .section(SectionBlock(fields: [
                field("Severity", mrkdwn: view.severity.map(label(for:)) ?? dash),
                field("Service", view.serviceName),
                field("Project", view.projectName),
            ])),
        ]
        if let body = view.text, !body.isBlank {
            blocks.append(.section(SectionBlock(text: .mrkdwn(Mrkdwn.escaped(body, fitting: SlackLimits.sectionText)))))
        }
        blocks.append(.context(ContextBlock(elements: footer(link: view.link, extra: [slackDate(view.at)]))))
        return SlackMessage(channel: "", text: text, attachments: [
            Attachment(color: color(for: view.severity), blocks: blocks, fallback: text),
        ]).clamped()
    }

    /// The Slack settings test message (SPEC §3): which settings work, who sent it, when.
    public static func testMessage(scope: String, sender: String, at: Date) -> SlackMessage {
        SlackMessage(
            channel: "",
            text: "Herald test message for " + Mrkdwn.escaped(scope, fitting: fallbackTitle),
            blocks: [
                .header(HeaderBlock(text: .plain("Herald test message"))),
                .section(SectionBlock(text: .mrkdwn("Slack settings of *\(Mrkdwn.escaped(scope, fitting: 500))* work: Herald can post to this channel."))),
                .context(ContextBlock(elements: [.mrkdwn("Sent by \(Mrkdwn.escaped(sender, fitting: 300)) at " + slackDate(at))])),
            ]
        ).clamped()
    }

    /// A notification's bar: critical and error red, warning amber, info or none grey.
    static func color(for severity: Severity?) -> String {
        switch severity {
        case .critical, .error: red
        case .warning: amber
        case .info, nil: grey
        }
    }

    // MARK: - Pieces

    /// The longest title kept in the notification text (Slack allows 40,000; nobody reads that far).
    static let fallbackTitle = 300
    static let dash = "—"
    static let untitled = "(untitled)"

    /// The title in the notification text (mrkdwn, so escaped).
    static func fallback(_ title: String) -> String {
        title.isBlank ? untitled : Mrkdwn.escaped(title, fitting: fallbackTitle)
    }

    static func emoji(for status: IncidentStatus) -> String {
        switch status {
        case .triggered: "🔴"
        case .acknowledged: "🟠"
        case .resolved: "✅"
        }
    }

    static func label(for status: IncidentStatus) -> String {
        switch status {
        case .triggered: "Triggered"
        case .acknowledged: "Acknowledged"
        case .resolved: "Resolved"
        }
    }

    static func label(for severity: Severity) -> String {
        severity.rawValue.prefix(1).uppercased() + severity.rawValue.dropFirst()
    }

    /// Plain text on one line (headers are plain_text: no escaping), cut to leave room for the emoji.
    static func headerText(_ title: String) -> String {
        let line = title.split(whereSeparator: \.isNewline).joined(separator: " ")
        let text = line.isBlank ? untitled : line
        return SlackLimits.truncated(text, to: SlackLimits.headerText - 2)
    }

    /// A `*Label*` field over an already-mrkdwn value.
    static func field(_ label: String, mrkdwn: String) -> TextObject {
        .mrkdwn("*\(label)*\n" + mrkdwn)
    }

    /// A field over user text, escaped and cut to fit; blank shows `empty`.
    static func field(_ label: String, _ raw: String?, empty: String = dash) -> TextObject {
        guard let raw, !raw.isBlank else { return field(label, mrkdwn: empty) }
        return field(label, mrkdwn: Mrkdwn.escaped(raw, fitting: SlackLimits.sectionField - label.unicodeScalars.count - 3))
    }

    /// `k=v` pairs sorted by key, so the message does not change when a sender reorders its tags.
    static func tags(_ tags: [String: String]) -> String? {
        guard !tags.isEmpty else { return nil }
        return tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }

    /// The latest event, or on resolve the resolution (who and when).
    static func latestText(_ view: IncidentView) -> String? {
        if view.status == .resolved {
            let event = view.latest.flatMap { $0.kind == "resolve" ? $0 : nil }
            let by = event?.actor.flatMap { $0.isBlank ? nil : " by " + Mrkdwn.escaped($0, fitting: 200) } ?? ""
            let at = view.resolvedAt ?? event?.at ?? view.latest?.at
            var text = "*Resolved*" + by + (at.map { " at " + slackDate($0) } ?? "")
            // The heading already says who: "Resolved by ana: rolled back" adds only "rolled back".
            var note = event?.summary ?? ""
            if let actor = event?.actor, note.hasPrefix("Resolved by \(actor)") {
                note = String(note.dropFirst("Resolved by \(actor)".count))
                if note.hasPrefix(": ") { note = String(note.dropFirst(2)) }
            }
            if !note.isBlank {
                text += "\n" + Mrkdwn.escaped(note, fitting: SlackLimits.sectionText - text.unicodeScalars.count - 1)
            }
            return text
        }
        guard let latest = view.latest else { return nil }
        let by = latest.actor.flatMap { $0.isBlank ? nil : " — " + Mrkdwn.escaped($0, fitting: 200) } ?? ""
        let tail = by + " at " + slackDate(latest.at)
        let room = SlackLimits.sectionText - "*Latest:* ".unicodeScalars.count - tail.unicodeScalars.count
        let summary = latest.summary.isBlank ? label(forKind: latest.kind) : Mrkdwn.escaped(latest.summary, fitting: room)
        return "*Latest:* " + summary + tail
    }

    static func label(forKind kind: String) -> String {
        Mrkdwn.escaped(kind.prefix(1).uppercased() + kind.dropFirst(), fitting: 100)
    }

    /// "View in Herald" (dropped rather than cut if the URL is absurdly long), then `extra`, one
    /// context element each so that no cut can split a link or a date.
    static func footer(link: URL, extra: [String]) -> [TextObject] {
        let url = Mrkdwn.escape(link.absoluteString).replacingOccurrences(of: "|", with: "%7C")
        let view = url.unicodeScalars.count <= SlackLimits.contextText - 20 ? ["<\(url)|View in Herald>"] : []
        return (view + extra).map(TextObject.mrkdwn)
    }

    /// Slack shows the date in the reader's time zone; the ISO text is the fallback for old clients.
    static func slackDate(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let unix = Int(exactly: seconds) ?? 0
        return "<!date^\(unix)^{date_short_pretty} {time}|\(date.formatted(.iso8601))>"
    }

    static func actions(_ view: IncidentView) -> ActionsBlock {
        var elements: [BlockElement] = []
        if view.status == .triggered {
            elements.append(.button(ButtonElement(text: .plain("Acknowledge"), actionID: "incident.acknowledge", value: view.id)))
        }
        elements.append(.button(ButtonElement(text: .plain("Resolve"), actionID: "incident.resolve", value: view.id, style: .primary)))
        // Emails over Slack's option value limit could not come back intact, so they are not offered.
        var seen: Set<String> = []
        let emails = view.assignees.filter { !$0.isEmpty && $0.unicodeScalars.count <= SlackLimits.optionValue && seen.insert($0).inserted }
        let options = emails.prefix(SlackLimits.maxSelectOptions).map { OptionObject($0, value: $0) }
        if !options.isEmpty {
            let initial = options.first { $0.value == view.assignee }
            elements.append(.staticSelect(StaticSelectElement(
                placeholder: .plain("Reassign…"), actionID: "incident.reassign", options: Array(options), initialOption: initial)))
        }
        // The block names the incident: a select's action carries only the chosen email.
        return ActionsBlock(elements: elements, blockID: incidentBlockPrefix + view.id)
    }

    /// The prefix of the controls block's id; the incident's id follows.
    public static let incidentBlockPrefix = "incident:"
}

extension SlackRenderer {
    /// Slack mrkdwn escaping for user-supplied text (SPEC §2): `&`, `<` and `>` become entities, so a
    /// title cannot mention `<!channel>` or forge a link.
    enum Mrkdwn {
        /// `&`, `<` and `>` as Slack's entities; one pass, and none at all for text without them.
        static func escape(_ raw: String) -> String {
            guard raw.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }) else {
                return raw
            }
            var out = ""
            out.reserveCapacity(raw.utf8.count + 16)
            for scalar in raw.unicodeScalars {
                switch scalar {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out
        }

        /// Escaped and, if longer than `max` Unicode scalars, cut with an ellipsis between characters of
        /// the original, so an entity is never split (the final clamp would cut `&amp;` to `&am…`).
        static func escaped(_ raw: String, fitting max: Int) -> String {
            let whole = escape(raw)
            guard whole.unicodeScalars.count > max else { return whole }
            guard max > 1 else { return SlackLimits.truncated(whole, to: max) }
            var kept = ""
            var count = 0
            for character in raw {
                let piece = escape(String(character))
                let size = piece.unicodeScalars.count
                guard count + size <= max - 1 else { break }
                kept += piece
                count += size
            }
            while let last = kept.last, last.isWhitespace { kept.removeLast() }
            return kept + SlackLimits.ellipsis
        }
    }
}

fileprivate extension StringProtocol {
    var isBlank: Bool { allSatisfy(\.isWhitespace) }
}
