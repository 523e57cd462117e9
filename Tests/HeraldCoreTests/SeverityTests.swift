import HeraldCore
import Testing

@Suite("Severity spellings")
struct SeverityTests {
    static let spellings: [(Severity, [String])] = [
        (.critical, ["critical", "crit", "page", "p1", "sev1", "fatal", "emergency", "disaster"]),
        (.error, ["error", "err", "high", "major", "p2", "sev2"]),
        (.warning, ["warning", "warn", "medium", "minor", "p3", "sev3", "average"]),
        (.info, ["info", "informational", "low", "none", "notice", "ok", "p4", "p5", "sev4", "debug"]),
    ]

    static let rows: [(String, Severity)] = spellings.flatMap { severity, words in words.map { ($0, severity) } }

    @Test("every spelling", arguments: rows)
    func spelling(_ raw: String, _ expected: Severity) {
        #expect(Severity(parsing: raw) == expected)
        #expect(Severity(parsing: raw.uppercased()) == expected)
        #expect(Severity(parsing: "  \(raw.capitalized)\n") == expected)
    }

    @Test("unknown values", arguments: [String?.none, "", "   ", "p0", "sev 1", "crítical", "warning!", "info-ish", "5", "CRITICAL WARNING"])
    func unknown(_ raw: String?) {
        #expect(Severity(parsing: raw) == nil)
    }

    @Test("raw values read back")
    func rawValues() {
        for severity in Severity.allCases {
            #expect(Severity(parsing: severity.rawValue) == severity)
        }
    }
}
