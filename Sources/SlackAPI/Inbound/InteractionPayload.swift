import Foundation

/// What Slack posts to the interactivity URL, as the `payload` form field (JSON): a click in a
/// message (`block_actions`) or a submitted modal (`view_submission`). Only the fields Herald reads.
public struct InteractionPayload: Decodable, Sendable, Equatable {
    public var type: String
    public var team: Team?
    public var user: User
    public var apiAppID: String?
    public var triggerID: String?
    public var responseURL: String?
    public var actions: [Action]?
    public var container: Container?
    public var channel: Channel?
    public var view: View?

    public struct Team: Decodable, Sendable, Equatable {
        public var id: String
        public var domain: String?
    }

    public struct User: Decodable, Sendable, Equatable {
        public var id: String
        public var username: String?
        public var teamID: String?

        enum CodingKeys: String, CodingKey {
            case id, username
            case teamID = "team_id"
        }
    }

    /// One clicked element: a button's `value`, a select's `selected_option`.
    public struct Action: Decodable, Sendable, Equatable {
        public var actionID: String
        public var blockID: String?
        public var value: String?
        public var selectedOption: SelectedOption?
        /// Unique per click: with the user, what tells a repeated payload from a new click.
        public var actionTS: String?

        enum CodingKeys: String, CodingKey {
            case actionID = "action_id"
            case blockID = "block_id"
            case value
            case selectedOption = "selected_option"
            case actionTS = "action_ts"
        }
    }

    public struct SelectedOption: Decodable, Sendable, Equatable {
        public var value: String
    }

    public struct Container: Decodable, Sendable, Equatable {
        public var type: String?
        public var messageTS: String?
        public var channelID: String?

        enum CodingKeys: String, CodingKey {
            case type
            case messageTS = "message_ts"
            case channelID = "channel_id"
        }
    }

    public struct Channel: Decodable, Sendable, Equatable {
        public var id: String
        public var name: String?
    }

    /// A submitted modal: its id, callback and metadata, and the values of its inputs.
    public struct View: Decodable, Sendable, Equatable {
        public var id: String
        public var callbackID: String?
        public var privateMetadata: String?
        public var hash: String?
        public var state: State?

        enum CodingKeys: String, CodingKey {
            case id
            case callbackID = "callback_id"
            case privateMetadata = "private_metadata"
            case hash, state
        }

        /// The value typed or chosen in the input `actionID` of block `blockID`.
        public func value(block blockID: String, action actionID: String) -> String? {
            guard let input = state?.values[blockID]?[actionID] else { return nil }
            return input.selectedOption?.value ?? input.value
        }
    }

    public struct State: Decodable, Sendable, Equatable {
        public var values: [String: [String: InputValue]]
    }

    public struct InputValue: Decodable, Sendable, Equatable {
        public var type: String?
        public var value: String?
        public var selectedOption: SelectedOption?

        enum CodingKeys: String, CodingKey {
            case type, value
            case selectedOption = "selected_option"
        }
    }

    enum CodingKeys: String, CodingKey {
        case type, team, user, actions, container, channel, view
        case apiAppID = "api_app_id"
        case triggerID = "trigger_id"
        case responseURL = "response_url"
    }

    /// The team the request comes from: the payload's team, else its user's.
    public var teamID: String? { team?.id ?? user.teamID }
}

/// A slash command (`/create_incident`), as Slack posts it (form fields).
public struct SlashCommand: Sendable, Equatable {
    public var command: String
    public var text: String
    public var teamID: String
    public var userID: String
    public var channelID: String?
    public var triggerID: String
    public var responseURL: String?

    public init(command: String, text: String, teamID: String, userID: String, channelID: String?, triggerID: String, responseURL: String?) {
        self.command = command
        self.text = text
        self.teamID = teamID
        self.userID = userID
        self.channelID = channelID
        self.triggerID = triggerID
        self.responseURL = responseURL
    }

    /// Reads Slack's form; nil when a field Slack always sends is missing.
    public init?(form: [String: String]) {
        guard let command = form["command"], let team = form["team_id"], let user = form["user_id"], let trigger = form["trigger_id"],
              !team.isEmpty, !user.isEmpty
        else { return nil }
        self.init(command: command, text: form["text"] ?? "", teamID: team, userID: user, channelID: form["channel_id"],
                  triggerID: trigger, responseURL: form["response_url"])
    }
}

/// What Slack posts to the Events API URL: a `url_verification` challenge, or an `event_callback`
/// with one event. Only the fields Herald reads.
public struct EventEnvelope: Decodable, Sendable, Equatable {
    public var type: String
    public var challenge: String?
    public var teamID: String?
    public var apiAppID: String?
    /// Unique per event; Slack sends the same id on every retry.
    public var eventID: String?
    public var event: Event?

    public struct Event: Decodable, Sendable, Equatable {
        public var type: String
        public var subtype: String?
        public var channel: String?
        public var user: String?
        public var botID: String?
        public var appID: String?
        public var text: String?
        public var ts: String?
        public var threadTS: String?
        /// A message's own team (a shared channel's message from another workspace differs).
        public var team: String?
        /// `tokens_revoked`: the revoked tokens' owners.
        public var tokens: Tokens?

        public struct Tokens: Decodable, Sendable, Equatable {
            public var oauth: [String]?
            public var bot: [String]?
        }

        enum CodingKeys: String, CodingKey {
            case type, subtype, channel, user, text, ts, team, tokens
            case botID = "bot_id"
            case appID = "app_id"
            case threadTS = "thread_ts"
        }
    }

    enum CodingKeys: String, CodingKey {
        case type, challenge, event
        case teamID = "team_id"
        case apiAppID = "api_app_id"
        case eventID = "event_id"
    }
}

/// Herald's answer to a `view_submission` whose input is at fault: Slack shows each error under its
/// block and keeps the modal open.
public struct ViewErrorsResponse: Encodable, Sendable, Equatable {
    public var responseAction = "errors"
    /// Block id → message.
    public var errors: [String: String]

    public init(errors: [String: String]) {
        self.errors = errors
    }

    enum CodingKeys: String, CodingKey {
        case responseAction = "response_action"
        case errors
    }
}

/// A message posted to a `response_url`: shown only to the person who acted (`ephemeral`),
/// leaving the original message as it is.
public struct EphemeralResponse: Encodable, Sendable, Equatable {
    public var responseType = "ephemeral"
    public var replaceOriginal = false
    public var text: String

    public init(text: String) {
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case responseType = "response_type"
        case replaceOriginal = "replace_original"
        case text
    }
}
