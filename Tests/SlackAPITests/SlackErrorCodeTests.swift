import SlackAPI
import Testing

@Suite struct SlackErrorCodeTests {
    @Test func everyKnownCodeRoundTripsThroughItsString() {
        for code in SlackErrorCode.allKnown {
            #expect(SlackErrorCode(rawValue: code.rawValue) == code)
            if case .unknown = SlackErrorCode(rawValue: code.rawValue) {
                Issue.record("\(code.rawValue) decoded as unknown")
            }
        }
        #expect(Set(SlackErrorCode.allKnown.map(\.rawValue)).count == SlackErrorCode.allKnown.count)
    }

    @Test(arguments: [
        ("not_authed", SlackErrorCode.notAuthed), ("invalid_auth", .invalidAuth), ("token_revoked", .tokenRevoked),
        ("token_expired", .tokenExpired), ("account_inactive", .accountInactive), ("missing_scope", .missingScope),
        ("channel_not_found", .channelNotFound), ("not_in_channel", .notInChannel), ("is_archived", .isArchived),
        ("message_not_found", .messageNotFound), ("cant_update_message", .cantUpdateMessage),
        ("edit_window_closed", .editWindowClosed), ("msg_too_long", .msgTooLong), ("no_text", .noText),
        ("invalid_blocks", .invalidBlocks), ("ratelimited", .ratelimited), ("users_not_found", .usersNotFound),
        ("invalid_trigger_id", .invalidTriggerID), ("expired_trigger_id", .expiredTriggerID),
        ("invalid_code", .invalidCode), ("bad_redirect_uri", .badRedirectURI),
        ("oauth_authorization_url_mismatch", .oauthAuthorizationURLMismatch), ("no_service", .noService),
        ("invalid_payload", .invalidPayload), ("action_prohibited", .actionProhibited),
        ("posting_to_general_channel_denied", .postingToGeneralChannelDenied), ("no_active_hooks", .noActiveHooks),
        ("channel_is_archived", .channelIsArchived),
    ])
    func slackSpellings(raw: String, code: SlackErrorCode) {
        #expect(SlackErrorCode(rawValue: raw) == code)
        #expect(code.rawValue == raw)
    }

    @Test func unknownKeepsTheString() {
        #expect(SlackErrorCode(rawValue: "brand_new_error") == .unknown("brand_new_error"))
        #expect(SlackErrorCode(rawValue: "brand_new_error").rawValue == "brand_new_error")
        // An unknown spelled like a known code is that code.
        #expect(SlackErrorCode.unknown("invalid_auth") == .invalidAuth)
    }

    @Test func transientCodes() {
        let transient = SlackErrorCode.allKnown.filter(\.isTransient).map(\.rawValue).sorted()
        #expect(
            transient == [
                "fatal_error", "internal_error", "rate_limited", "ratelimited", "request_timeout", "rollup_error",
                "service_unavailable",
            ])
    }

    @Test func codesThatMeanTheMessageIsGone() {
        let gone = SlackErrorCode.allKnown.filter(\.meansMessageGone).map(\.rawValue).sorted()
        #expect(gone == ["cant_update_message", "channel_not_found", "edit_window_closed", "is_archived", "message_not_found"])
    }
}
