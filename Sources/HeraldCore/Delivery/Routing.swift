/// Where one message goes: a sink and its target. `credential` names whose token or settings to
/// use at send time (`settings` for the project's effective Slack settings; later
/// `integration:<id>`), so secrets never travel with the delivery.
public struct Destination: Sendable, Hashable, Codable {
    public var sink: String
    public var target: String
    public var credential: String

    public init(sink: String, target: String, credential: String) {
        self.sink = sink
        self.target = target
        self.credential = credential
    }

    /// The credential of destinations from the project's Slack settings.
    public static let settingsCredential = "settings"

    public static func slackSettings(channel: String) -> Destination {
        Destination(sink: "slack", target: channel, credential: settingsCredential)
    }
}

/// What the router knows about an event (SPEC §4).
public struct RoutingInput: Sendable {
    public var isIncident: Bool
    /// The incident's service's own Slack channel, if it has one.
    public var serviceChannel: String?
    /// The project's effective Slack settings.
    public var slack: EffectiveSlackSettings
    /// The alert rule the event names, if any (rules arrive with integrations).
    public var rule: String?

    public init(isIncident: Bool, serviceChannel: String? = nil, slack: EffectiveSlackSettings, rule: String? = nil) {
        self.isIncident = isIncident
        self.serviceChannel = serviceChannel
        self.slack = slack
        self.rule = rule
    }
}

/// One source of destinations; integrations and alert rules plug in as further sources.
public protocol DestinationSource: Sendable {
    func destinations(for input: RoutingInput) -> [Destination]
}

/// SPEC §4 step 1: the effective Slack settings' channels when enabled and complete; for an
/// incident of a service with its own channel, that channel instead.
public struct SlackSettingsSource: DestinationSource {
    public init() {}

    public func destinations(for input: RoutingInput) -> [Destination] {
        guard input.slack.isDeliverable else { return [] }
        let channels = input.isIncident
            ? SlackSettingsPolicy.incidentChannels(input.slack, serviceChannel: input.serviceChannel).channels
            : input.slack.channels
        return channels.map(Destination.slackSettings(channel:))
    }
}

/// Asks every source, in order, and keeps each destination once.
public struct Router: Sendable {
    public var sources: [any DestinationSource]

    public init(sources: [any DestinationSource] = [SlackSettingsSource()]) {
        self.sources = sources
    }

    public func route(_ input: RoutingInput) -> [Destination] {
        var seen: Set<Destination> = []
        return sources.flatMap { $0.destinations(for: input) }.filter { seen.insert($0).inserted }
    }
}

/// At most `rate` messages per second per channel (SPEC §5): the spacing between two claims.
public enum ChannelPacing {
    /// nil when pacing is off (`rate` 0).
    public static func interval(rate: Double) -> Duration? {
        guard rate.isFinite, rate > 0 else { return nil }
        // A vanishingly small rate would overflow `Duration`; beyond ~31,700 years it means "never" anyway.
        return .seconds(min(1 / rate, 1e12))
    }
}
