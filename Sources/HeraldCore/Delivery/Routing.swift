/// What a clear (a resolve) does to a message (SPEC §4.3): stored with the message when it is
/// created, so a rule edited or deleted while its alert is open changes nothing for it.
public enum ClearPolicy: String, Sendable, Codable, CaseIterable {
    /// The clear is shown: an editable message turns green, the others get a "cleared" message.
    case notify
    /// The clear sends nothing to this destination: no post and no update.
    case silent
}

/// Where one message goes: a sink and its target. `credential` names whose token or settings to
/// use at send time (`settings` for the project's effective Slack settings, `integration:<id>`),
/// so secrets never travel with the delivery. `fingerprint` tells which secret that is (a token's
/// or a webhook URL's fingerprint): with the sink and the target it is the destination's identity,
/// so the settings and an integration that reach one channel with one token post once.
public struct Destination: Sendable, Hashable, Codable {
    public var sink: String
    public var target: String
    public var credential: String
    public var fingerprint: String?
    public var onClear: ClearPolicy
    /// Status changes and coalesced updates are also posted in the living message's thread
    /// (`threadUpdates`), where the sink can thread.
    public var threads: Bool

    public init(sink: String, target: String, credential: String, fingerprint: String? = nil, onClear: ClearPolicy = .notify,
                threads: Bool = false) {
        self.sink = sink
        self.target = target
        self.credential = credential
        self.fingerprint = fingerprint
        self.onClear = onClear
        self.threads = threads
    }

    /// The same sink, secret and target: one place, whichever route reached it.
    public var identity: String { "\(sink)|\(fingerprint ?? credential)|\(target)" }

    /// The credential of destinations from the project's Slack settings.
    public static let settingsCredential = "settings"
    /// The credential of an integration's destination.
    public static func integrationCredential(_ id: String) -> String { "integration:\(id)" }

    public static func slackSettings(channel: String, fingerprint: String? = nil, threads: Bool = false) -> Destination {
        Destination(sink: "slack", target: channel, credential: settingsCredential, fingerprint: fingerprint, threads: threads)
    }
}

/// Which events an integration takes (SPEC §1): `rules` only those of alert rules that name it.
public enum IntegrationSource: String, Sendable, Codable, CaseIterable {
    case notifications, incidents, all, rules

    public func takes(isIncident: Bool) -> Bool {
        switch self {
        case .notifications: !isIncident
        case .incidents: isIncident
        case .all: true
        case .rules: false
        }
    }
}

/// An integration as routing sees it: no secret, only its fingerprint.
public struct IntegrationRoute: Sendable, Equatable {
    public var id: String
    public var name: String
    public var source: IntegrationSource
    public var sink: String
    /// The channel it posts to, or empty where its credential says where (a webhook's own channel).
    public var target: String
    /// The fingerprint of the secret it sends with (for a Slack integration without a token of its
    /// own, the project's token's), nil when it has none.
    public var fingerprint: String?
    /// Its updates are also threaded (a `slack` integration's `threadUpdates`).
    public var threads: Bool

    public init(id: String, name: String, source: IntegrationSource, sink: String, target: String, fingerprint: String?,
                threads: Bool = false) {
        self.id = id
        self.name = name
        self.source = source
        self.sink = sink
        self.target = target
        self.fingerprint = fingerprint
        self.threads = threads
    }

    func destination(onClear: ClearPolicy) -> Destination {
        Destination(sink: sink, target: target, credential: Destination.integrationCredential(id), fingerprint: fingerprint, onClear: onClear,
                    threads: threads)
    }
}

/// An alert rule as routing sees it (SPEC §4.3).
public struct AlertRuleRoute: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Its integrations' ids, in the order it names them.
    public var integrations: [String]
    public var notifyOnClear: Bool

    public init(id: String, name: String, integrations: [String], notifyOnClear: Bool) {
        self.id = id
        self.name = name
        self.integrations = integrations
        self.notifyOnClear = notifyOnClear
    }
}

/// A project's alert rules, found by id or by name (names compare case-insensitively).
public struct AlertRuleBook: Sendable, Equatable {
    public private(set) var rules: [AlertRuleRoute] = []
    private var byKey: [String: Int] = [:]

