import FluentKit
import Foundation
import SlackAPI
@testable import HeraldServer
import HeraldCore
import NIOConcurrencyHelpers
import NIOCore
import HeraldSandbox
import SlackSandbox
import SQLKit
import Testing
import Vapor
import VaporTesting

/// Which database the suite runs on: PostgreSQL when `HERALD_TEST_POSTGRES_URL` is set (the test
/// command sets it; a test then fails, never skips, if PostgreSQL is unreachable), else SQLite.
enum TestDatabase {
    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["HERALD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var isPostgres: Bool { postgresURL != nil }

    /// A fresh, empty database for one test: a temporary SQLite file, or a new PostgreSQL schema.
    /// With `sqliteOnly`, SQLite whatever the suite runs on (for what only SQLite has: pragmas, the file lock).
    static func make(sqliteOnly: Bool = false) throws -> (HeraldConfiguration.Database, cleanupDirectory: URL?) {
        if let url = postgresURL, !sqliteOnly {
            guard case .postgres(var location) = try HeraldConfiguration.parseDatabaseURL(url) else {
                throw TestFailure("HERALD_TEST_POSTGRES_URL is not a postgres:// URL")
            }
            location.searchPath = ["t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")]
            return (.postgres(location), nil)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("herald-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (.sqlite(path: dir.appendingPathComponent("herald.sqlite").path), dir)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A configuration for tests: the given database, a fixed secret key, everything else default.
func testConfiguration(database: HeraldConfiguration.Database, extra: [String: String] = [:]) throws -> HeraldConfiguration {
    var env = ["HERALD_SECRET_KEY": Data(repeating: 7, count: 32).base64EncodedString()]
    env.merge(extra) { $1 }
    var configuration = try HeraldConfiguration(environment: env)
    configuration.database = database
    return configuration
}

/// Runs `body` against a configured, migrated application on a fresh database, then tears it down.
func withApp(
    environment extra: [String: String] = [:],
    sandbox: Bool = false,
    workers: Bool = false,
    overrides: HeraldOverrides = .init(),
    clock: ManualClock? = nil,
    logs: LogCapture? = nil,
    sqliteOnly: Bool = false,
    _ body: (Application) async throws -> Void
) async throws {
    var overrides = overrides
    if let clock { overrides.now = { clock.now } }
    let (database, directory) = try TestDatabase.make(sqliteOnly: sqliteOnly)
    let app: Application
    if let logs {
        var logger = Logger(label: "herald.test") { _ in logs.handler() }
        logger.logLevel = .trace
        app = try await Application.make(.testing, logger: logger)
    } else {
        app = try await Application.make(.testing)
    }
    do {
        try await configure(app, configuration: try testConfiguration(database: database, extra: extra), overrides: overrides)
        if sandbox { try await SandboxMode.enable(app, host: BuiltInSlackSandbox(), apiBaseURL: nil) }
        if case .postgres(let location) = database, let schema = location.searchPath?.first {
            try await (app.db as! any SQLDatabase).raw("CREATE SCHEMA \(ident: schema)").run()
        }
        try await DatabaseSetup.prepare(app)
        if workers { app.startDeliveryWorker() }
        try await body(app)
    } catch {
        await app.stopDeliveryWorker()
        try? await dropSchema(app, database)
        try? await app.asyncShutdown()
        if let directory { try? FileManager.default.removeItem(at: directory) }
        throw error
    }
    await app.stopDeliveryWorker()
    try await dropSchema(app, database)
    try await app.asyncShutdown()
    if let directory { try? FileManager.default.removeItem(at: directory) }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Herald's clock in a test (``HeraldOverrides/now``, shared by the sandbox): it moves only when
/// the test moves it. It starts at a whole number of seconds, so adding whole or binary-fraction
/// seconds (4, 0.5, 0.25) gives exact times, and a due time can be met to the microsecond.
final class ManualClock: Sendable {
    private let current: NIOLockedValueBox<Date>
    let start: Date

    init(start: Date = Date(timeIntervalSinceReferenceDate: 800_000_000)) {
        self.start = start
        current = NIOLockedValueBox(start)
    }

    var now: Date { current.withLockedValue { $0 } }

    /// Sets the time to `seconds` after the start.
    func set(_ seconds: TimeInterval) {
        current.withLockedValue { $0 = start.addingTimeInterval(seconds) }
    }

    /// Seconds since the start.
    var elapsed: TimeInterval { now.timeIntervalSince(start) }
}

extension Application {
    /// Waits until the delivery loop has sent and recorded everything due now (see
    /// ``DeliveryWorker/waitUntilIdle()``). A loop that is never idle fails the test after a
    /// generous minute rather than hanging the suite (a safety net, not a timing assertion).
    func deliveriesIdle() async throws {
        let worker = try #require(deliveryWorker, "the delivery worker is not running")
        // Unstructured: `waitUntilIdle` cannot be cancelled, so a task group would wait for it
        // even after the minute is up, and hang instead of failing.
        let idle = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let answered = NIOLockedValueBox(false)
            let answer: @Sendable (Bool) -> Void = { value in
                let first = answered.withLockedValue { done in defer { done = true }; return !done }
                if first { continuation.resume(returning: value) }
            }
            let timer = Task { try? await Task.sleep(for: .seconds(60)); answer(false) }
            Task { await worker.waitUntilIdle(); answer(true); timer.cancel() }
        }
        if !idle { throw TestFailure("the delivery loop was not idle within a minute") }
    }
}

/// A project wired to the in-process sandbox: Slack enabled on a sandbox bot token and `channels`,
/// plus an event key.
struct SlackProject {
    var tenancy: Tenancy
    var eventKey: String
    var sandbox: SandboxWorkspace
    /// The project's bot token (a sandbox one).
    var botToken: String

    static func make(_ app: Application, channels: String = "#alerts") async throws -> SlackProject {
        let t = try await Tenancy.make(app)
        let sandbox = try #require(app.herald.sandboxWorkspace)
        let bot = await sandbox.issueBotToken()
        let put = try await app.api(.PUT, "/api/v1/projects/\(t.projectID)/settings/slack", token: t.owner,
                                    json: ["enabled": true, "token": bot, "channels": channels])
        try #require(put.status == .ok, "\(put.body)")
        let key = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/keys", token: t.owner)
        return SlackProject(tenancy: t, eventKey: try #require(key.string("key")), sandbox: sandbox, botToken: bot)
    }

    /// Installs the Slack app for the organization in the sandbox workspace, with the project's bot
    /// token (as the OAuth callback stores it): messages carry controls, and Slack's requests from
    /// the workspace act on its incidents.
    func installApp(_ app: Application) async throws {
        let access = OAuthV2Access(accessToken: botToken, botUserID: SandboxWorkspace.botUserID, scope: "chat:write,commands",
                                   teamID: SandboxWorkspace.teamID, teamName: SandboxWorkspace.teamName, appID: "A0HERALD")
        let orgID = try #require(UUID(uuidString: tenancy.orgID))
        try await SlackInstallationService(services: app.herald, db: app.db).store(access, orgID: orgID, userID: nil)
    }

    func send(_ app: Application, _ body: [String: Any]) async throws -> APIResponse {
        try await app.api(.POST, "/api/v1/events", token: eventKey, json: body)
    }

    func messages(_ channel: String = "#alerts") async -> [SandboxMessage] {
        await sandbox.messages(in: channel)
    }
}

private func dropSchema(_ app: Application, _ database: HeraldConfiguration.Database) async throws {
    guard case .postgres(let location) = database, let schema = location.searchPath?.first else { return }
    try await (app.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run()
}

/// A parsed response: status, headers, and the body as JSON (if it is JSON).
struct APIResponse {
    var status: HTTPStatus
    var headers: HTTPHeaders
    var body: String
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
    subscript(key: String) -> Any? { object[key] }
    func string(_ key: String) -> String? { object[key] as? String }
}

extension Application {
    /// Sends a request through the whole middleware stack and returns the parsed response.
    func api(
        _ method: HTTPMethod,
        _ path: String,
        token: String? = nil,
        json: Any? = nil,
        rawBody: String? = nil,
        contentType: String? = "application/json"
    ) async throws -> APIResponse {
        var headers = HTTPHeaders()
        if let token { headers.bearerAuthorization = .init(token: token) }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed]))
        } else if let rawBody {
            body = ByteBuffer(string: rawBody)
        }
        if body != nil, let contentType { headers.replaceOrAdd(name: .contentType, value: contentType) }
        let response = try await testing().sendRequest(method, path, headers: headers, body: body)
        return APIResponse(status: response.status, headers: response.headers, body: response.body.string)
    }

    /// Creates a user directly in the database and returns an API token for them.
    func makeUser(_ email: String, name: String? = nil) async throws -> (user: User, token: String) {
        let user = User(email: email, name: name ?? email)
        let factory = herald.security.credentials
        let token = try await herald.storage.writeGate.transaction(db) { db in
            try await user.create(on: db)
            return try await APIToken.issue(for: try user.requireID(), name: "test", factory: factory, on: db).1
        }
        return (user, token)
    }
}

/// An organization with one member of each role, plus an outsider who owns another organization.
struct Tenancy {
    var orgID: String
    var owner: String
    var admin: String
    var responder: String
    var stakeholder: String
    var outsider: String
    var outsiderOrgID: String
    var projectID: String
    var serviceID: String

    static func make(_ app: Application) async throws -> Tenancy {
        let owner = try await app.makeUser("owner@example.com").token
        let outsider = try await app.makeUser("outsider@example.org").token
        let org = try await app.api(.POST, "/api/v1/orgs", token: owner, json: ["name": "Acme"])
        try #require(org.status == .created, "\(org.body)")
        let orgID = try #require(org.string("id"))
        let other = try await app.api(.POST, "/api/v1/orgs", token: outsider, json: ["name": "Other"])
        var tokens: [String: String] = [:]
        for role in ["admin", "responder", "stakeholder"] {
            let email = "\(role)@example.com"
            let added = try await app.api(.POST, "/api/v1/orgs/\(orgID)/members", token: owner,
                                          json: ["email": email, "name": role.capitalized, "role": role])
            try #require(added.status == .created, "\(added.body)")
            let user = try #require(try await User.query(on: app.db).filter(\.$email == email).first())
            let factory = app.herald.security.credentials
            tokens[role] = try await app.herald.storage.writeGate.transaction(app.db) { db in
                try await APIToken.issue(for: user.requireID(), name: "t", factory: factory, on: db).1
            }
        }
        let project = try await app.api(.POST, "/api/v1/orgs/\(orgID)/projects", token: owner, json: ["name": "Checkout"])
        try #require(project.status == .created, "\(project.body)")
        let projectID = try #require(project.string("id"))
        let service = try await app.api(.POST, "/api/v1/projects/\(projectID)/services", token: owner, json: ["name": "payments"])
        try #require(service.status == .created, "\(service.body)")
        return Tenancy(orgID: orgID, owner: owner, admin: tokens["admin"]!, responder: tokens["responder"]!,
                       stakeholder: tokens["stakeholder"]!, outsider: outsider,
                       outsiderOrgID: try #require(other.string("id")), projectID: projectID,
                       serviceID: try #require(service.string("id")))
    }

    func token(_ role: String) -> String {
        switch role {
        case "owner": owner
        case "admin": admin
        case "responder": responder
        case "stakeholder": stakeholder
        default: outsider
        }
    }
}

/// Counts rows of a table, to prove that a refused request changed nothing.
func rowCount(_ app: Application, _ table: String) async throws -> Int {
    let row = try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()
    return try row?.decode(column: "n", as: Int.self) ?? -1
}

/// Every value of every column of `tables` as text, for "this secret is not stored" checks. The
/// database itself turns each value into text (SQLite's `quote()`, PostgreSQL's `::text`), so no
/// column can be skipped, and a value that does not come back as text fails the test.
func databaseText(_ app: Application, tables: [String]) async throws -> String {
    let sql = app.db as! any SQLDatabase
    let isSQLite = sql.dialect.name == "sqlite"
    var text = ""
    for table in tables {
        let columns: [String] = if isSQLite {
            try await sql.raw("SELECT name FROM pragma_table_info(\(bind: table))").all().map { try $0.decode(column: "name", as: String.self) }
        } else {
            try await sql.raw("""
                SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(bind: table)
                """).all().map { try $0.decode(column: "column_name", as: String.self) }
        }
        guard !columns.isEmpty else { throw TestFailure("table \(table) has no columns (does it exist?)") }
        let values = columns.map { column in
            isSQLite ? "quote(\"\(column)\") AS \"\(column)\"" : "\"\(column)\"::text AS \"\(column)\""
        }.joined(separator: ", ")
        for row in try await sql.raw("SELECT \(unsafeRaw: values) FROM \(ident: table)").all() {
            for column in columns { text += (try row.decode(column: column, as: String?.self) ?? "") + "\n" }
        }
    }
    return text
}

/// Row counts of every tenancy table.
func snapshotCounts(_ app: Application) async throws -> [String: Int] {
    var counts: [String: Int] = [:]
    for table in ["organizations", "users", "memberships", "projects", "project_members", "services", "api_tokens", "event_keys", "slack_settings"] {
        counts[table] = try await rowCount(app, table)
    }
    return counts
}

/// Records every log line (message and metadata) of an application, for "never in the logs" checks.
final class LogCapture: @unchecked Sendable {
    private let lock = NIOLock()
    private var lines: [String] = []

    var text: String { lock.withLock { lines.joined(separator: "\n") } }
    var count: Int { lock.withLock { lines.count } }

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    func handler() -> CapturingLogHandler { CapturingLogHandler(capture: self) }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        capture.append("\(event.level) \(event.message) \(all)")
    }
}

/// A loopback port free right now: the kernel picks it (binding port 0), so tests do not collide
/// with each other or with other services the way a random guess can.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}

extension HeraldServices {
    /// The in-process sandbox workspace a test mounted (``withApp(sandbox:)``).
    var sandboxWorkspace: SandboxWorkspace? { (slack.sandbox as? MountedSlackSandbox)?.workspace }
}
