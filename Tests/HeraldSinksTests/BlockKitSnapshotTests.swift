import Foundation
import HeraldCore
import HeraldSinks
import SlackAPI
import Testing

/// Block Kit JSON of every message kind Herald sends, against snapshots in `Snapshots/` that were
/// reviewed by eye once; a change to a message shows up as a diff to review again. Record anew
/// with `HERALD_RECORD_SNAPSHOTS=1 swift test --filter BlockKitSnapshot`.
///
/// Each message is also held to Slack's documented limits, written down here (from
/// api.slack.com/reference/block-kit) rather than taken from Herald's own `SlackLimits`, so a
/// mistake there cannot hide here. Lengths are Unicode code points, as Slack counts characters.
@Suite("Block Kit snapshots and Slack's documented limits")
struct BlockKitSnapshotTests {
    static let at = Date(timeIntervalSince1970: 1_714_564_800)  // 2024-05-01T12:00:00Z
    static let link = URL(string: "https://herald.example.com/incidents/0190f3c2-0000-7000-8000-000000000001?at=2024-05-01T12:00:00Z")!

    static func incident(_ status: IncidentStatus, latest: TimelineView?, assignee: String? = nil) -> IncidentView {
        IncidentView(
            id: "0190f3c2-0000-7000-8000-000000000001", key: "alertmanager:3f2a9c", title: "Checkout p99 latency above 2 s",
            description: "p99 is 2.4 s & rising since the 11:40 deploy.\nRunbook: <https://wiki.example.com/checkout>",
            status: status, severity: .critical, serviceName: "checkout-api", tags: ["env": "prod", "region": "eu-west-1"],
            assignee: assignee, projectName: "Shop", latest: latest, link: link, openedAt: at,
            resolvedAt: status == .resolved ? at.addingTimeInterval(1_800) : nil,
            assignees: ["ana@example.com", "bo@example.com", "cy@example.com"])
    }

