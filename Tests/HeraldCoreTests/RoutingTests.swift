import HeraldCore
import Testing

@Suite("SPEC §4 routing and §5 pacing")
struct RoutingTests {
    typealias L = SlackSettingsLevel

    static let deliverable = SlackSettingsPolicy.effective(org: L(enabled: true, hasToken: true, channels: ["#ops", "#alerts"]), project: nil)

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var input: RoutingInput
        var channels: [String]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "notification → project channels", input: RoutingInput(isIncident: false, slack: deliverable), channels: ["#ops", "#alerts"]),
        Row(name: "notification ignores the service channel", input: RoutingInput(isIncident: false, serviceChannel: "#svc", slack: deliverable),
            channels: ["#ops", "#alerts"]),
        Row(name: "incident → project channels", input: RoutingInput(isIncident: true, slack: deliverable), channels: ["#ops", "#alerts"]),
        Row(name: "incident → its service's channel instead", input: RoutingInput(isIncident: true, serviceChannel: "#svc", slack: deliverable),
            channels: ["#svc"]),
        Row(name: "empty service channel is no channel", input: RoutingInput(isIncident: true, serviceChannel: "", slack: deliverable),
            channels: ["#ops", "#alerts"]),
        Row(name: "disabled → nothing",
            input: RoutingInput(isIncident: true, serviceChannel: "#svc",
                                slack: SlackSettingsPolicy.effective(org: L(enabled: true, hasToken: true, channels: ["#ops"]), project: L(enabled: false))),
            channels: []),
        Row(name: "no token → nothing",
            input: RoutingInput(isIncident: false, slack: SlackSettingsPolicy.effective(org: L(enabled: true, channels: ["#ops"]), project: nil)),
            channels: []),
        Row(name: "no channels → nothing, even with a service channel",
            input: RoutingInput(isIncident: true, serviceChannel: "#svc", slack: SlackSettingsPolicy.effective(org: L(enabled: true, hasToken: true), project: nil)),
            channels: []),
    ]

    @Test("Slack settings source", arguments: rows)
    func slackSettings(_ row: Row) {
        // MUT
        let destinations = SlackSettingsSource().destinations(for: row.input)
        // validate
        #expect(destinations == row.channels.map { Destination(sink: "slack", target: $0, credential: "settings") })
    }

    struct FixedSource: DestinationSource {
        var output: [Destination]
        func destinations(for input: RoutingInput) -> [Destination] { output }
    }

    @Test("router keeps the first occurrence of each destination, in order")
    func dedup() {
        // setup
        let hook = Destination(sink: "webhook", target: "https://example.com/hook", credential: "integration:1")
        let router = Router(sources: [
            SlackSettingsSource(),
            FixedSource(output: [.slackSettings(channel: "#alerts"), hook, .slackSettings(channel: "#new")]),
            FixedSource(output: [hook, Destination(sink: "slack", target: "#ops", credential: "integration:2")]),
        ])
        // MUT
        let destinations = router.route(RoutingInput(isIncident: false, slack: Self.deliverable)).destinations
        // validate
        #expect(destinations == [
            .slackSettings(channel: "#ops"), .slackSettings(channel: "#alerts"), hook, .slackSettings(channel: "#new"),
            Destination(sink: "slack", target: "#ops", credential: "integration:2"),
        ])
    }

    @Test("default router: the Slack settings source first, and nothing else for a project without integrations")
    func defaultRouter() {
        #expect(Router().route(RoutingInput(isIncident: true, serviceChannel: "#svc", slack: Self.deliverable)).destinations == [.slackSettings(channel: "#svc")])
        #expect(Router(sources: []).route(RoutingInput(isIncident: true, slack: Self.deliverable)).destinations.isEmpty)
    }

    @Test("channel pacing", arguments: [
        (1.0, Duration?.some(.seconds(1))), (4, .milliseconds(250)), (0.5, .seconds(2)), (2, .milliseconds(500)),
        (0, nil), (-1, nil), (.nan, nil), (.infinity, nil), (-.infinity, nil),
    ])
    func pacing(_ rate: Double, _ expected: Duration?) {
        #expect(ChannelPacing.interval(rate: rate) == expected)
    }

    @Test("extreme rates do not trap")
    func extremeRates() throws {
        let slow = try #require(ChannelPacing.interval(rate: .leastNonzeroMagnitude))
        #expect(slow > .seconds(1_000_000_000))
        let fast = try #require(ChannelPacing.interval(rate: .greatestFiniteMagnitude))
        #expect(fast >= .zero && fast < .nanoseconds(1))
    }
}

