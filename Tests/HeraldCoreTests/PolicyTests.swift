import Foundation
import HeraldCore
import Testing

@Suite("Access policy, credentials, validation")
struct PolicyTests {
    typealias Row = (Permission, OrgRole?, Bool, AccessDecision)

    /// (permission, org role, project admin?, decision)
    static let table: [Row] = [
        (.readOrg, .owner, false, .allowed), (.readOrg, .stakeholder, false, .allowed), (.readOrg, nil, false, .hidden),
        (.readOrg, nil, true, .hidden),
        (.manageOrg, .owner, false, .allowed), (.manageOrg, .admin, false, .allowed),
        (.manageOrg, .responder, false, .forbidden), (.manageOrg, .stakeholder, true, .forbidden), (.manageOrg, nil, false, .hidden),
        (.grantOrgRole(.owner), .owner, false, .allowed), (.grantOrgRole(.owner), .admin, false, .forbidden),
        (.grantOrgRole(.admin), .admin, false, .allowed), (.grantOrgRole(.stakeholder), .responder, false, .forbidden),
        (.manageProject, .admin, false, .allowed), (.manageProject, .responder, false, .forbidden),
        (.manageProject, .responder, true, .allowed), (.manageProject, .stakeholder, true, .allowed), (.manageProject, nil, true, .hidden),
        (.readProject, .stakeholder, false, .allowed), (.readProject, nil, false, .hidden),
        (.actOnIncidents, .responder, false, .allowed), (.actOnIncidents, .stakeholder, false, .forbidden),
        (.actOnIncidents, .stakeholder, true, .allowed), (.actOnIncidents, .owner, false, .allowed),
    ]

    @Test("decisions", arguments: 0..<table.count)
    func decisions(_ index: Int) {
        let (permission, role, projectAdmin, expected) = Self.table[index]
        #expect(AccessPolicy.decide(permission, for: Standing(orgRole: role, isProjectAdmin: projectAdmin)) == expected,
                "\(permission) for \(String(describing: role)) projectAdmin=\(projectAdmin)")
    }

    @Test("credentials have a kind prefix, 256 random bits, and a SHA-256 hash")
    func credentials() {
        let factory = CredentialFactory(randomBytes: { Array(repeating: 0xff, count: $0) })
        let key = factory.make(.eventKey)
        #expect(key == "hrd_ek_" + String(repeating: "_", count: 42) + "8")
        let system = CredentialFactory()
        let a = system.make(.apiToken), b = system.make(.apiToken)
        #expect(a != b && a.hasPrefix("hrd_pat_") && a.count == 8 + 43)
        #expect(CredentialFactory.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(CredentialFactory.displayPrefix(a) == String(a.prefix(12)))
    }

    @Test("names", arguments: [
        ("  Acme ", "Acme"), ("", nil), ("   ", nil), (String(repeating: "a", count: 200), String(repeating: "a", count: 200)),
        (String(repeating: "a", count: 201), nil), ("tab\there", nil), ("Ünïcode ✓", "Ünïcode ✓"),
        // Lengths are Unicode scalars of the value as sent: combining marks count, spaces too.
        ("Z" + String(repeating: "\u{301}", count: 100_000), nil), ("e\u{301}" + String(repeating: "a", count: 198), "e\u{301}" + String(repeating: "a", count: 198)),
        ("e\u{301}" + String(repeating: "a", count: 199), nil), (" " + String(repeating: "a", count: 200), nil),
        ("line\nbreak", nil), ("c1\u{85}control", nil), ("\u{7f}", nil),
    ] as [(String, String?)])
    func names(_ input: String, _ expected: String?) {
        #expect((try? Validate.name(input)) == expected)
    }

    @Test("emails", arguments: [
        ("Ann@Example.COM", "ann@example.com"), (" ann@example.com", nil), ("ann@example.com\n", nil), ("ann@example", nil),
        ("ann@example..com", nil), (String(repeating: "a", count: 243) + "@example.com", nil),
        // An @ followed by a combining character, or an emoji modifier, is one grapheme but still the @.
        ("ann@\u{1F3FB}x.example.com", "ann@\u{1F3FB}x.example.com"), ("ann\u{301}@example.com", "ann\u{301}@example.com"), ("@example.com", nil), ("ann@@example.com", nil),
        ("a nn@example.com", nil), ("ann@.example.com", nil), ("ann@example.com.", nil), ("a.b+c@mail.example.co", "a.b+c@mail.example.co"),
    ] as [(String, String?)])
    func emails(_ input: String, _ expected: String?) {
        #expect((try? Validate.email(input)) == expected)
    }
}
