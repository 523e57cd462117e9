import Foundation
import SlackAPI

/// The sandbox's page: each channel's messages as Slack shows them (colour bar, header, fields,
/// context, buttons), latest version of each message, without JavaScript.
enum SandboxPage {
    static func render(channels: [SandboxChannel], selected: SandboxChannel?, messages: [SandboxMessage]) -> String {
        let sidebar = channels.map { c -> String in
            let icon = c.isPrivate ? "🔒" : "#"
            var classes = ["channel"]
            if c.id == selected?.id { classes.append("selected") }
            if c.isArchived { classes.append("archived") }
            let note = c.isArchived ? " <small>(archived)</small>" : (c.botIsMember ? "" : " <small>(Herald not in channel)</small>")
            return "<li class=\"\(classes.joined(separator: " "))\"><a href=\"/sandbox?channel=\(c.id)\">\(icon) \(escape(c.name))</a>\(note)</li>"
        }.joined(separator: "\n")
        let body: String
        if let selected {
            let items = messages.isEmpty
                ? "<p class=\"empty\">No messages in this channel yet.</p>"
                : messages.map(renderMessage).joined(separator: "\n")
            body = "<h1>\(selected.isPrivate ? "🔒" : "#") \(escape(selected.name)) <small>\(selected.id)</small></h1>\n\(items)"
        } else {
            body = "<p>No channels.</p>"
        }
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
        <title>\(selected.map { "#" + escape($0.name) + " – " } ?? "")\(SandboxWorkspace.teamName)</title>
        <style>\(css)</style></head>
        <body><aside><h2>\(SandboxWorkspace.teamName)</h2><p class="hint">Slack sandbox · refreshes every 5 s</p><ul>\(sidebar)</ul></aside>
        <main>\(body)</main></body></html>
        """
    }

    static func simple(title: String, body: String) -> String {
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(escape(title))</title><style>\(css)</style></head><body><main><h1>\(escape(title))</h1>\(body)</main></body></html>"
    }

    static func renderMessage(_ m: SandboxMessage) -> String {
        let author = m.viaWebhook ? escape(m.username ?? "incoming-webhook") : "Herald"
        let time = Double(m.ts.split(separator: ".").first ?? "0").map { Date(timeIntervalSince1970: $0) } ?? Date()
        let formatter = ISO8601DateFormatter()
        let edited = m.edits > 0 ? " <span class=\"edited\">(edited\(m.edits > 1 ? " ×\(m.edits)" : ""))</span>" : ""
        var html = "<article class=\"message\" id=\"m\(m.ts)\" data-ts=\"\(m.ts)\" data-edits=\"\(m.edits)\">"
        html += "<div class=\"meta\"><b>\(author)</b> <span class=\"app\">APP</span> <time>\(formatter.string(from: time))</time>\(edited)</div>"
        if let blocks = m.blocks?.array {
            html += blocks.map(renderBlock).joined()
        } else if !m.text.isEmpty {
            html += "<div class=\"text\">\(mrkdwn(m.text))</div>"
        }
        for attachment in m.attachments?.array ?? [] {
            let color = cssColor(attachment["color"]?.string)
            html += "<div class=\"attachment\" style=\"border-left-color:\(color)\" data-color=\"\(escape(attachment["color"]?.string ?? ""))\">"
            if let blocks = attachment["blocks"]?.array { html += blocks.map(renderBlock).joined() }
            if let text = attachment["text"]?.string { html += "<div class=\"text\">\(mrkdwn(text))</div>" }
            html += "</div>"
        }
        return html + "</article>"
    }

    static func renderBlock(_ block: JSONValue) -> String {
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
            return "<div class=\"actions\">" + (block["elements"]?.array ?? []).map(renderElement).joined() + "</div>"
        case "divider":
            return "<hr>"
        default:
            return "<div class=\"unknown\">[\(escape(block["type"]?.string ?? "block"))]</div>"
        }
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
    .empty{color:#888}
    """
}
