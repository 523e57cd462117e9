import HeraldCore
import Testing

@Suite("SPEC §3 inheritance, channels and tokens")
struct SlackSettingsPolicyTests {
    typealias L = SlackSettingsLevel

    struct Row: Sendable {
        var org: L?
        var project: L?
        var enabled: Bool
        var enabledFrom: SettingsLevel?
        var tokenFrom: SettingsLevel?
        var channels: [String]
        var channelsFrom: SettingsLevel?
    }

    static let rows: [Row] = [
        Row(org: nil, project: nil, enabled: false, enabledFrom: nil, tokenFrom: nil, channels: [], channelsFrom: nil),
        Row(org: L(enabled: true, hasToken: true, channels: ["#a"]), project: nil, enabled: true, enabledFrom: .org, tokenFrom: .org, channels: ["#a"], channelsFrom: .org),
        Row(org: L(enabled: true, hasToken: true, channels: ["#a"]), project: L(enabled: false), enabled: false, enabledFrom: .project, tokenFrom: .org, channels: ["#a"], channelsFrom: .org),
        Row(org: L(enabled: false), project: L(enabled: true, hasToken: true, channels: ["#p"]), enabled: true, enabledFrom: .project, tokenFrom: .project, channels: ["#p"], channelsFrom: .project),
        Row(org: L(hasToken: true, channels: ["#a"]), project: L(hasToken: true, channels: []), enabled: false, enabledFrom: .project, tokenFrom: .project, channels: ["#a"], channelsFrom: .org),
        Row(org: L(), project: L(enabled: true), enabled: true, enabledFrom: .project, tokenFrom: nil, channels: [], channelsFrom: nil),
    ]

    @Test("effective settings", arguments: 0..<rows.count)
    func effective(_ i: Int) {
        let r = Self.rows[i]
        let e = SlackSettingsPolicy.effective(org: r.org, project: r.project)
        #expect(e.enabled == r.enabled)
        #expect(e.enabledFrom == r.enabledFrom)
        #expect(e.tokenFrom == r.tokenFrom)
        #expect(e.channels == r.channels)
        #expect(e.channelsFrom == r.channelsFrom)
        #expect(e.isComplete == (r.tokenFrom != nil && !r.channels.isEmpty))
    }

    @Test("token changes", arguments: [
        (String?.none, Bool?.none, SlackSettingsPolicy.TokenChange.keep),
        ("", true, .remove), (nil, true, .remove), (nil, false, .keep),
        ("xoxb-new", true, .set("xoxb-new")), ("xoxb-new", nil, .set("xoxb-new")),
    ])
    func tokenChange(_ token: String?, _ remove: Bool?, _ expected: SlackSettingsPolicy.TokenChange) {
        #expect(SlackSettingsPolicy.tokenChange(newToken: token, removeToken: remove) == expected)
    }

    @Test("missing fields and deliverability")
    func missing() {
        let e = SlackSettingsPolicy.effective(org: L(enabled: true), project: nil)
        #expect(e.missing == ["token", "channels"])
        #expect(!e.isDeliverable)
        let ok = SlackSettingsPolicy.effective(org: L(enabled: true, hasToken: true, channels: ["#a"]), project: nil)
        #expect(ok.isDeliverable)
    }

    @Test("service channel overrides incident channels")
    func serviceChannel() {
        let e = SlackSettingsPolicy.effective(org: L(channels: ["#a", "#b"]), project: nil)
        #expect(SlackSettingsPolicy.incidentChannels(e, serviceChannel: "#svc") == (["#svc"], .service))
        #expect(SlackSettingsPolicy.incidentChannels(e, serviceChannel: nil) == (["#a", "#b"], .org))
    }

    @Test("channel lists", arguments: [
        ("text", ["#alerts  #ops C0123"], ["#alerts", "#ops", "C0123"]),
        ("text", ["  "], []),
        ("text", [""], []),
        ("list", ["alerts", "#Alerts", "#ops"], ["#alerts", "#ops"]),
        ("text", ["#alerts,#ops"], ["#alerts", "#ops"]),
        ("list", ["C0123ABCD", "G012AB"], ["C0123ABCD", "G012AB"]),
        ("text", ["#déploiements"], ["#déploiements"]),
        ("text", ["\t#a\n#b "], ["#a", "#b"]),
        // 150 as written is too many, even if they are the same channel; 100 is fine.
        ("text", [Array(repeating: "#a", count: 100).joined(separator: " ")], ["#a"]),
        ("list", [], []),
    ] as [(String, [String], [String])])
    func channels(_ form: String, _ input: [String], _ expected: [String]) throws {
        let parsed = form == "text" ? try SlackChannels.parse(text: input[0]) : try SlackChannels.parse(list: input)
        #expect(parsed == expected)
    }

    @Test("bad channel lists", arguments: [
        ("text", ["#a/b"]), ("text", ["#-x"]), ("text", ["#" + String(repeating: "a", count: 81)]), ("text", [String(repeating: "#a ", count: 4000)]),
        ("text", [(0...100).map { "#c\($0)" }.joined(separator: " ")]), ("text", [Array(repeating: "#a", count: 101).joined(separator: ",")]),
        ("text", ["#"]), ("text", ["<script>"]), ("text", ["#a\u{3000}b"]), ("text", ["#🚨"]), ("text", ["#a\u{a0}b"]),
        ("list", ["#a #b"]), ("list", [" #a"]), ("list", (0...100).map { "#c\($0)" }),
    ] as [(String, [String])])
    func badChannels(_ form: String, _ input: [String]) {
        #expect(throws: FieldError.self) {
            _ = form == "text" ? try SlackChannels.parse(text: input[0]) : try SlackChannels.parse(list: input)
        }
    }

    @Test("tokens", arguments: [("  xoxb-1-2\n", "xoxb-1-2"), ("xoxb-1 2", nil), ("xoxb-\u{7}", nil), ("xoxb-ü", nil), ("\u{a0}xoxb-1", nil),
                                 (String(repeating: "x", count: 513), nil), ("", "")] as [(String, String?)])
    func tokens(_ raw: String, _ expected: String?) {
        #expect((try? SecretInput.token(raw)) == expected)
    }
}
