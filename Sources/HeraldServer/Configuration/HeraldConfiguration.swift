import Foundation
import NIOSSL
import HeraldCore
import Outbound

/// Everything Herald reads from its environment, read once at startup.
///
/// `init(environment:)` checks every variable and throws one ``ConfigurationError`` listing all
/// problems, so an operator fixes them in one go.
public struct HeraldConfiguration: Sendable {
    /// Where the data lives.
    public enum Database: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(PostgresLocation)

        public var isPostgres: Bool { if case .postgres = self { true } else { false } }
    }

    /// A parsed `postgres://USER:PASS@HOST:PORT/DB` URL.
    public struct PostgresLocation: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String
        /// `sslmode=require` (or `verify-full`) in the URL turns TLS on.
        public var requireTLS: Bool
        /// Schemas to search; tests use one schema per test.
        public var searchPath: [String]?

        public init(host: String, port: Int = 5432, username: String, password: String?, database: String,
                    requireTLS: Bool = false, searchPath: [String]? = nil) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.requireTLS = requireTLS
            self.searchPath = searchPath
        }
    }

    public var database: Database
    /// Base64 of 32 bytes; when nil (SQLite only) a key file beside the database is used.
    public var secretKey: Data?
    public var adminEmail: String?
    public var adminToken: String?
    /// Base of the links Herald puts in messages: `HERALD_PUBLIC_URL`, else `http://HOSTNAME:PORT`
    /// (and `serve` replaces that default with the address it really listens on).
    public var publicURL: URL
    /// Whether `HERALD_PUBLIC_URL` was set.
    public var publicURLIsExplicit: Bool
    /// SQLite's `synchronous` setting: `full` (an event answered `202` survives power loss) or `normal`.
    public var sqliteSynchronous: SQLiteSynchronous
    public var slackAPIURL: URL
    public var slackOAuthURL: URL
    public var slackSigningSecret: String?
    public var slackClientID: String?
    public var slackClientSecret: String?
    /// Seconds between two updates of a living message.
    public var updateInterval: Int
    /// Seconds after which a transiently failing delivery is `dead`.
    public var deliveryMaxAge: Int
    /// Messages per second per Slack channel; 0 turns pacing off.
    public var channelRate: Double
    /// Sends in flight at once in each process's delivery worker.
    public var deliveryConcurrency: Int
    public var hostname: String
    public var port: Int
    /// Seconds the HTTP server waits for a client: for a request's head and body, and between
    /// requests on a kept-alive connection; then the connection is closed (`408` for a partial request).
    public var httpIdleTimeout: Int
    /// `HERALD_TLS_CERT` and `HERALD_TLS_KEY`: `serve` speaks HTTPS (TLS 1.2 or later) with this
    /// certificate chain and key, read and checked at startup.
    public var tls: TLSFiles?

    /// A certificate chain and its private key, loaded from PEM files, and the server context made
    /// of them once (checking that they belong together).
    public struct TLSFiles: @unchecked Sendable {
        public var certificatePath: String
        public var keyPath: String
        public var chain: [NIOSSLCertificate]
        public var key: NIOSSLPrivateKey
        public var context: NIOSSLContext
    }
    /// Addresses no sink sends to, beyond link-local and cloud-metadata addresses (always refused):
    /// `HERALD_OUTBOUND_DENY`, CIDRs separated by commas or spaces.
    public var outboundDeny: [CIDRBlock]

    public static let defaultDatabaseURL = "sqlite://herald.sqlite"
    public static let defaultDeliveryConcurrency = 256
    /// HTTP/1 connections the delivery loop keeps open to one host (Slack, a webhook's server);
    /// the sends in flight beyond them wait for one. HTTP/2 hosts multiplex on one connection.
    public static let httpConnectionsPerHost = 64

    /// The variables Herald reads, for `--help` texts and the README.
    public static let variables = [
        "HERALD_DATABASE_URL", "HERALD_SECRET_KEY", "HERALD_ADMIN_EMAIL", "HERALD_ADMIN_TOKEN",
        "HERALD_PUBLIC_URL", "HERALD_SLACK_API_URL", "HERALD_SLACK_OAUTH_URL", "HERALD_SLACK_SIGNING_SECRET",
        "HERALD_SLACK_CLIENT_ID", "HERALD_SLACK_CLIENT_SECRET", "HERALD_UPDATE_INTERVAL",
        "HERALD_DELIVERY_MAX_AGE", "HERALD_DELIVERY_CONCURRENCY", "HERALD_CHANNEL_RATE", "HERALD_HOSTNAME", "HERALD_PORT",
        "HERALD_SQLITE_SYNCHRONOUS", "HERALD_HTTP_IDLE_TIMEOUT", "HERALD_OUTBOUND_DENY",
    ]

    public init(environment env: [String: String]) throws(ConfigurationError) {
        var problems: [ConfigurationError.Problem] = []
        func value(_ name: String) -> String? {
            guard let raw = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { return nil }
            return raw
        }
        func problem(_ name: String, _ message: String) {
            problems.append(.init(variable: name, message: message))
        }
        func integer(_ name: String, default def: Int, range: ClosedRange<Int>) -> Int {
            guard let raw = value(name) else { return def }
            guard let n = Int(raw), range.contains(n) else {
                problem(name, "must be a whole number between \(range.lowerBound) and \(range.upperBound), got \"\(raw)\"")
                return def
            }
            return n
        }
        func url(_ name: String, default def: String) -> URL {
            let raw = value(name) ?? def
            guard let u = URL(string: raw), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  u.host != nil
            else {
                problem(name, "must be an http(s) URL, got \"\(raw)\"")
                return URL(string: def)!
            }
            return u
        }

        // Database
        let databaseURL = value("HERALD_DATABASE_URL") ?? Self.defaultDatabaseURL
        var database = Database.sqlite(path: "herald.sqlite")
        do { database = try Self.parseDatabaseURL(databaseURL) } catch { problem("HERALD_DATABASE_URL", error.message) }

        // Secret key
        var secretKey: Data?
        if let raw = value("HERALD_SECRET_KEY") {
            do { secretKey = try SecretKeyFile.decode(raw) } catch { problem("HERALD_SECRET_KEY", "\(error) (make one with: openssl rand -base64 32)") }
        } else if database.isPostgres {
            problem("HERALD_SECRET_KEY", "is required with PostgreSQL (make one with: openssl rand -base64 32); a key file is only created for SQLite")
        }

        // First owner
        let adminEmail = value("HERALD_ADMIN_EMAIL")
        let adminToken = value("HERALD_ADMIN_TOKEN")
        var normalizedAdminEmail: String?
        switch (adminEmail, adminToken) {
        case (nil, nil): break
        case (.some, nil): problem("HERALD_ADMIN_TOKEN", "is required when HERALD_ADMIN_EMAIL is set")
        case (nil, .some): problem("HERALD_ADMIN_EMAIL", "is required when HERALD_ADMIN_TOKEN is set")
        case (.some(let email), .some(let token)):
            do { normalizedAdminEmail = try Validate.email(email) } catch { problem("HERALD_ADMIN_EMAIL", error.detail) }
            if token.count < 32 { problem("HERALD_ADMIN_TOKEN", "must be at least 32 characters (make one with: openssl rand -hex 32)") }
            if token.contains(where: { $0.isWhitespace }) { problem("HERALD_ADMIN_TOKEN", "must not contain whitespace") }
        }

        // Slack app
        let clientID = value("HERALD_SLACK_CLIENT_ID")
        let clientSecret = value("HERALD_SLACK_CLIENT_SECRET")
        if (clientID == nil) != (clientSecret == nil) {
            problem(clientID == nil ? "HERALD_SLACK_CLIENT_ID" : "HERALD_SLACK_CLIENT_SECRET",
                    "HERALD_SLACK_CLIENT_ID and HERALD_SLACK_CLIENT_SECRET must be set together")
        }

        let rateRaw = value("HERALD_CHANNEL_RATE")
        var channelRate = 1.0
        if let rateRaw {
            if let r = Double(rateRaw), r >= 0, r.isFinite, r <= 1000 { channelRate = r } else {
                problem("HERALD_CHANNEL_RATE", "must be a number of messages per second between 0 (no pacing) and 1000, got \"\(rateRaw)\"")
            }
        }

        let hostname = value("HERALD_HOSTNAME") ?? "127.0.0.1"
        let port = integer("HERALD_PORT", default: 8080, range: 1...65535)

        var synchronous = SQLiteSynchronous.full
        if let raw = value("HERALD_SQLITE_SYNCHRONOUS") {
            if let parsed = SQLiteSynchronous(rawValue: raw.lowercased()) { synchronous = parsed } else {
                problem("HERALD_SQLITE_SYNCHRONOUS", "must be full (the default: survives power loss) or normal (faster; survives a crash of Herald, not of the machine), got \"\(raw)\"")
            }
        }

        // HTTPS: both files or neither, each readable PEM, the key matching the certificate.
        var tls: TLSFiles?
        switch (value("HERALD_TLS_CERT"), value("HERALD_TLS_KEY")) {
        case (nil, nil): break
        case (.some, nil): problem("HERALD_TLS_KEY", "is required when HERALD_TLS_CERT is set")
        case (nil, .some): problem("HERALD_TLS_CERT", "is required when HERALD_TLS_KEY is set")
        case (.some(let certPath), .some(let keyPath)):
            var chain: [NIOSSLCertificate] = []
            var key: NIOSSLPrivateKey?
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certPath)
                if chain.isEmpty { problem("HERALD_TLS_CERT", "holds no PEM certificate: \(certPath)") }
            } catch {
                problem("HERALD_TLS_CERT", "cannot be read as a PEM certificate chain: \(certPath) (\(Self.describeTLS(error)))")
            }
            do { key = try NIOSSLPrivateKey(file: keyPath, format: .pem) } catch {
                problem("HERALD_TLS_KEY", "cannot be read as a PEM private key: \(keyPath) (\(Self.describeTLS(error)))")
            }
            if let key, !chain.isEmpty {
                do {
                    let context = try NIOSSLContext(configuration: Self.serverTLS(chain: chain, key: key))
                    tls = TLSFiles(certificatePath: certPath, keyPath: keyPath, chain: chain, key: key, context: context)
                } catch {
                    problem("HERALD_TLS_KEY", "does not match the certificate in HERALD_TLS_CERT (\(Self.describeTLS(error)))")
                }
            }
        }

        var outboundDeny: [CIDRBlock] = []
        if let raw = value("HERALD_OUTBOUND_DENY") {
            for item in raw.split(whereSeparator: { $0 == "," || $0.isWhitespace }) {
                if let block = CIDRBlock(String(item)) { outboundDeny.append(block) } else {
                    problem("HERALD_OUTBOUND_DENY", "must be CIDR blocks separated by commas (such as 127.0.0.0/8, 10.0.0.0/8, ::1/128), got \"\(item)\"")
                }
            }
        }

        self.database = database
        self.secretKey = secretKey
        self.outboundDeny = outboundDeny
        self.adminEmail = normalizedAdminEmail
        self.adminToken = adminToken
        self.publicURL = url("HERALD_PUBLIC_URL", default: Self.localURL(hostname: hostname, port: port, https: tls != nil))
        self.publicURLIsExplicit = value("HERALD_PUBLIC_URL") != nil
        self.sqliteSynchronous = synchronous
        self.slackAPIURL = url("HERALD_SLACK_API_URL", default: "https://slack.com/api")
        self.slackOAuthURL = url("HERALD_SLACK_OAUTH_URL", default: "https://slack.com/oauth/v2/authorize")
        self.slackSigningSecret = value("HERALD_SLACK_SIGNING_SECRET")
        self.slackClientID = clientID
        self.slackClientSecret = clientSecret
        self.updateInterval = integer("HERALD_UPDATE_INTERVAL", default: 300, range: 0...86_400)
        self.deliveryMaxAge = integer("HERALD_DELIVERY_MAX_AGE", default: 86_400, range: 1...31 * 86_400)
        self.deliveryConcurrency = integer("HERALD_DELIVERY_CONCURRENCY", default: Self.defaultDeliveryConcurrency, range: 1...4096)
        self.channelRate = channelRate
        self.hostname = hostname
        self.port = port
        self.httpIdleTimeout = integer("HERALD_HTTP_IDLE_TIMEOUT", default: 30, range: 1...60)
        self.tls = tls
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
    }

    struct URLProblem: Error { var message: String }

    /// `http://HOST:PORT` for a listening address: a wildcard address becomes 127.0.0.1 (it names
    /// no machine), IPv6 literals are bracketed.
    public static func localURL(hostname: String, port: Int, https: Bool = false) -> String {
        let host = ["0.0.0.0", "::", "[::]", ""].contains(hostname) ? "127.0.0.1" : hostname
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(https ? "https" : "http")://\(bracketed):\(port)"
    }

    /// The server's TLS: this chain and key, TLS 1.2 or later.
    static func serverTLS(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    /// A TLS error in a sentence (NIOSSL's carry OpenSSL's own words).
    static func describeTLS(_ error: any Error) -> String {
        String(describing: error).prefix(200).description
    }

    /// Parses `sqlite://PATH` (relative or absolute: `sqlite:///var/lib/herald.db`) or `postgres://…`.
    static func parseDatabaseURL(_ raw: String) throws(URLProblem) -> Database {
        if raw.hasPrefix("sqlite://") {
            let path = String(raw.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw URLProblem(message: "sqlite:// needs a file path, like sqlite://herald.sqlite") }
            return .sqlite(path: path)
        }
        guard let comps = URLComponents(string: raw), let scheme = comps.scheme?.lowercased(),
              ["postgres", "postgresql"].contains(scheme)
        else {
            throw URLProblem(message: "must be sqlite://PATH or postgres://USER:PASS@HOST:PORT/DB, got \"\(Self.redacted(raw))\"")
        }
        guard let host = comps.host, !host.isEmpty else { throw URLProblem(message: "postgres URL has no host") }
        guard let user = comps.user, !user.isEmpty else { throw URLProblem(message: "postgres URL has no user") }
        let db = comps.path.hasPrefix("/") ? String(comps.path.dropFirst()) : comps.path
        guard !db.isEmpty else { throw URLProblem(message: "postgres URL has no database name") }
        let sslmode = comps.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard ["disable", "require", "verify-full"].contains(sslmode) else {
            throw URLProblem(message: "postgres sslmode must be disable, require or verify-full")
        }
        return .postgres(.init(host: host, port: comps.port ?? 5432, username: user,
                               password: comps.password?.removingPercentEncoding, database: db,
                               requireTLS: sslmode != "disable"))
    }

    /// The URL with its password replaced, for messages.
    static func redacted(_ raw: String) -> String {
        guard var comps = URLComponents(string: raw), comps.password != nil else { return raw }
        comps.password = "REDACTED"
        return comps.string ?? "(unparseable)"
    }
}

/// SQLite's `PRAGMA synchronous` (`HERALD_SQLITE_SYNCHRONOUS`). With `full`, every commit is on disk
/// before Herald answers; with `normal` (in WAL mode), the last commits can be lost if the machine
/// loses power, though never when only Herald crashes.
public enum SQLiteSynchronous: String, Sendable, Equatable {
    case full, normal
}

/// Every bad or missing variable found at startup.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public struct Problem: Sendable, Equatable {
        public var variable: String
        public var message: String
    }

    public var problems: [Problem]

    public var description: String {
        "Herald cannot start: \(problems.count) configuration problem\(problems.count == 1 ? "" : "s"):\n"
            + problems.map { "  - \($0.variable) \($0.message)" }.joined(separator: "\n")
    }
}
