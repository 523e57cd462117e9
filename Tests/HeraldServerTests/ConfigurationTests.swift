import Foundation
@testable import HeraldServer
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test("defaults: embedded SQLite on 127.0.0.1:8080")
    func defaults() throws {
        let c = try HeraldConfiguration(environment: [:])
        #expect(c.database == .sqlite(path: "herald.sqlite"))
        #expect(c.hostname == "127.0.0.1" && c.port == 8080)
        #expect(c.updateInterval == 300 && c.deliveryMaxAge == 86_400 && c.channelRate == 1)
        #expect(c.slackAPIURL.absoluteString == "https://slack.com/api")
        #expect(c.secretKey == nil)
    }

    @Test("every problem is reported at once")
    func allProblems() {
        let env = [
            "HERALD_DATABASE_URL": "postgres://herald:pw@db.internal:5433/herald",
            "HERALD_ADMIN_EMAIL": "not-an-email",
            "HERALD_ADMIN_TOKEN": "short",
            "HERALD_UPDATE_INTERVAL": "soon",
            "HERALD_CHANNEL_RATE": "-1",
            "HERALD_SLACK_API_URL": "ftp://slack",
            "HERALD_SLACK_CLIENT_ID": "123",
            "HERALD_PORT": "99999",
            "HERALD_DELIVERY_CONCURRENCY": "0",
        ]
        do {
            _ = try HeraldConfiguration(environment: env)
            Issue.record("expected a configuration error")
        } catch {
            let variables = error.problems.map(\.variable)
            #expect(Set(variables) == [
                "HERALD_SECRET_KEY", "HERALD_ADMIN_EMAIL", "HERALD_ADMIN_TOKEN", "HERALD_UPDATE_INTERVAL",
                "HERALD_CHANNEL_RATE", "HERALD_SLACK_API_URL", "HERALD_SLACK_CLIENT_SECRET", "HERALD_PORT",
                "HERALD_DELIVERY_CONCURRENCY",
            ])
            #expect(error.description.contains("9 configuration problems"))
            #expect(!error.description.contains("pw@"))
        }
    }

    @Test("database URLs", arguments: [
        ("sqlite://herald.sqlite", HeraldConfiguration.Database.sqlite(path: "herald.sqlite")),
        ("sqlite:///var/lib/herald/db.sqlite", .sqlite(path: "/var/lib/herald/db.sqlite")),
        ("postgres://u:p%40ss@localhost:5433/herald", .postgres(.init(host: "localhost", port: 5433, username: "u", password: "p@ss", database: "herald"))),
        ("postgresql://u@db/h?sslmode=require", .postgres(.init(host: "db", username: "u", password: nil, database: "h", requireTLS: true))),
    ])
    func databaseURLs(_ raw: String, _ expected: HeraldConfiguration.Database) throws {
        #expect(try HeraldConfiguration.parseDatabaseURL(raw) == expected)
    }

    @Test("bad database URLs", arguments: ["mysql://x", "sqlite://", "postgres://db/h", "postgres://u@/h", "postgres://u@db", "postgres://u:secret@db/h?sslmode=maybe"])
    func badDatabaseURLs(_ raw: String) {
        do {
            _ = try HeraldConfiguration(environment: ["HERALD_DATABASE_URL": raw, "HERALD_SECRET_KEY": Data(count: 32).base64EncodedString()])
            Issue.record("accepted \(raw)")
        } catch {
            #expect(error.problems.map(\.variable).contains("HERALD_DATABASE_URL"))
            #expect(!error.description.contains("secret@"))
        }
    }
}

@Suite("HTTPS settings")
struct TLSConfigurationTests {
    /// A throwaway self-signed certificate for 127.0.0.1 and its key (`openssl req -x509`), and a
    /// key of another pair.
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tls/\(name)").path
    }

    @Test("HERALD_TLS_CERT and HERALD_TLS_KEY load a certificate chain and its key; links default to https")
    func loads() throws {
        let c = try HeraldConfiguration(environment: ["HERALD_TLS_CERT": Self.fixture("cert.pem"), "HERALD_TLS_KEY": Self.fixture("key.pem")])
        let tls = try #require(c.tls)
        #expect(tls.chain.count == 1)
        #expect(c.publicURL.absoluteString == "https://127.0.0.1:8080")
        #expect(HeraldConfiguration.serverTLS(chain: tls.chain, key: tls.key).minimumTLSVersion == .tlsv12)
    }

    @Test("one file without the other, an unreadable file, a file that is not PEM, a key of another pair: each a startup problem naming the variable", arguments: [
        (["HERALD_TLS_CERT": "cert.pem"], "HERALD_TLS_KEY", "is required"),
        (["HERALD_TLS_KEY": "key.pem"], "HERALD_TLS_CERT", "is required"),
        (["HERALD_TLS_CERT": "missing.pem", "HERALD_TLS_KEY": "key.pem"], "HERALD_TLS_CERT", "missing.pem"),
        (["HERALD_TLS_CERT": "cert.pem", "HERALD_TLS_KEY": "missing.pem"], "HERALD_TLS_KEY", "missing.pem"),
        (["HERALD_TLS_CERT": "key.pem", "HERALD_TLS_KEY": "key.pem"], "HERALD_TLS_CERT", "certificate"),
        (["HERALD_TLS_CERT": "cert.pem", "HERALD_TLS_KEY": "other-key.pem"], "HERALD_TLS_KEY", "does not match"),
    ])
    func refused(files: [String: String], variable: String, says: String) {
        let env = files.mapValues { Self.fixture($0) }
        do {
            _ = try HeraldConfiguration(environment: env)
            Issue.record("accepted \(files)")
        } catch {
            #expect(error.problems.map(\.variable) == [variable], "\(error)")
            #expect(error.description.contains(says), "\(error)")
        }
    }
}
