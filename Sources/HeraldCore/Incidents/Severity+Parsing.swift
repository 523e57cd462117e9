import Foundation

extension Severity {
    /// Reads the usual spellings: PagerDuty's (`critical`, `error`, `warning`, `info`), Alertmanager
    /// labels (`page`, `crit`, `high`, `major`, `minor`, `low`, `warn`, `informational`, `none`…),
    /// case-insensitive. Unknown values are nil.
    public init?(parsing raw: String?) {
        guard let raw else { return nil }
        let word = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard let severity = Self.spellings[word] else { return nil }
        self = severity
    }

    /// Exactly one of the accepted spellings, in lower case, as written (Herald's own API, whose
    /// document lists them); nil for anything else.
    public init?(exactly raw: String) {
        guard let severity = Self.spellings[raw] else { return nil }
        self = severity
    }

    /// Every accepted spelling, lower case, for the API document.
    public static var allSpellings: [String] { spellings.keys.sorted() }

    /// Every accepted spelling, lower-cased (Zabbix's `average` and `disaster` included).
    private static let spellings: [String: Severity] = {
        let table: [(Severity, [String])] = [
            (.critical, ["critical", "crit", "page", "p1", "sev1", "fatal", "emergency", "disaster"]),
            (.error, ["error", "err", "high", "major", "p2", "sev2"]),
            (.warning, ["warning", "warn", "medium", "minor", "p3", "sev3", "average"]),
            (.info, ["info", "informational", "low", "none", "notice", "ok", "p4", "p5", "sev4", "debug"]),
        ]
        var spellings: [String: Severity] = [:]
        for (severity, words) in table {
            for word in words { spellings[word] = severity }
        }
        return spellings
    }()
}
