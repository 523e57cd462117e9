/// The level a setting is stored at. A service's channel is a third, narrower level.
public enum SettingsLevel: String, Sendable, Codable, Equatable {
    case org, project, service
}

/// What one level (organization or project) stores of the Slack settings (SPEC §3). The token
/// itself stays sealed elsewhere; the policy only needs to know whether there is one.
public struct SlackSettingsLevel: Sendable, Equatable {
    public var enabled: Bool
    public var hasToken: Bool
    public var channels: [String]
    /// nil: not set at this level (inherited).
    public var threadUpdates: Bool?

    public init(enabled: Bool = false, hasToken: Bool = false, channels: [String] = [], threadUpdates: Bool? = nil) {
        self.enabled = enabled
        self.hasToken = hasToken
        self.channels = channels
        self.threadUpdates = threadUpdates
    }
}

/// The settings that apply, and the level each field came from (`nil`: nobody set it).
public struct EffectiveSlackSettings: Sendable, Equatable {
    public var enabled: Bool
    public var enabledFrom: SettingsLevel?
    public var tokenFrom: SettingsLevel?
    public var channels: [String]
    public var channelsFrom: SettingsLevel?
    /// Updates of living messages are also posted in their thread (default false).
    public var threadUpdates: Bool = false
    public var threadUpdatesFrom: SettingsLevel? = nil

    public var tokenConfigured: Bool { tokenFrom != nil }

    /// What a test message or a delivery still needs (`token`, `channels`), in that order.
    public var missing: [String] {
        (tokenConfigured ? [] : ["token"]) + (channels.isEmpty ? ["channels"] : [])
    }

    /// Token and at least one channel (SPEC §3: a test message needs both).
    public var isComplete: Bool { missing.isEmpty }

    /// Enabled and complete: events are delivered to these channels (SPEC §4 step 1).
    public var isDeliverable: Bool { enabled && isComplete }
}

/// SPEC §3, the inheritance rules, in one place.
public enum SlackSettingsPolicy {
    /// The effective settings of a project (or of an organization, with `project: nil`).
    /// `nil` for a level means it has no settings at all.
    public static func effective(org: SlackSettingsLevel?, project: SlackSettingsLevel?) -> EffectiveSlackSettings {
        // enabled: the project's value whenever the project has settings, else the organization's.
        let (enabled, enabledFrom): (Bool, SettingsLevel?) =
            if let project { (project.enabled, .project) } else if let org { (org.enabled, .org) } else { (false, nil) }
        // token: the project's if it has one, else the organization's.
        let tokenFrom: SettingsLevel? =
            if project?.hasToken == true { .project } else if org?.hasToken == true { .org } else { nil }
        // channels: the project's if non-empty, else the organization's.
        let (channels, channelsFrom): ([String], SettingsLevel?) =
            if let p = project?.channels, !p.isEmpty { (p, .project) }
            else if let o = org?.channels, !o.isEmpty { (o, .org) }
            else { ([], nil) }
        // threadUpdates: the project's value when set, else the organization's, default false.
        let (threads, threadsFrom): (Bool, SettingsLevel?) =
            if let p = project?.threadUpdates { (p, .project) }
            else if let o = org?.threadUpdates { (o, .org) }
            else { (false, nil) }
        return EffectiveSlackSettings(enabled: enabled, enabledFrom: enabledFrom, tokenFrom: tokenFrom,
                                      channels: channels, channelsFrom: channelsFrom, threadUpdates: threads, threadUpdatesFrom: threadsFrom)
    }

    /// Where an incident of a service goes: the service's own channel instead of the project's.
    public static func incidentChannels(_ effective: EffectiveSlackSettings, serviceChannel: String?) -> (channels: [String], from: SettingsLevel?) {
        if let serviceChannel, !serviceChannel.isEmpty { return ([serviceChannel], .service) }
        return (effective.channels, effective.channelsFrom)
    }

    /// What a settings write does to the token of the level it writes.
    public enum TokenChange: Sendable, Equatable {
        case keep
        case set(String)
        case remove
    }

    /// `removeToken` erases this level's token, but a new token in the same request wins.
    public static func tokenChange(newToken: String?, removeToken: Bool?) -> TokenChange {
        if let newToken, !newToken.isEmpty { return .set(newToken) }
        return removeToken == true ? .remove : .keep
    }
}