@Suite("Routing with integrations and alert rules (SPEC §4)")
struct IntegrationRoutingTests {
    static let slack = SlackSettingsPolicy.effective(org: nil, project: SlackSettingsLevel(enabled: true, hasToken: true, channels: ["#ops"]))

    static func hook(_ id: String, _ source: IntegrationSource, sink: String = "webhook", target: String = "", fingerprint: String? = nil) -> IntegrationRoute {
        IntegrationRoute(id: id, name: "n-\(id)", source: source, sink: sink, target: target, fingerprint: fingerprint ?? "fp-\(id)")
    }

    static let integrations = [
        hook("n", .notifications), hook("i", .incidents), hook("a", .all), hook("r", .rules),
        // The same channel and token as the settings: the same destination.
        hook("s", .all, sink: "slack", target: "#ops", fingerprint: "tok"),
    ]
    static let rules = AlertRuleBook([
        AlertRuleRoute(id: "11111111-1111-1111-1111-111111111111", name: "Disk", integrations: ["r", "a"], notifyOnClear: false),
        AlertRuleRoute(id: "22222222-2222-2222-2222-222222222222", name: "cpu", integrations: ["r", "gone"], notifyOnClear: true),
    ])

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var isIncident: Bool
        var rule: String?
        /// credential and clear policy of each destination, in order.
        var expected: [String]
        var unknown: String?
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "a notification: settings, then notifications and all; never rules", isIncident: false,
            expected: ["settings:notify", "integration:n:notify", "integration:a:notify"]),
        Row(name: "an incident without a rule: settings, incidents and all", isIncident: true,
            expected: ["settings:notify", "integration:i:notify", "integration:a:notify"]),
        Row(name: "a rule by name, any case: its rules-only integration joins, silent on clear; `a` stays notify (reached by its source too)",
            isIncident: true, rule: "DISK",
            expected: ["settings:notify", "integration:i:notify", "integration:a:notify", "integration:r:silent"]),
        Row(name: "a rule by id with notifyOnClear; an integration it names that is gone is skipped", isIncident: true,
            rule: "22222222-2222-2222-2222-222222222222",
            expected: ["settings:notify", "integration:i:notify", "integration:a:notify", "integration:r:notify"]),
        Row(name: "an unknown rule routes as no rule, and says so", isIncident: true, rule: "nope",
            expected: ["settings:notify", "integration:i:notify", "integration:a:notify"], unknown: "nope"),
    ]

    @Test("sources and rules", arguments: rows)
    func route(_ row: Row) {
        let input = RoutingInput(isIncident: row.isIncident, slack: Self.slack, slackFingerprint: "tok", rule: row.rule,
                                 integrations: Self.integrations, rules: Self.rules)
        let routed = Router().route(input)
        #expect(routed.destinations.map { "\($0.credential):\($0.onClear.rawValue)" } == row.expected)
        #expect(routed.unknownRule == row.unknown)
    }

    @Test("a destination reached twice is told of the clear if either route says so, whichever comes first")
    func clearMerge() {
        let silentFirst = Router(sources: [
            IntegrationsSourceStub(destinations: [Destination(sink: "webhook", target: "", credential: "integration:x", fingerprint: "f", onClear: .silent)]),
            IntegrationsSourceStub(destinations: [Destination(sink: "webhook", target: "", credential: "integration:y", fingerprint: "f")]),
        ])
        let routed = silentFirst.route(RoutingInput(isIncident: true, slack: Self.slack)).destinations
        #expect(routed.count == 1)
        #expect(routed.first?.credential == "integration:x")
        #expect(routed.first?.onClear == .notify)
    }

    struct IntegrationsSourceStub: DestinationSource {
        var destinations: [Destination]
        func destinations(for input: RoutingInput) -> [Destination] { destinations }
    }

    @Test("the same sink, secret and target is one destination; another secret or target is another")
    func identity() {
        let a = Destination(sink: "slack", target: "#ops", credential: "settings", fingerprint: "tok")
        #expect(a.identity == Destination(sink: "slack", target: "#ops", credential: "integration:1", fingerprint: "tok").identity)
        #expect(a.identity != Destination(sink: "slack", target: "#ops", credential: "integration:1", fingerprint: "other").identity)
        #expect(a.identity != Destination(sink: "slack", target: "#dev", credential: "settings", fingerprint: "tok").identity)
        // Without a fingerprint the credential's name stands in: two webhooks never merge by accident.
        #expect(Destination(sink: "webhook", target: "", credential: "integration:1").identity
            != Destination(sink: "webhook", target: "", credential: "integration:2").identity)
    }
}
