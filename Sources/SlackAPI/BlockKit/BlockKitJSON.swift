import Foundation

/// A Block Kit value that writes its own JSON, byte for byte what `JSONEncoder` with
/// `[.sortedKeys, .withoutEscapingSlashes]` writes (the Slack client's settings), without the
/// generic `Encodable` machinery, which cost more than the rest of a delivery's send. Keys are
/// written in sorted order by each type; `BlockKitJSONTests` holds every type to `JSONEncoder`.
protocol BlockKitJSON: Encodable {
    func write(to json: inout JSONBytes)
}

extension BlockKitJSON {
    /// The value's JSON.
    var jsonData: Data {
        var json = JSONBytes()
        write(to: &json)
        return Data(json.bytes)
    }
}

/// A JSON writer with no whitespace, for ``BlockKitJSON``.
struct JSONBytes {
    private(set) var bytes: [UInt8] = []
    /// Whether the next key or element follows another (and needs a comma).
    private var follows = false

    init() {
        bytes.reserveCapacity(2048)
    }

    mutating func object(_ body: (inout JSONBytes) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        follows = false
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        follows = true
    }

    mutating func array<T: BlockKitJSON>(_ values: [T]) {
        separate()
        bytes.append(UInt8(ascii: "["))
        follows = false
        for value in values { value.write(to: &self) }
        bytes.append(UInt8(ascii: "]"))
        follows = true
    }

    mutating func field(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        name(key)
        string(value)
    }

    mutating func field(_ key: StaticString, _ value: Bool?) {
        guard let value else { return }
        name(key)
        bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
        follows = true
    }

    mutating func field(_ key: StaticString, _ value: Int?) {
        guard let value else { return }
        name(key)
        bytes.append(contentsOf: String(value).utf8)
        follows = true
    }

    mutating func field<T: BlockKitJSON>(_ key: StaticString, _ value: T?) {
        guard let value else { return }
        name(key)
        value.write(to: &self)
    }

    mutating func field<T: BlockKitJSON>(_ key: StaticString, _ values: [T]?) {
        guard let values else { return }
        name(key)
        array(values)
    }

    private mutating func separate() {
        if follows { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func name(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        follows = false
    }

    /// A JSON string, escaped as `JSONEncoder` escapes it: quote, backslash, and control characters.
    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        follows = true
    }

    private static let hex = Array("0123456789abcdef".utf8)
    private static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8)
}

extension SlackMessage: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("attachments", attachments)
            json.field("blocks", blocks)
            if !channel.isEmpty { json.field("channel", channel) }
            json.field("text", text)
            json.field("thread_ts", threadTS)
            json.field("unfurl_links", unfurlLinks)
        }
    }
}

extension Attachment: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("blocks", blocks)
            json.field("color", color)
            json.field("fallback", fallback)
            json.field("text", text)
        }
    }
}

extension Block: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        switch self {
        case .header(let block): block.write(to: &json)
        case .section(let block): block.write(to: &json)
        case .context(let block): block.write(to: &json)
        case .actions(let block): block.write(to: &json)
        case .divider(let block): block.write(to: &json)
        case .input(let block): block.write(to: &json)
        }
    }
}

extension TextObject: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("emoji", emoji)
            json.field("text", text)
            json.field("type", type.rawValue)
        }
    }
}

extension HeaderBlock: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("block_id", blockID)
            json.field("text", text)
            json.field("type", Self.type)
        }
    }
}

extension SectionBlock: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("accessory", accessory)
            json.field("block_id", blockID)
            json.field("fields", fields)
            json.field("text", text)
            json.field("type", Self.type)
        }
    }
}

extension ContextBlock: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("block_id", blockID)
            json.field("elements", elements)
            json.field("type", Self.type)
        }
    }
}

extension ActionsBlock: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("block_id", blockID)
            json.field("elements", elements)
            json.field("type", Self.type)
        }
    }
}

extension DividerBlock: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("block_id", blockID)
            json.field("type", Self.type)
        }
    }
}

extension InputBlock: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("block_id", blockID)
            json.field("element", element)
            json.field("hint", hint)
            json.field("label", label)
            json.field("optional", optional)
            json.field("type", Self.type)
        }
    }
}

extension BlockElement: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        switch self {
        case .button(let element): element.write(to: &json)
        case .staticSelect(let element): element.write(to: &json)
        case .plainTextInput(let element): element.write(to: &json)
        }
    }
}

extension ButtonElement: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("action_id", actionID)
            json.field("style", style?.rawValue)
            json.field("text", text)
            json.field("type", Self.type)
            json.field("url", url)
            json.field("value", value)
        }
    }
}

extension StaticSelectElement: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("action_id", actionID)
            json.field("initial_option", initialOption)
            json.field("options", options)
            json.field("placeholder", placeholder)
            json.field("type", Self.type)
        }
    }
}

extension PlainTextInputElement: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("action_id", actionID)
            json.field("initial_value", initialValue)
            json.field("max_length", maxLength)
            json.field("multiline", multiline)
            json.field("placeholder", placeholder)
            json.field("type", Self.type)
        }
    }
}

extension OptionObject: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("text", text)
            json.field("value", value)
        }
    }
}

extension SlackClient.UpdateBody: BlockKitJSON {
    func write(to json: inout JSONBytes) {
        json.object { json in
            json.field("attachments", attachments)
            json.field("blocks", blocks)
            json.field("channel", channel)
            json.field("text", text)
            json.field("ts", ts)
        }
    }
}
