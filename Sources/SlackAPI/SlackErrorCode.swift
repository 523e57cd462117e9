/// Slack's error strings (the `error` of an `ok: false` answer, or an incoming webhook's plain-text body),
/// typed so callers can match on them; anything Slack adds later arrives as ``unknown(_:)``.
public enum SlackErrorCode: Sendable, Hashable, Codable, CustomStringConvertible {
    // Authentication and authorization
    case notAuthed
    case invalidAuth
    case tokenRevoked
    case tokenExpired
    case accountInactive
    case missingScope
    case notAllowedTokenType
    case noPermission
    case teamAddedToOrg
    // Channels and messages
    case channelNotFound
    case notInChannel
    case isArchived
    case messageNotFound
    case cantUpdateMessage
    case editWindowClosed
    case msgTooLong
    case noText
    case invalidBlocks
    case invalidAttachments
    case tooManyAttachments
    case restrictedAction
    case ratelimited
    case messageRateLimited
    // Users, arguments and requests
    case usersNotFound
    case userNotFound
    case invalidCursor
    case invalidArguments
    case invalidArgName
    case invalidJSON
    case jsonNotObject
    case invalidFormData
    case methodDeprecated
    // Views
    case invalidTriggerID
    case expiredTriggerID
    case viewTooLarge
    // OAuth
    case invalidCode
    case codeAlreadyUsed
    case badClientSecret
    case invalidClientID
    case badRedirectURI
    case oauthAuthorizationURLMismatch
    // Slack-side trouble
    case requestTimeout
    case internalError
    case fatalError
    case serviceUnavailable
    // Incoming webhooks (plain-text bodies)
    case noService
    case noTeam
    case teamDisabled
    case invalidToken
    case noActiveHooks
    case invalidPayload
    case actionProhibited
    case postingToGeneralChannelDenied
    case channelIsArchived
    case rollupError
    /// An error string this enum does not name, kept verbatim.
    case unknown(String)

    /// Every named case, for ``init(rawValue:)``.
    public static let allKnown: [SlackErrorCode] = [
        .notAuthed, .invalidAuth, .tokenRevoked, .tokenExpired,
        .accountInactive, .missingScope, .notAllowedTokenType, .noPermission,
        .teamAddedToOrg, .channelNotFound, .notInChannel, .isArchived,
        .messageNotFound, .cantUpdateMessage, .editWindowClosed, .msgTooLong,
        .noText, .invalidBlocks, .invalidAttachments, .tooManyAttachments,
        .restrictedAction, .ratelimited, .messageRateLimited, .usersNotFound,
        .userNotFound, .invalidCursor, .invalidArguments, .invalidArgName,
        .invalidJSON, .jsonNotObject, .invalidFormData, .methodDeprecated,
        .invalidTriggerID, .expiredTriggerID, .viewTooLarge, .invalidCode,
        .codeAlreadyUsed, .badClientSecret, .invalidClientID, .badRedirectURI,
        .oauthAuthorizationURLMismatch, .requestTimeout, .internalError, .fatalError,
        .serviceUnavailable, .noService, .noTeam, .teamDisabled,
        .invalidToken, .noActiveHooks, .invalidPayload, .actionProhibited,
        .postingToGeneralChannelDenied, .channelIsArchived, .rollupError,
    ]

    /// Maps a Slack error string to its case, or ``unknown(_:)``.
    public init(rawValue: String) {
        self = Self.allKnown.first { $0.rawValue == rawValue } ?? .unknown(rawValue)
    }

    /// Slack's own spelling; the only table of strings in this type.
    public var rawValue: String {
        switch self {
        case .notAuthed: "not_authed"
        case .invalidAuth: "invalid_auth"
        case .tokenRevoked: "token_revoked"
        case .tokenExpired: "token_expired"
        case .accountInactive: "account_inactive"
        case .missingScope: "missing_scope"
        case .notAllowedTokenType: "not_allowed_token_type"
        case .noPermission: "no_permission"
        case .teamAddedToOrg: "team_added_to_org"
        case .channelNotFound: "channel_not_found"
        case .notInChannel: "not_in_channel"
        case .isArchived: "is_archived"
        case .messageNotFound: "message_not_found"
        case .cantUpdateMessage: "cant_update_message"
        case .editWindowClosed: "edit_window_closed"
        case .msgTooLong: "msg_too_long"
        case .noText: "no_text"
        case .invalidBlocks: "invalid_blocks"
        case .invalidAttachments: "invalid_attachments"
        case .tooManyAttachments: "too_many_attachments"
        case .restrictedAction: "restricted_action"
        case .ratelimited: "ratelimited"
        case .messageRateLimited: "rate_limited"
        case .usersNotFound: "users_not_found"
        case .userNotFound: "user_not_found"
        case .invalidCursor: "invalid_cursor"
        case .invalidArguments: "invalid_arguments"
        case .invalidArgName: "invalid_arg_name"
        case .invalidJSON: "invalid_json"
        case .jsonNotObject: "json_not_object"
        case .invalidFormData: "invalid_form_data"
        case .methodDeprecated: "method_deprecated"
        case .invalidTriggerID: "invalid_trigger_id"
        case .expiredTriggerID: "expired_trigger_id"
        case .viewTooLarge: "view_too_large"
        case .invalidCode: "invalid_code"
        case .codeAlreadyUsed: "code_already_used"
        case .badClientSecret: "bad_client_secret"
        case .invalidClientID: "invalid_client_id"
        case .badRedirectURI: "bad_redirect_uri"
        case .oauthAuthorizationURLMismatch: "oauth_authorization_url_mismatch"
        case .requestTimeout: "request_timeout"
        case .internalError: "internal_error"
        case .fatalError: "fatal_error"
        case .serviceUnavailable: "service_unavailable"
        case .noService: "no_service"
        case .noTeam: "no_team"
        case .teamDisabled: "team_disabled"
        case .invalidToken: "invalid_token"
        case .noActiveHooks: "no_active_hooks"
        case .invalidPayload: "invalid_payload"
        case .actionProhibited: "action_prohibited"
        case .postingToGeneralChannelDenied: "posting_to_general_channel_denied"
        case .channelIsArchived: "channel_is_archived"
        case .rollupError: "rollup_error"
        case .unknown(let raw): raw
        }
    }

    /// Slack-side trouble that may clear by itself: worth retrying with backoff.
    public var isTransient: Bool {
        switch self {
        case .ratelimited, .messageRateLimited, .requestTimeout, .internalError, .fatalError,
            .serviceUnavailable, .rollupError:
            true
        default:
            false
        }
    }

    /// The message (or its channel) can no longer be edited, so a living message must be posted afresh (SPEC §2).
    public var meansMessageGone: Bool {
        switch self {
        case .messageNotFound, .channelNotFound, .isArchived, .cantUpdateMessage, .editWindowClosed:
            true
        default:
            false
        }
    }

    public var description: String { rawValue }

    /// Equal when Slack's strings are equal, so `.unknown("invalid_auth")` matches `.invalidAuth`.
    public static func == (lhs: SlackErrorCode, rhs: SlackErrorCode) -> Bool {
        lhs.rawValue == rhs.rawValue
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawValue)
    }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
