import Foundation
import HeraldCore
import HeraldSinks
import SlackAPI
import Testing

@Suite("SPEC §2/§6 Slack messages")
struct SlackRendererTests {
    static let at = Date(timeIntervalSince1970: 1_714_564_800)  // 2024-05-01T12:00:00Z
    static let link = URL(string: "https://herald.example.com/incidents/inc_123?at=1714564800")!

    static func incident(status: IncidentStatus = .triggered, assignee: String? = "ana@example.com",
                         assignees: [String] = ["ana@example.com", "bo@example.com"]) -> IncidentView {
        IncidentView(
            id: "inc_123", key: "db-latency", title: "DB latency > 2s on primary",
            description: "p99 is 2.4s & rising", status: status, severity: .critical, serviceName: "Checkout",
            tags: ["region": "eu-west-1", "env": "prod"], assignee: assignee, projectName: "Shop",
            latest: TimelineView(kind: "trigger", summary: "HighLatency firing", actor: "alertmanager", at: at),
            link: link, openedAt: at, assignees: assignees)
    }

    static func blocks(_ message: SlackMessage) -> [Block] {
        message.attachments?.first?.blocks ?? []
    }

    static func actions(_ message: SlackMessage) -> [BlockElement]? {
        for case .actions(let block) in blocks(message) { return block.elements }
        return nil
    }

    /// Every mrkdwn text in the message, and every plain text.
    static func texts(_ message: SlackMessage) -> (mrkdwn: [String], plain: [String]) {
        var objects: [TextObject] = []
        for block in blocks(message) {
            switch block {
            case .header(let header): objects.append(header.text)
            case .section(let section): objects += [section.text].compactMap { $0 } + (section.fields ?? [])
            case .context(let context): objects += context.elements
            default: break
            }
        }
        return (objects.filter { $0.type == .mrkdwn }.map(\.text), objects.filter { $0.type == .plainText }.map(\.text))
    }

