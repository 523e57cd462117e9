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
