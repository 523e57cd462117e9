import Foundation
import HeraldCore

/// `PUT …/settings/slack`: absent fields stay as they are.
struct SlackSettingsUpdate: Decodable, Sendable {
    var enabled: Bool?
    var token: String?
    var removeToken: Bool?
    /// As written, before ``read(_:)`` checks it.
    var channelsInput: ChannelsInput?
    /// The channels, normalised, after ``read(_:)``.
    var channels: [String]?
    /// `true`/`false` sets this level's value; `null` inherits again.
    var threadUpdates: FieldChange<Bool> = .keep

    enum ChannelsInput: Sendable {
        case text(String)
        case list([String])
    }

    enum CodingKeys: String, CodingKey {
        case enabled, token, removeToken, channels, threadUpdates
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled)
        removeToken = try c.decodeIfPresent(Bool.self, forKey: .removeToken)
        token = try c.decodeIfPresent(String.self, forKey: .token)
        threadUpdates = try FieldChange(c, .threadUpdates)
        // channels: one string separated by spaces, or an array of strings.
        if c.contains(.channels), try !c.decodeNil(forKey: .channels) {
            if let text = try? c.decode(String.self, forKey: .channels) {
                channelsInput = .text(text)
            } else if let list = try? c.decode([String].self, forKey: .channels) {
                channelsInput = .list(list)
            } else {
                throw FieldError(field: "channels", detail: "must be a string of channel names or ids separated by spaces, or an array of strings")
            }
        }
    }

    /// The update with its token and channels checked and normalised; every bad field is reported
    /// at once. The API and the settings pages both apply it.
    static func validated(_ body: SlackSettingsUpdate) throws(DomainError) -> SlackSettingsUpdate {
        var update = body
        var errors: [FieldError] = []
        if let raw = update.token {
            do {
                let token = try SecretInput.token(raw)
                update.token = token.isEmpty ? nil : token
            } catch { errors.append(error) }
        }
        switch update.channelsInput {
        case .text(let text): do { update.channels = try SlackChannels.parse(text: text) } catch { errors.append(error) }
        case .list(let list): do { update.channels = try SlackChannels.parse(list: list) } catch { errors.append(error) }
        case nil: break
        }
        try DomainError.throwIfInvalid(errors)
        return update
    }
}

/// A field of a partial update: absent (keep), `null` (clear), or a value.
enum FieldChange<Value: Decodable & Sendable>: Sendable {
    case keep
    case clear
    case set(Value)

    var isClear: Bool { if case .clear = self { true } else { false } }

    init<Key: CodingKey>(_ c: KeyedDecodingContainer<Key>, _ key: Key) throws {
        if !c.contains(key) { self = .keep } else if try c.decodeNil(forKey: key) { self = .clear } else { self = .set(try c.decode(Value.self, forKey: key)) }
    }
}