    static func normalized(_ json: Data) throws -> String {
        let object = try JSONSerialization.jsonObject(with: json)
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Snapshot

    @Test("snapshot: a triggered, interactive incident")
    func snapshot() throws {
        // setup
        let view = Self.incident()
        // MUT
        let message = SlackRenderer.incident(view, interactive: true)
        // validate
        let actual = try Self.normalized(JSONEncoder().encode(message))
        let expected = try Self.normalized(Data(Self.triggeredJSON.utf8))
        #expect(actual == expected, "rendered:\n\(actual)")
    }

    static let triggeredJSON = #"""
    {
      "text": "[TRIGGERED] DB latency &gt; 2s on primary",
      "attachments": [{
        "color": "#D32F2F",
        "fallback": "[TRIGGERED] DB latency &gt; 2s on primary",
        "blocks": [
          {"type": "header", "text": {"type": "plain_text", "text": "🔴 DB latency > 2s on primary"}},
          {"type": "section", "fields": [
            {"type": "mrkdwn", "text": "*Status*\nTriggered"},
            {"type": "mrkdwn", "text": "*Severity*\nCritical"},
            {"type": "mrkdwn", "text": "*Service*\nCheckout"},
            {"type": "mrkdwn", "text": "*Assignee*\nana@example.com"},
            {"type": "mrkdwn", "text": "*Tags*\nenv=prod, region=eu-west-1"},
            {"type": "mrkdwn", "text": "*Project*\nShop"}
          ]},
          {"type": "section", "text": {"type": "mrkdwn", "text": "p99 is 2.4s &amp; rising"}},
          {"type": "section", "text": {"type": "mrkdwn",
            "text": "*Latest:* HighLatency firing — alertmanager at <!date^1714564800^{date_short_pretty} {time}|2024-05-01T12:00:00Z>"}},
          {"type": "context", "elements": [
            {"type": "mrkdwn", "text": "<https://herald.example.com/incidents/inc_123?at=1714564800|View in Herald>"},
            {"type": "mrkdwn", "text": "Key: db-latency"},
            {"type": "mrkdwn", "text": "Opened <!date^1714564800^{date_short_pretty} {time}|2024-05-01T12:00:00Z>"}
          ]},
          {"type": "actions", "block_id": "incident:inc_123", "elements": [
            {"type": "button", "action_id": "incident.acknowledge", "value": "inc_123",
             "text": {"type": "plain_text", "text": "Acknowledge"}},
            {"type": "button", "action_id": "incident.resolve", "value": "inc_123", "style": "primary",
             "text": {"type": "plain_text", "text": "Resolve"}},
            {"type": "static_select", "action_id": "incident.reassign",
             "placeholder": {"type": "plain_text", "text": "Reassign…"},
             "options": [
               {"text": {"type": "plain_text", "text": "ana@example.com"}, "value": "ana@example.com"},
               {"text": {"type": "plain_text", "text": "bo@example.com"}, "value": "bo@example.com"}
             ],
             "initial_option": {"text": {"type": "plain_text", "text": "ana@example.com"}, "value": "ana@example.com"}}
          ]}
        ]
      }]
    }
    """#

    // MARK: - Colour, controls

    @Test("colour bar per status", arguments: [
        (IncidentStatus.triggered, SlackRenderer.red), (.acknowledged, SlackRenderer.amber), (.resolved, SlackRenderer.green),
    ])
    func colour(_ status: IncidentStatus, _ expected: String) {
        let message = SlackRenderer.incident(Self.incident(status: status), interactive: true)
        #expect(SlackRenderer.color(for: status) == expected)
        #expect(message.attachments?.count == 1)
        #expect(message.attachments?.first?.color == expected)
        #expect(message.blocks == nil)
        #expect(message.channel.isEmpty)
        #expect(message.text == "[\(status.rawValue.uppercased())] DB latency &gt; 2s on primary")
        #expect(message.attachments?.first?.fallback == message.text)
    }

    @Test("controls only when interactive and open; Acknowledge only while triggered", arguments: [
        (IncidentStatus.triggered, true, [String]?.some(["incident.acknowledge", "incident.resolve", "incident.reassign"])),
        (.acknowledged, true, ["incident.resolve", "incident.reassign"]),
        (.resolved, true, nil),
        (.triggered, false, nil),
        (.acknowledged, false, nil),
        (.resolved, false, nil),
    ])
    func controls(_ status: IncidentStatus, _ interactive: Bool, _ expected: [String]?) {
        // MUT
        let message = SlackRenderer.incident(Self.incident(status: status), interactive: interactive)
        // validate
        #expect(Self.actions(message)?.map(\.actionID) == expected)
        let buttons = (Self.actions(message) ?? []).compactMap { element -> ButtonElement? in
            if case .button(let button) = element { button } else { nil }
        }
        // Every control but the Reassign select is a button.
        #expect(buttons.count == (expected ?? []).filter { $0 != "incident.reassign" }.count)
        #expect(buttons.map(\.value) == buttons.map { _ in "inc_123" })
        #expect(buttons.map(\.style) == buttons.map { $0.actionID == "incident.resolve" ? .primary : nil })
    }

    struct ReassignRow: Sendable, CustomTestStringConvertible {
        var name: String
        var assignee: String?
        var assignees: [String]
        var options: [String]?
        var initial: String?
        var testDescription: String { name }
    }

    static let many = (0..<150).map { "user\($0)@example.com" }

    @Test("Reassign select", arguments: [
        ReassignRow(name: "current assignee selected", assignee: "bo@example.com", assignees: ["ana@example.com", "bo@example.com"],
                    options: ["ana@example.com", "bo@example.com"], initial: "bo@example.com"),
        ReassignRow(name: "unassigned", assignee: nil, assignees: ["ana@example.com"], options: ["ana@example.com"], initial: nil),
        ReassignRow(name: "assignee not offered", assignee: "zed@example.com", assignees: ["ana@example.com"], options: ["ana@example.com"], initial: nil),
        ReassignRow(name: "nobody to offer: no select", assignee: "ana@example.com", assignees: [], options: nil, initial: nil),
        ReassignRow(name: "first 100 only", assignee: "user120@example.com", assignees: many, options: Array(many.prefix(100)), initial: nil),
        ReassignRow(name: "duplicates and unusable values skipped", assignee: nil,
                    assignees: ["a@x.io", "", "a@x.io", String(repeating: "x", count: 151) + "@x.io", "b@x.io"], options: ["a@x.io", "b@x.io"], initial: nil),
    ])
    func reassign(_ row: ReassignRow) {
        // setup
        let view = Self.incident(assignee: row.assignee, assignees: row.assignees)
        // MUT
        let message = SlackRenderer.incident(view, interactive: true)
        // validate
        var select: StaticSelectElement?
        for case .staticSelect(let element) in Self.actions(message) ?? [] { select = element }
        #expect(select?.options.map(\.value) == row.options)
        #expect(select?.options.map(\.text.text) == row.options)
        #expect(select?.initialOption?.value == row.initial)
        #expect(select?.placeholder?.text == (row.options == nil ? nil : "Reassign…"))
        #expect(SlackLimits.violations(in: message).isEmpty)
    }

    // MARK: - Content

    @Test("acknowledged incident shows the latest event and who")
    func acknowledged() {
        // setup
        var view = Self.incident(status: .acknowledged)
        view.latest = TimelineView(kind: "acknowledge", summary: "Acknowledged", actor: "bo@example.com", at: Self.at.addingTimeInterval(60))
        // MUT
        let message = SlackRenderer.incident(view, interactive: false)
        // validate
        let mrkdwn = Self.texts(message).mrkdwn
        #expect(mrkdwn.contains("*Status*\nAcknowledged"))
        #expect(mrkdwn.contains("*Latest:* Acknowledged — bo@example.com at <!date^1714564860^{date_short_pretty} {time}|2024-05-01T12:01:00Z>"))
        #expect(Self.texts(message).plain == ["🟠 DB latency > 2s on primary"])
    }

    @Test("resolved incident shows the resolution")
    func resolved() {
        // setup
        var view = Self.incident(status: .resolved)
        let resolvedAt = Self.at.addingTimeInterval(3_600)
        view.resolvedAt = resolvedAt
        view.latest = TimelineView(kind: "resolve", summary: "Latency back <1s", actor: "bo@example.com", at: resolvedAt)
        // MUT
        let message = SlackRenderer.incident(view, interactive: true)
        // validate
        let mrkdwn = Self.texts(message).mrkdwn
        #expect(mrkdwn.contains("*Resolved* by bo@example.com at <!date^1714568400^{date_short_pretty} {time}|2024-05-01T13:00:00Z>\nLatency back &lt;1s"))
        #expect(mrkdwn.contains("*Status*\nResolved"))
        #expect(Self.texts(message).plain == ["✅ DB latency > 2s on primary"])
        #expect(Self.actions(message) == nil)
    }

    @Test("resolved without a resolve event still says when")
    func resolvedWithoutEvent() {
        var view = Self.incident(status: .resolved)
        view.latest = nil
        view.resolvedAt = Self.at
        let mrkdwn = Self.texts(SlackRenderer.incident(view, interactive: false)).mrkdwn
        #expect(mrkdwn.contains("*Resolved* at <!date^1714564800^{date_short_pretty} {time}|2024-05-01T12:00:00Z>"))
    }

    @Test("empty fields")
    func emptyFields() {
        // setup
        let view = IncidentView(id: "i", key: "k", title: "T", status: .triggered, projectName: "P", link: Self.link, openedAt: Self.at)
        // MUT
        let message = SlackRenderer.incident(view, interactive: true)
        // validate
        guard case .section(let fields) = Self.blocks(message)[1] else {
            Issue.record("no fields section")
            return
        }
        #expect(fields.fields?.map(\.text) == [
            "*Status*\nTriggered", "*Severity*\n—", "*Service*\n—", "*Assignee*\nUnassigned", "*Tags*\n—", "*Project*\nP",
        ])
        // No description, no latest event: header, fields, context, actions.
        #expect(Self.blocks(message).map(\.type) == ["header", "section", "context", "actions"])
        #expect(Self.actions(message)?.map(\.actionID) == ["incident.acknowledge", "incident.resolve"])
    }

    @Test("user text is escaped in mrkdwn, and only there")
    func escaping() {
        // setup
        let evil = "<!channel> & <https://evil.example|click>"
        let view = IncidentView(
            id: "i", key: evil, title: evil, description: evil, status: .triggered, severity: .warning, serviceName: evil,
            tags: [evil: evil], assignee: evil, projectName: evil,
            latest: TimelineView(kind: "update", summary: evil, actor: evil, at: Self.at),
            link: URL(string: "https://herald.example.com/a?b=1&c=2")!, openedAt: Self.at)
        // MUT
        let message = SlackRenderer.incident(view, interactive: false)
        // validate
        let escaped = "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"
        let (mrkdwn, plain) = Self.texts(message)
        #expect(plain == ["🔴 " + evil])
        #expect(message.text == "[TRIGGERED] " + escaped)
        #expect(mrkdwn.count >= 8, "every field, the latest event and the footer are mrkdwn")
        for text in mrkdwn + [message.text] {
            #expect(!text.contains("<!channel>"), "\(text)")
            #expect(!text.contains("<https://evil"), "\(text)")
        }
        #expect(mrkdwn.contains("*Service*\n" + escaped))
        #expect(mrkdwn.contains("*Assignee*\n" + escaped))
        #expect(mrkdwn.contains("*Tags*\n\(escaped)=\(escaped)"))
        #expect(mrkdwn.contains("*Project*\n" + escaped))
        #expect(mrkdwn.contains(escaped))
        #expect(mrkdwn.contains("*Latest:* \(escaped) — \(escaped) at <!date^1714564800^{date_short_pretty} {time}|2024-05-01T12:00:00Z>"))
        #expect(mrkdwn.contains("Key: " + escaped))
        #expect(mrkdwn.contains("<https://herald.example.com/a?b=1&amp;c=2|View in Herald>"))
    }

    @Test("tags sorted by key")
    func tagOrder() {
        var view = Self.incident()
        view.tags = ["zone": "b", "app": "web", "Env": "prod", "mid": ""]
        #expect(Self.texts(SlackRenderer.incident(view, interactive: false)).mrkdwn.contains("*Tags*\nEnv=prod, app=web, mid=, zone=b"))
    }

    // MARK: - Limits

    static func huge(status: IncidentStatus) -> IncidentView {
        let title = String(repeating: "Disk full & <rising> ", count: 500)  // 10,500 characters
        let tags = Dictionary(uniqueKeysWithValues: (0..<100).map { ("tag\($0)", String(repeating: "v&", count: 100)) })
        return IncidentView(
            id: String(repeating: "i", count: 3_000), key: String(repeating: "k<", count: 5_000), title: title,
            description: String(repeating: "a&b ", count: 12_500), status: status, severity: .error,
            serviceName: String(repeating: "s", count: 5_000), tags: tags, assignee: "user7@example.com",
            projectName: String(repeating: "p", count: 5_000),
            latest: TimelineView(kind: "update", summary: String(repeating: ">", count: 50_000), actor: String(repeating: "a", count: 500), at: at),
            link: link, openedAt: at, resolvedAt: status == .resolved ? at : nil,
            assignees: (0..<500).map { "user\($0)@" + String(repeating: "e", count: 100) + ".com" } + ["user7@example.com"])
    }

    @Test("within Slack's limits, whatever the input",
          arguments: IncidentStatus.allCases.flatMap { status in [true, false].map { (status, $0) } })
    func limits(_ status: IncidentStatus, _ interactive: Bool) throws {
        // MUT
        let message = SlackRenderer.incident(Self.huge(status: status), interactive: interactive)
        // validate
        #expect(SlackLimits.violations(in: message).isEmpty)
        #expect(message.clamped() == message)
        let (mrkdwn, plain) = Self.texts(message)
        #expect(!plain.isEmpty, "the header's plain text was seen")
        #expect(plain.allSatisfy { $0.count <= SlackLimits.headerText && $0.hasSuffix("…") })
        // Cuts never split an entity: every `&` still starts one.
        #expect(mrkdwn.count >= 8)
        for text in mrkdwn + [message.text] {
            #expect(text.replacingOccurrences(of: "&amp;", with: "").replacingOccurrences(of: "&lt;", with: "")
                .replacingOccurrences(of: "&gt;", with: "").contains("&") == false)
        }
        // Links and dates survive: each context element is whole.
        let contexts = Self.blocks(message).compactMap { block -> ContextBlock? in
            if case .context(let context) = block { context } else { nil }
        }
        #expect(contexts.count == 1)
        #expect(contexts.first?.elements.first?.text == "<https://herald.example.com/incidents/inc_123?at=1714564800|View in Herald>")
        #expect(contexts.first?.elements.last?.text.hasSuffix("|2024-05-01T12:00:00Z>") == true)
        let latest = mrkdwn.first { $0.hasPrefix("*Latest:*") || $0.hasPrefix("*Resolved*") }
        #expect(latest?.contains("<!date^1714564800^") == true)
        try #require(JSONEncoder().encode(message).count < 200_000)
    }

    @Test("a very long link is dropped, not cut")
    func longLink() {
        var view = Self.incident()
        view.link = URL(string: "https://herald.example.com/" + String(repeating: "x", count: 4_000))!
        let message = SlackRenderer.incident(view, interactive: false)
        #expect(SlackLimits.violations(in: message).isEmpty)
        #expect(!Self.texts(message).mrkdwn.contains { $0.contains("View in Herald") })
    }

    // MARK: - Notifications

    @Test("notification colour by severity", arguments: [
        (Severity?.some(.critical), SlackRenderer.red), (.error, SlackRenderer.red), (.warning, SlackRenderer.amber),
        (.info, SlackRenderer.grey), (nil, SlackRenderer.grey),
    ])
    func notificationColour(_ severity: Severity?, _ expected: String) {
        let view = NotificationView(title: "Deploy", severity: severity, projectName: "Shop", link: Self.link, at: Self.at)
        #expect(SlackRenderer.notification(view).attachments?.first?.color == expected)
    }

    @Test("notification content")
    func notification() {
        // setup
        let view = NotificationView(title: "Deploy <v2> done", text: "Rolled out to 3/3 & healthy", severity: .info,
                                    serviceName: "Checkout", projectName: "Shop", link: Self.link, at: Self.at)
        // MUT
        let message = SlackRenderer.notification(view)
        // validate
        #expect(message.text == "[INFO] Deploy &lt;v2&gt; done")
        #expect(message.attachments?.first?.fallback == message.text)
        #expect(Self.blocks(message).map(\.type) == ["header", "section", "section", "context"])
        let (mrkdwn, plain) = Self.texts(message)
        #expect(plain == ["Deploy <v2> done"])
        #expect(mrkdwn == [
            "*Severity*\nInfo", "*Service*\nCheckout", "*Project*\nShop",
            "Rolled out to 3/3 &amp; healthy",
            "<https://herald.example.com/incidents/inc_123?at=1714564800|View in Herald>",
            "<!date^1714564800^{date_short_pretty} {time}|2024-05-01T12:00:00Z>",
        ])
        #expect(Self.actions(message) == nil)
    }

    @Test("minimal notification")
    func minimalNotification() {
        let message = SlackRenderer.notification(NotificationView(title: "  ", projectName: "Shop", link: Self.link, at: Self.at))
        #expect(message.text == "(untitled)")
        #expect(Self.texts(message).plain == ["(untitled)"])
        #expect(Self.texts(message).mrkdwn.prefix(3) == ["*Severity*\n—", "*Service*\n—", "*Project*\nShop"])
        #expect(Self.blocks(message).map(\.type) == ["header", "section", "context"])
    }

    @Test("notification within limits")
    func notificationLimits() {
        let view = NotificationView(title: String(repeating: "<t>", count: 4_000), text: String(repeating: "&", count: 50_000),
                                    severity: .critical, serviceName: String(repeating: "s", count: 3_000),
                                    projectName: String(repeating: "p", count: 3_000), link: Self.link, at: Self.at)
        let message = SlackRenderer.notification(view)
        #expect(SlackLimits.violations(in: message).isEmpty)
        #expect(message.text.hasPrefix("[CRITICAL] &lt;t&gt;"))
        #expect(message.text.count <= 400)
    }
}