    static let cases: [(name: String, message: SlackMessage)] = [
        ("incident-triggered", SlackRenderer.incident(
            incident(.triggered, latest: TimelineView(kind: "trigger", summary: "Triggered: Checkout p99 latency above 2 s", actor: "alertmanager", at: at)),
            interactive: true)),
        ("incident-triggered-no-buttons", SlackRenderer.incident(
            incident(.triggered, latest: TimelineView(kind: "trigger", summary: "Triggered: Checkout p99 latency above 2 s", actor: "alertmanager", at: at)),
            interactive: false)),
        ("incident-updated", SlackRenderer.incident(
            incident(.triggered, latest: TimelineView(kind: "update", summary: "p99 now 3.1 s", actor: "alertmanager", at: at.addingTimeInterval(600))),
            interactive: true)),
        ("incident-acknowledged", SlackRenderer.incident(
            incident(.acknowledged, latest: TimelineView(kind: "acknowledge", summary: "Acknowledged by ana@example.com", actor: "ana@example.com",
                                                         at: at.addingTimeInterval(300)), assignee: "ana@example.com"),
            interactive: true)),
        ("incident-resolved", SlackRenderer.incident(
            incident(.resolved, latest: TimelineView(kind: "resolve", summary: "Resolved by ana@example.com: rolled back the deploy",
                                                     actor: "ana@example.com", at: at.addingTimeInterval(1_800)), assignee: "ana@example.com"),
            interactive: true)),
        ("notification-info", SlackRenderer.notification(NotificationView(
            title: "Deploy 2024.05.01-3 finished", text: "Checkout API is on *v1.42.0* (was v1.41.2).", severity: .info,
            serviceName: "checkout-api", projectName: "Shop", link: URL(string: "https://ci.example.com/runs/981")!, at: at))),
        ("notification-warning-no-text", SlackRenderer.notification(NotificationView(
            title: "Load test: error rate 2 %", severity: .warning, projectName: "Shop",
            link: URL(string: "https://herald.example.com/events/0190f3c2-0000-7000-8000-000000000002?at=2024-05-01T12:00:00Z")!, at: at))),
        ("test-message", SlackRenderer.testMessage(scope: "Shop & Co", sender: "ops@example.com", at: at)),
    ]

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static func json(_ message: SlackMessage) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(message), as: UTF8.self) + "\n"
    }

    @Test("the message matches its reviewed snapshot", arguments: cases.map(\.name))
    func snapshot(_ name: String) throws {
        // setup
        let message = try #require(Self.cases.first { $0.name == name }?.message)
        let file = Self.directory.appendingPathComponent(name + ".json")
        // MUT
        let actual = try Self.json(message)
        // validate
        if ProcessInfo.processInfo.environment["HERALD_RECORD_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try actual.write(to: file, atomically: true, encoding: .utf8)
        }
        let expected = try #require(try? String(contentsOf: file, encoding: .utf8), "no snapshot at \(file.path); record one and review it")
        #expect(actual == expected, "rendered:\n\(actual)")
    }

    @Test("every message is within Slack's documented limits", arguments: cases.map(\.name) + ["huge-triggered", "huge-resolved", "huge-notification"])
    func documentedLimits(_ name: String) throws {
        let message: SlackMessage = switch name {
        case "huge-triggered": SlackRenderer.incident(Self.huge(.triggered), interactive: true)
        case "huge-resolved": SlackRenderer.incident(Self.huge(.resolved), interactive: true)
        case "huge-notification": SlackRenderer.notification(NotificationView(
            title: String(repeating: "T", count: 5_000), text: String(repeating: "x&", count: 20_000), severity: .error,
            serviceName: String(repeating: "s", count: 3_000), projectName: "P", link: Self.link, at: Self.at))
        default: try #require(Self.cases.first { $0.name == name }?.message)
        }
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(message)) as? [String: Any])
        let problems = SlackDocumentedLimits.check(message: object)
        #expect(problems.isEmpty, "\(problems)")
        // What was checked: every message has blocks, and the huge ones every kind they render.
        let seen = SlackDocumentedLimits.blockTypes(message: object)
        #expect(!seen.isEmpty, "a message without blocks checks nothing")
        switch name {
        case "huge-triggered": #expect(seen == ["actions", "context", "header", "section"])
        case "huge-resolved", "huge-notification": #expect(seen == ["context", "header", "section"])
        default: break
        }
    }

    static func huge(_ status: IncidentStatus) -> IncidentView {
        IncidentView(
            id: UUID().uuidString, key: String(repeating: "k", count: 255), title: String(repeating: "Disk full <&> ", count: 800),
            description: String(repeating: "d", count: 40_000), status: status, severity: .error,
            serviceName: String(repeating: "s", count: 3_000), tags: Dictionary(uniqueKeysWithValues: (0..<50).map { ("t\($0)", String(repeating: "v", count: 500)) }),
            assignee: "a@example.com", projectName: String(repeating: "p", count: 300),
            latest: TimelineView(kind: "update", summary: String(repeating: "z\u{301}", count: 4_000), actor: String(repeating: "a", count: 300), at: at),
            link: link, openedAt: at, resolvedAt: status == .resolved ? at : nil,
            assignees: (0..<300).map { "user\($0)@example.com" })
    }
}

/// Slack's documented limits for what Herald sends (api.slack.com/reference/block-kit/blocks,
/// …/block-elements, …/composition-objects, chat.postMessage), checked on the JSON as Slack reads it.
enum SlackDocumentedLimits {
    static let messageText = 40_000
    static let blocksPerMessage = 50
    static let attachmentsPerMessage = 100
    static let headerText = 150
    static let sectionText = 3_000
    static let sectionFields = 10
    static let sectionFieldText = 2_000
    static let contextElements = 10
    static let contextText = 3_000  // a text object's text
    static let actionsElements = 25
    static let buttonText = 75
    static let buttonValue = 2_000
    static let actionID = 255
    static let selectOptions = 100
    static let optionText = 75
    static let optionValue = 150
    static let placeholderText = 150

