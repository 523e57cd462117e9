import Foundation
import SlackAPI

/// The sandbox's page: each channel's messages as Slack shows them (colour bar, header, fields,
/// context, buttons), latest version of each message, without JavaScript.
enum SandboxPage {
    /// The channel page as `viewer` sees it: messages with their threads, controls that send Herald
    /// signed requests as that person, what was shown only to them, the message box, and their
    /// open modal.
    static func render(channels: [SandboxChannel], selected: SandboxChannel?, messages: [SandboxMessage], viewer: SandboxUser,
                       users: [SandboxUser], ephemerals: [SandboxEphemeral] = [], openView: SandboxOpenView? = nil) -> String {
        let viewerQuery = "&as=" + escape(viewer.id)
        let sidebar = channels.map { c -> String in
            let icon = c.isPrivate ? "🔒" : "#"
            var classes = ["channel"]
            if c.id == selected?.id { classes.append("selected") }
            if c.isArchived { classes.append("archived") }
            let note = c.isArchived ? " <small>(archived)</small>" : (c.botIsMember ? "" : " <small>(Herald not in channel)</small>")
            return "<li class=\"\(classes.joined(separator: " "))\"><a href=\"/sandbox?channel=\(c.id)\(viewerQuery)\">\(icon) \(escape(c.name))</a>\(note)</li>"
        }.joined(separator: "\n")
        let people = users.map { u in
            "<option value=\"\(escape(u.id))\"\(u.id == viewer.id ? " selected" : "")>\(escape(u.realName)) (\(escape(u.email ?? "no email")))</option>"
        }.joined()
        let switcher = """
            <form class="viewer" method="get" action="/sandbox"><input type="hidden" name="channel" value="\(escape(selected?.id ?? ""))">
            <label>You are <select name="as">\(people)</select></label> <button type="submit">Switch</button></form>
            """
        let body: String
        if let selected {
            let context = Context(channel: selected.id, viewer: viewer.id, users: users)
            let roots = messages.filter { $0.threadTS == nil || $0.threadTS == $0.ts }
            let replies = Dictionary(grouping: messages.filter { $0.threadTS != nil && $0.threadTS != $0.ts }) { $0.threadTS! }
            var items = roots.isEmpty
                ? "<p class=\"empty\">No messages in this channel yet.</p>"
                : roots.map { root in
                    var html = renderMessage(root, context)
                    if let thread = replies[root.ts], !thread.isEmpty {
                        html += "<div class=\"thread\" data-thread=\"\(root.ts)\"><div class=\"thread-count\">\(thread.count) \(thread.count == 1 ? "reply" : "replies")</div>"
                            + thread.map { renderMessage($0, context) }.joined() + "</div>"
                    }
                    return html
                }.joined(separator: "\n")
            items += ephemerals.map { e in
                "<article class=\"ephemeral\"><div class=\"meta\"><b>Herald</b> <span class=\"app\">APP</span> <span class=\"only\">Only visible to you</span></div><div class=\"text\">\(mrkdwn(e.text))</div></article>"
            }.joined()
            let composer = """
                <form class="composer" method="post" action="/sandbox/post"><input type="hidden" name="channel" value="\(selected.id)">
                <input type="hidden" name="as" value="\(escape(viewer.id))">
                <input name="text" aria-label="Message" placeholder="Message #\(escape(selected.name)), or a command such as /create_incident" autocomplete="off">
                <button type="submit">Send</button></form>
                <form class="composer" method="post" action="/sandbox/post"><input type="hidden" name="channel" value="\(selected.id)">
                <input type="hidden" name="as" value="\(escape(viewer.id))"><input type="hidden" name="text" value="/create_incident">
                <button type="submit">/create_incident</button></form>
                """
            body = "<h1>\(selected.isPrivate ? "🔒" : "#") \(escape(selected.name)) <small>\(selected.id)</small></h1>\n\(switcher)\n\(items)\n\(composer)"
                + (openView.map { renderModal($0, channel: selected.id, viewer: viewer.id) } ?? "")
        } else {
            body = "<p>No channels.</p>"
        }
        // Refreshes itself, unless a modal is open (it would lose what is typed).
        let refresh = openView == nil ? "<meta http-equiv=\"refresh\" content=\"5\">" : ""
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">\(refresh)
        <title>\(selected.map { "#" + escape($0.name) + " – " } ?? "")\(SandboxWorkspace.teamName)</title>
        <style>\(css)</style></head>
        <body><aside><h2>\(SandboxWorkspace.teamName)</h2><p class="hint">Slack sandbox · refreshes every 5 s</p><ul>\(sidebar)</ul></aside>
        <main>\(body)</main></body></html>
        """
    }

    /// Who is looking, where: controls send their requests as this person from this channel.
    struct Context {
        var channel: String
        var viewer: String
        var users: [SandboxUser] = []
    }

    /// The open modal as a form: each input named `block_id.action_id`, Herald's errors under their blocks.
    static func renderModal(_ open: SandboxOpenView, channel: String, viewer: String) -> String {
        let view = open.view
        var html = "<div class=\"modal-backdrop\"><form class=\"modal\" method=\"post\" action=\"/sandbox/views/submit\" data-view=\"\(escape(open.id))\">"
        html += "<input type=\"hidden\" name=\"as\" value=\"\(escape(viewer))\"><input type=\"hidden\" name=\"channel\" value=\"\(escape(channel))\">"
        html += "<h2>\(escape(view["title"]?["text"]?.string ?? "Modal"))</h2>"
        if let general = open.errors[""] { html += "<p class=\"error\">\(escape(general))</p>" }
        for block in view["blocks"]?.array ?? [] {
            guard block["type"]?.string == "input", let blockID = block["block_id"]?.string, let element = block["element"],
                  let actionID = element["action_id"]?.string
            else { html += renderBlock(block); continue }
            let name = escape("\(blockID).\(actionID)")
            let optional = block["optional"]?.bool == true ? " <small>(optional)</small>" : ""
            html += "<div class=\"input\"><label for=\"\(name)\">\(escape(block["label"]?["text"]?.string ?? blockID))\(optional)</label>"
            switch element["type"]?.string {
            case "static_select":
                html += "<select id=\"\(name)\" name=\"\(name)\"><option value=\"\">\(escape(element["placeholder"]?["text"]?.string ?? "Choose"))</option>\(options(element))</select>"
            default:
                let placeholder = escape(element["placeholder"]?["text"]?.string ?? "")
                html += element["multiline"]?.bool == true
                    ? "<textarea id=\"\(name)\" name=\"\(name)\" rows=\"3\" placeholder=\"\(placeholder)\"></textarea>"
                    : "<input id=\"\(name)\" name=\"\(name)\" placeholder=\"\(placeholder)\">"
            }
            if let error = open.errors[blockID] { html += "<p class=\"error\" data-error-for=\"\(escape(blockID))\">\(escape(error))</p>" }
            html += "</div>"
        }
        let submit = escape(view["submit"]?["text"]?.string ?? "Submit"), close = escape(view["close"]?["text"]?.string ?? "Cancel")
        html += "<div class=\"modal-buttons\"><button type=\"submit\" formaction=\"/sandbox/views/close\">\(close)</button>"
        html += "<button class=\"button primary\" type=\"submit\">\(submit)</button></div></form></div>"
        return html
    }

    static func simple(title: String, body: String) -> String {
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(escape(title))</title><style>\(css)</style></head><body><main><h1>\(escape(title))</h1>\(body)</main></body></html>"
    }

    static func renderMessage(_ m: SandboxMessage) -> String {
        renderMessage(m, Context(channel: m.channel, viewer: ""))
    }

    static func renderMessage(_ m: SandboxMessage, _ context: Context) -> String {
        let person = m.botID == nil ? context.users.first { $0.id == m.user } : nil
        let author = m.viaWebhook ? escape(m.username ?? "incoming-webhook") : person.map { escape($0.realName) } ?? (m.botID == nil ? escape(m.user ?? "someone") : "Herald")
        let badge = m.botID == nil ? "" : " <span class=\"app\">APP</span>"
        let time = Double(m.ts.split(separator: ".").first ?? "0").map { Date(timeIntervalSince1970: $0) } ?? Date()
        let formatter = ISO8601DateFormatter()
        let edited = m.edits > 0 ? " <span class=\"edited\">(edited\(m.edits > 1 ? " ×\(m.edits)" : ""))</span>" : ""
        var html = "<article class=\"message\" id=\"m\(m.ts)\" data-ts=\"\(m.ts)\" data-edits=\"\(m.edits)\">"
        html += "<div class=\"meta\"><b>\(author)</b>\(badge) <time>\(formatter.string(from: time))</time>\(edited)</div>"
        let controls = Controls(channel: context.channel, ts: m.ts, viewer: context.viewer)
        if let blocks = m.blocks?.array {
            html += blocks.map { renderBlock($0, controls) }.joined()
        } else if !m.text.isEmpty {
            html += "<div class=\"text\">\(mrkdwn(m.text))</div>"
        }
        for attachment in m.attachments?.array ?? [] {
            let color = cssColor(attachment["color"]?.string)
            html += "<div class=\"attachment\" style=\"border-left-color:\(color)\" data-color=\"\(escape(attachment["color"]?.string ?? ""))\">"
            if let blocks = attachment["blocks"]?.array { html += blocks.map { renderBlock($0, controls) }.joined() }
            if let text = attachment["text"]?.string { html += "<div class=\"text\">\(mrkdwn(text))</div>" }
            html += "</div>"
        }
        return html + "</article>"
    }

    /// Where a message's controls send their clicks: nil renders them inert.
    struct Controls {
        var channel: String
        var ts: String
        var viewer: String
    }

    static func renderBlock(_ block: JSONValue) -> String {
        renderBlock(block, nil)
    }

    static func renderBlock(_ block: JSONValue, _ controls: Controls?) -> String {
        switch block["type"]?.string {
        case "header":
            return "<div class=\"header\">\(escape(block["text"]?["text"]?.string ?? ""))</div>"
        case "section":
            var html = "<div class=\"section\">"
            if let text = block["text"] { html += "<div class=\"text\">\(renderText(text))</div>" }
            if let fields = block["fields"]?.array {
                html += "<div class=\"fields\">" + fields.map { "<div class=\"field\">\(renderText($0))</div>" }.joined() + "</div>"
            }
            if let accessory = block["accessory"] { html += renderElement(accessory) }
            return html + "</div>"
        case "context":
            let parts = (block["elements"]?.array ?? []).map(renderText).joined(separator: " · ")
            return "<div class=\"context\">\(parts)</div>"
        case "actions":
            let blockID = block["block_id"]?.string
            return "<div class=\"actions\">" + (block["elements"]?.array ?? []).map { renderElement($0, controls, blockID: blockID) }.joined() + "</div>"
        case "divider":
            return "<hr>"
        default:
            return "<div class=\"unknown\">[\(escape(block["type"]?.string ?? "block"))]</div>"
        }
    }

    /// A control: with `controls` (and a viewer), a form that sends the click; otherwise inert.
    static func renderElement(_ element: JSONValue, _ controls: Controls?, blockID: String?) -> String {
        guard let controls, !controls.viewer.isEmpty else { return renderElement(element) }
        let actionID = escape(element["action_id"]?.string ?? "")
        let hidden = [("channel", controls.channel), ("ts", controls.ts), ("as", controls.viewer), ("action_id", element["action_id"]?.string ?? ""),
                      ("block_id", blockID ?? "")].map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\(escape($0.1))\">" }.joined()
        switch element["type"]?.string {
        case "button":
            let style = element["style"]?.string.map { " \(escape($0))" } ?? ""
            return "<form class=\"control\" method=\"post\" action=\"/sandbox/act\">\(hidden)<input type=\"hidden\" name=\"value\" value=\"\(escape(element["value"]?.string ?? ""))\">"
                + "<button class=\"button\(style)\" type=\"submit\" data-action=\"\(actionID)\">\(escape(element["text"]?["text"]?.string ?? ""))</button></form>"
        case "static_select":
            let placeholder = escape(element["placeholder"]?["text"]?.string ?? "Select")
            let prompt = element["initial_option"] == nil ? "<option value=\"\" disabled selected>\(placeholder)</option>" : ""
            return "<form class=\"control\" method=\"post\" action=\"/sandbox/act\">\(hidden)<select name=\"selected\" aria-label=\"\(placeholder)\" data-action=\"\(actionID)\">"
                + "\(prompt)\(options(element))</select> <button class=\"button\" type=\"submit\">\(placeholder.replacingOccurrences(of: "…", with: ""))</button></form>"
        default:
            return ""
        }
    }

    /// A select's options, its initial one chosen.
    static func options(_ element: JSONValue) -> String {
        let initial = element["initial_option"]?["value"]?.string
        return (element["options"]?.array ?? []).map { o -> String in
            let value = o["value"]?.string ?? ""
            return "<option value=\"\(escape(value))\"\(value == initial ? " selected" : "")>\(escape(o["text"]?["text"]?.string ?? value))</option>"
        }.joined()
    }

    static func renderElement(_ element: JSONValue) -> String {
        switch element["type"]?.string {
        case "button":
            let style = element["style"]?.string.map { " \(escape($0))" } ?? ""
            return "<button class=\"button\(style)\" disabled data-action=\"\(escape(element["action_id"]?.string ?? ""))\">\(escape(element["text"]?["text"]?.string ?? ""))</button>"
        case "static_select":
            let options = (element["options"]?.array ?? []).map { "<option>\(escape($0["text"]?["text"]?.string ?? ""))</option>" }.joined()
            let placeholder = escape(element["placeholder"]?["text"]?.string ?? "Select")
            return "<select disabled data-action=\"\(escape(element["action_id"]?.string ?? ""))\"><option>\(placeholder)</option>\(options)</select>"
        default:
            return ""
        }
    }

    static func renderText(_ text: JSONValue) -> String {
        let raw = text["text"]?.string ?? ""
        return text["type"]?.string == "mrkdwn" ? mrkdwn(raw) : escape(raw)
    }

    static func cssColor(_ color: String?) -> String {
        switch color {
        case "good": "#2eb67d"
        case "warning": "#daa038"
        case "danger": "#a30200"
        case let c? where c.range(of: "^#?[0-9a-fA-F]{3,8}$", options: .regularExpression) != nil: c.hasPrefix("#") ? c : "#" + c
        default: "#dddddd"
        }
    }

    /// Slack's mrkdwn as Slack shows it, enough of it: `&amp;`, `&lt;` and `&gt;` as the characters
    /// they stand for, `<url|label>` links, `<!date^…|fallback>` dates, `<!here>`-style mentions,
    /// *bold*, _italic_, ~strike~, `code`, line breaks.
    static func mrkdwn(_ raw: String) -> String {
        var out = ""
        var rest = Substring(raw)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            out += inline(escape(unescapeEntities(String(rest[..<open]))))
            let inner = String(rest[rest.index(after: open)..<close])
            let parts = inner.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let target = unescapeEntities(parts[0])
            let label = parts.count > 1 ? unescapeEntities(parts[1]) : target
            if target.hasPrefix("http://") || target.hasPrefix("https://") || target.hasPrefix("mailto:") {
                out += "<a href=\"\(escape(target))\">\(escape(label))</a>"
            } else if target.hasPrefix("!date^") {
                // <!date^1714564800^{date_short_pretty} {time}|fallback>: Slack shows the time in the reader's zone.
                let unix = target.split(separator: "^").dropFirst().first.flatMap { Double($0) }
                let shown = unix.map { dateFormatter.string(from: Date(timeIntervalSince1970: $0)) } ?? label
                out += "<time>\(escape(shown))</time>"
            } else if target.hasPrefix("!") {
                out += "<b>@\(escape(String(target.dropFirst())))</b>"
            } else if target.hasPrefix("@") || target.hasPrefix("#") {
                out += escape(parts.count > 1 ? (target.hasPrefix("#") ? "#" : "@") + label : target)
            } else {
                out += escape("<\(unescapeEntities(inner))>")
            }
            rest = rest[rest.index(after: close)...]
        }
        out += inline(escape(unescapeEntities(String(rest))))
        return out.replacingOccurrences(of: "\n", with: "<br>")
    }

    /// The three entities Slack's mrkdwn uses.
    static func unescapeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Dates as the sandbox shows them (Slack would use the reader's time zone; the sandbox uses UTC).
    static let dateFormatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "MMM d, yyyy 'at' HH:mm 'UTC'"
        return f
    }()

    private static func inline(_ escaped: String) -> String {
        var s = escaped
        for (pattern, tag) in [("`([^`]+)`", "code"), ("\\*([^*\\n]+)\\*", "b"), ("(?<![A-Za-z0-9])_([^_\\n]+)_", "i"), ("~([^~\\n]+)~", "s")] {
            s = s.replacingOccurrences(of: pattern, with: "<\(tag)>$1</\(tag)>", options: .regularExpression)
        }
        return s
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static let css = """
    body{margin:0;font:15px/1.46 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;display:flex;min-height:100vh;color:#1d1c1d}
    aside{width:260px;background:#3f0e40;color:#fff;padding:12px 16px}aside h2{margin:4px 0}aside a{color:#e6d3e7;text-decoration:none}
    aside ul{list-style:none;padding:0}aside li{padding:3px 6px;border-radius:4px}aside li.selected{background:#1164a3}
    aside li.archived a{opacity:.5}.hint{color:#bcabbc;font-size:12px}main{flex:1;padding:16px 24px;max-width:900px}
    h1 small{color:#888;font-size:12px;font-weight:normal}.message{padding:8px 0;border-bottom:1px solid #eee}
    .meta time{color:#616061;font-size:12px}.app{background:#ddd;font-size:10px;padding:1px 3px;border-radius:2px}
    .edited{color:#616061;font-size:12px}.attachment{border-left:4px solid #ddd;padding:4px 12px;margin:6px 0}
    .header{font-weight:900;font-size:18px;margin:4px 0}.fields{display:grid;grid-template-columns:1fr 1fr;gap:4px 16px;margin:4px 0}
    .context{color:#616061;font-size:12px;margin:4px 0}.actions{margin:6px 0}.button{margin-right:6px;padding:3px 10px;border:1px solid #bbb;background:#fff;border-radius:4px}
    .button.primary{background:#007a5a;color:#fff}.button.danger{background:#e01e5a;color:#fff}code{background:#f6f6f6;border:1px solid #ddd;padding:0 3px}
    .empty{color:#888}form.control{display:inline}form.viewer{margin:0 0 12px;font-size:13px;color:#616061}
    .thread{margin:0 0 8px 28px;border-left:2px solid #e8e8e8;padding-left:12px}.thread .message{border-bottom:none;padding:4px 0}
    .thread-count{color:#1264a3;font-size:12px;font-weight:bold}.ephemeral{background:#f8f8f8;border-radius:6px;padding:6px 10px;margin:8px 0}
    .only{color:#616061;font-size:12px}.composer{display:flex;gap:8px;margin-top:12px}.composer input[name=text]{flex:1;padding:8px;border:1px solid #bbb;border-radius:6px}
    .modal-backdrop{position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center}
    .modal{background:#fff;border-radius:8px;padding:16px 20px;width:460px;box-shadow:0 8px 30px rgba(0,0,0,.3)}
    .modal .input{margin:10px 0}.modal label{display:block;font-weight:bold;margin-bottom:4px}.modal input,.modal textarea,.modal select{width:100%;box-sizing:border-box;padding:6px}
    .modal-buttons{display:flex;justify-content:flex-end;gap:8px;margin-top:12px}.error{color:#e01e5a;font-size:13px;margin:4px 0}
    """
}