    public init(_ rules: [AlertRuleRoute] = []) {
        for rule in rules {
            byKey[rule.id.lowercased()] = byKey[rule.id.lowercased()] ?? self.rules.count
            byKey[rule.name.lowercased()] = byKey[rule.name.lowercased()] ?? self.rules.count
            self.rules.append(rule)
        }
    }

    public func rule(_ reference: String) -> AlertRuleRoute? {
        byKey[reference.lowercased()].map { rules[$0] }
    }
}

/// What the router knows about an event (SPEC §4).
public struct RoutingInput: Sendable {
    public var isIncident: Bool
    /// The incident's service's own Slack channel, if it has one.
    public var serviceChannel: String?
    /// The project's effective Slack settings.
    public var slack: EffectiveSlackSettings
    /// The fingerprint of the project's effective Slack token, if it has one.
    public var slackFingerprint: String?
    /// The alert rule the event names (an id or a name), if any.
    public var rule: String?
    /// The project's integrations and alert rules.
    public var integrations: [IntegrationRoute]
    public var rules: AlertRuleBook

    public init(isIncident: Bool, serviceChannel: String? = nil, slack: EffectiveSlackSettings, slackFingerprint: String? = nil,
                rule: String? = nil, integrations: [IntegrationRoute] = [], rules: AlertRuleBook = AlertRuleBook()) {
        self.isIncident = isIncident
        self.serviceChannel = serviceChannel
        self.slack = slack
        self.slackFingerprint = slackFingerprint
        self.rule = rule
        self.integrations = integrations
        self.rules = rules
    }

    /// The rule the event names, when the project has it.
    public var namedRule: AlertRuleRoute? {
        guard let rule, !rule.isEmpty else { return nil }
        return rules.rule(rule)
    }
}

/// One source of destinations.
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
        return channels.map { Destination.slackSettings(channel: $0, fingerprint: input.slackFingerprint, threads: input.slack.threadUpdates) }
    }
}

/// SPEC §4 step 2: every integration whose source takes the event (`rules` never does).
public struct IntegrationsSource: DestinationSource {
    public init() {}

    public func destinations(for input: RoutingInput) -> [Destination] {
        input.integrations.filter { $0.source.takes(isIncident: input.isIncident) }.map { $0.destination(onClear: .notify) }
    }
}

/// SPEC §4 step 3: the integrations of the alert rule the event names, whatever their source;
/// the clear reaches them only with the rule's `notifyOnClear`.
public struct AlertRuleSource: DestinationSource {
    public init() {}

    public func destinations(for input: RoutingInput) -> [Destination] {
        guard let rule = input.namedRule else { return [] }
        let byID = Dictionary(input.integrations.map { ($0.id.lowercased(), $0) }) { first, _ in first }
        return rule.integrations.compactMap { byID[$0.lowercased()] }.map { $0.destination(onClear: rule.notifyOnClear ? .notify : .silent) }
    }
}

/// Where an event goes, and whether a rule it names was not found.
public struct Routed: Sendable, Equatable {
    public var destinations: [Destination]
    /// The rule the event named when the project has none of that id or name.
    public var unknownRule: String?
}

/// Asks every source, in order, and keeps each destination (by ``Destination/identity``) once;
/// a destination reached twice is told of the clear, and threads its updates, if either route says so.
public struct Router: Sendable {
    public var sources: [any DestinationSource]

    public static let builtIn: [any DestinationSource] = [SlackSettingsSource(), IntegrationsSource(), AlertRuleSource()]

    public init(sources: [any DestinationSource] = Router.builtIn) {
        self.sources = sources
    }

    public func route(_ input: RoutingInput) -> Routed {
        var index: [String: Int] = [:]
        var destinations: [Destination] = []
        for destination in sources.flatMap({ $0.destinations(for: input) }) {
            if let seen = index[destination.identity] {
                if destination.onClear == .notify { destinations[seen].onClear = .notify }
                if destination.threads { destinations[seen].threads = true }
                continue
            }
            index[destination.identity] = destinations.count
            destinations.append(destination)
        }
        let unknown = input.rule.flatMap { $0.isEmpty || input.namedRule != nil ? nil : $0 }
        return Routed(destinations: destinations, unknownRule: unknown)
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