    static func length(_ value: Any?) -> Int { (value as? String)?.unicodeScalars.count ?? 0 }

    static func text(_ object: Any?) -> Any? { (object as? [String: Any])?["text"] }

    /// The kinds of block the message holds, top level and in attachments.
    static func blockTypes(message: [String: Any]) -> Set<String> {
        let attachments = message["attachments"] as? [[String: Any]] ?? []
        let blocks = (message["blocks"] as? [[String: Any]] ?? []) + attachments.flatMap { $0["blocks"] as? [[String: Any]] ?? [] }
        return Set(blocks.compactMap { $0["type"] as? String })
    }

    /// Every limit the message breaks, as "path: problem"; a message without any block is one.
    static func check(message: [String: Any]) -> [String] {
        var problems: [String] = []
        func limit(_ path: String, _ value: Any?, _ max: Int) {
            if length(value) > max { problems.append("\(path): \(length(value)) > \(max)") }
        }
        func count(_ path: String, _ items: [Any]?, _ max: Int) {
            if (items?.count ?? 0) > max { problems.append("\(path): \(items?.count ?? 0) items > \(max)") }
        }
        limit("text", message["text"], messageText)
        let attachments = message["attachments"] as? [[String: Any]] ?? []
        count("attachments", attachments, attachmentsPerMessage)
        var blockLists: [(String, [[String: Any]])] = [("blocks", message["blocks"] as? [[String: Any]] ?? [])]
        for (i, attachment) in attachments.enumerated() {
            blockLists.append(("attachments[\(i)].blocks", attachment["blocks"] as? [[String: Any]] ?? []))
        }
        if blockLists.allSatisfy({ $0.1.isEmpty }) { problems.append("blocks: none (Herald's messages always have blocks)") }
        for (listPath, blocks) in blockLists {
            count(listPath, blocks, blocksPerMessage)
            for (b, block) in blocks.enumerated() {
                let path = "\(listPath)[\(b)]"
                switch block["type"] as? String {
                case "header":
                    limit(path + ".text", text(block["text"]), headerText)
                case "section":
                    limit(path + ".text", text(block["text"]), sectionText)
                    let fields = block["fields"] as? [[String: Any]]
                    count(path + ".fields", fields, sectionFields)
                    for (f, field) in (fields ?? []).enumerated() { limit(path + ".fields[\(f)]", field["text"], sectionFieldText) }
                case "context":
                    let elements = block["elements"] as? [[String: Any]]
                    count(path + ".elements", elements, contextElements)
                    for (e, element) in (elements ?? []).enumerated() { limit(path + ".elements[\(e)]", element["text"], contextText) }
                case "actions":
                    let elements = block["elements"] as? [[String: Any]]
                    count(path + ".elements", elements, actionsElements)
                    for (e, element) in (elements ?? []).enumerated() {
                        let at = path + ".elements[\(e)]"
                        limit(at + ".action_id", element["action_id"], actionID)
                        if element["type"] as? String == "button" {
                            limit(at + ".text", text(element["text"]), buttonText)
                            limit(at + ".value", element["value"], buttonValue)
                        } else {
                            limit(at + ".placeholder", text(element["placeholder"]), placeholderText)
                            let options = element["options"] as? [[String: Any]]
                            count(at + ".options", options, selectOptions)
                            for (o, option) in (options ?? []).enumerated() {
                                limit(at + ".options[\(o)].text", text(option["text"]), optionText)
                                limit(at + ".options[\(o)].value", option["value"], optionValue)
                            }
                        }
                    }
                default:
                    problems.append("\(path): unexpected block type \(block["type"] ?? "nil")")
                }
            }
        }
        return problems
    }
}
