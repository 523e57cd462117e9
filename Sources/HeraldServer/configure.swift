import Outbound
import Fluent
import Foundation
import HeraldCore
import HeraldSinks
import SlackAPI
import Vapor

/// Test seams: what a test may replace.
public struct HeraldOverrides: Sendable {
    /// Random bytes for credentials.
    public var randomBytes: (@Sendable (Int) -> [UInt8])?
    /// How Herald reaches the network: Slack's Web API and every sink (default: AsyncHTTPClient on
    /// the delivery loop). Tenant-chosen URLs still go through the outbound policy first.
    public var transport: (any OutboundTransport)?
    /// How the outbound policy resolves a tenant URL's host (default: the system's resolver).
    public var resolver: (any HostResolver)?
    public var now: (@Sendable () -> Date)?
    /// Numbers in 0..<1 for retry jitter.
    public var random: (@Sendable () -> Double)?
    /// Sinks added to (or replacing) the built-in ones, such as a test's fake.
    public var sinks: [any Sink] = []
    /// Destination sources asked after the built-in ones (the project's Slack settings).
    public var destinationSources: [any DestinationSource] = []
    /// Migrate only up to this schema version (tests of a migration start from the one before).
    public var schemaVersion: Int?
    /// Bcrypt's work factor for web passwords (tests use a small one).
    public var bcryptCost: Int?

    public init(randomBytes: (@Sendable (Int) -> [UInt8])? = nil, transport: (any OutboundTransport)? = nil,
                now: (@Sendable () -> Date)? = nil, random: (@Sendable () -> Double)? = nil) {
        self.randomBytes = randomBytes
        self.transport = transport
        self.now = now
        self.random = random
    }
}

/// Wires Herald into a Vapor application: database, secrets, middleware, routes and commands.
/// Does not migrate; `serve`, `worker` and `migrate` do (see ``DatabaseSetup/prepare(_:)``).
public func configure(_ app: Application, configuration: HeraldConfiguration, overrides: HeraldOverrides = .init()) async throws {
    let secrets = try SecretsBox(keyData: try loadSecretKey(configuration, logger: app.logger))
    let metrics = HeraldMetrics()
    let now = overrides.now ?? { Date() }
    // Before the outbound client is made: AsyncHTTPClient's default of 8 HTTP/1 connections per
    // host, not the delivery loop, limited how fast messages reached Slack (see the README).
    app.http.client.configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = HeraldConfiguration.httpConnectionsPerHost
    // Herald bootstraps no tracer: the client's spans for every send (to the no-op tracer) went nowhere.
    app.http.client.configuration.tracing.tracer = nil
    // No outbound request follows a redirect (SPEC §5), the Slack app's own included.
    app.http.client.configuration.redirectConfiguration = .disallow
    // Sends and the delivery worker run on a loop of their own, at a lower priority.
    let deliveryLoop = DeliveryEventLoop(configuration: app.http.client.configuration, logger: app.logger)
    app.lifecycle.use(DeliveryEventLoopLifecycle(loop: deliveryLoop))
    let transport = overrides.transport ?? AsyncHTTPClientTransport(client: deliveryLoop.client)
    // Slack's Web API is the operator's choice (HERALD_SLACK_API_URL); every URL a tenant chose
    // goes through the outbound policy.
    let slack = SlackClient(baseURL: configuration.slackAPIURL, transport: transport, now: now)
    let tenantTransport = GuardedTransport(inner: transport, resolver: overrides.resolver ?? SystemHostResolver(),
                                           policy: OutboundAddressPolicy(extraDenied: configuration.outboundDeny))
    // Calls a person waits on (the Slack app) run on the server's loops with Vapor's shared client,
    // so a delivery backlog on the delivery loop never delays them.
    let interactiveTransport = overrides.transport ?? AsyncHTTPClientTransport(client: app.http.client.shared)
    let interactiveSlack = SlackClient(baseURL: configuration.slackAPIURL, transport: interactiveTransport, now: now)
    let responses = SlackClient(baseURL: configuration.slackAPIURL,
                                transport: GuardedTransport(inner: interactiveTransport, resolver: overrides.resolver ?? SystemHostResolver(),
                                                            policy: OutboundAddressPolicy(extraDenied: configuration.outboundDeny)),
                                now: now)
    var sinks = SinkRegistry(HeraldServices.builtInSinks(slack: slack, tenant: tenantTransport, configuration: configuration))
    for sink in overrides.sinks { sinks.register(sink) }
    app.herald = HeraldServices(
        configuration: configuration,
        metrics: metrics,
        storage: .init(writeGate: WriteGate(serialize: !configuration.database.isPostgres), sqliteWriter: nil),
        security: .init(secrets: secrets,
                        credentials: CredentialFactory(randomBytes: overrides.randomBytes ?? CredentialFactory.systemRandomBytes),
                        eventKeys: EventKeyCache(), bcryptCost: overrides.bcryptCost ?? AccountService.bcryptCost),
        routing: .init(router: HeraldCore.Router(sources: HeraldCore.Router.builtIn + overrides.destinationSources),
                       cache: ProjectRoutingCache()),
        intake: IntakeBatcher(concurrentBatches: configuration.database.isPostgres ? 2 : 1, metrics: metrics),
        delivery: .init(signal: DeliverySignal(), retryPolicy: RetryPolicy(maxAge: .seconds(configuration.deliveryMaxAge)),
                        sinks: sinks, credentials: DestinationCredentials(), pacingKeys: PacingKeys(), loop: deliveryLoop,
                        tenantTransport: tenantTransport),
        slack: .init(client: slack, interactive: interactiveSlack, responses: responses, users: SlackUserDirectory(now: now)),
        links: HeraldLinks(base: configuration.publicURL),
        now: now,
        random: overrides.random ?? { Double.random(in: 0..<1) }
    )

    app.http.server.configuration.hostname = configuration.hostname
    app.http.server.configuration.port = configuration.port
    // Herald's own server reads every body whole, up to and including the limit; Vapor's route
    // collector (used only for bodies not yet read) refuses at its maximum, not above it.
    app.routes.defaultMaxBodySize = ByteCount(integerLiteral: HTTPLimits.maxBodyBytes + 1)
    let server = HeraldHTTPServer(application: app, limits: HTTPLimits(idleTimeout: .seconds(Int64(configuration.httpIdleTimeout))))
    app.servers.use { _ in server }
    // MetricsMiddleware reports requests with route labels; Vapor's own duplicate would double them.
    app.http.server.configuration.reportMetrics = false

    _ = installJSONCoders

    try DatabaseSetup.register(configuration.database, on: app)
    if case .sqlite(let path) = configuration.database {
        let pragmas = DatabaseSetup.sqliteConnectionPragmas(configuration)
        let writer = SQLiteWriter(path: path, pragmas: pragmas), deliveryWriter = SQLiteWriter(path: path, pragmas: pragmas)
        app.herald.storage.sqliteWriter = writer
        app.herald.storage.deliveryWriter = deliveryWriter
        app.lifecycle.use(SQLiteWriterLifecycle(writers: [writer, deliveryWriter]))
    }
    // After the database's own handlers, so at shutdown it runs before them.
    app.lifecycle.use(SlackAppWorkLifecycle())
    app.registerMigrations(1...(overrides.schemaVersion ?? Int.max))
    try await DatabaseSetup.tuneSQLite(app)

    // Outermost first: metrics see the final status of every response, problems replace Vapor's errors.
    app.middleware = Middlewares()
    app.middleware.use(MetricsMiddleware(metrics: app.herald.metrics))
    app.middleware.use(ProblemMiddleware())

    try routes(app)

    app.asyncCommands.use(HeraldServeCommand(), as: "serve", isDefault: true)
    app.asyncCommands.use(HeraldMigrateCommand(), as: "migrate")
    app.asyncCommands.use(UsersCommand(), as: "users")
    app.asyncCommands.use(WorkerCommand(), as: "worker")
}

/// ISO 8601 dates and stable key order in every JSON body. Vapor's content configuration is
/// process-wide, so this runs once (a lazy global is initialised exactly once, even in parallel tests).
private let installJSONCoders: Void = {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    ContentConfiguration.global.use(encoder: encoder, for: .json)
    ContentConfiguration.global.use(decoder: decoder, for: .json)
}()

/// `HERALD_SECRET_KEY`, or (SQLite only) a `0600` key file beside the database, created on first start.
func loadSecretKey(_ configuration: HeraldConfiguration, logger: Logger) throws -> Data {
    if let key = configuration.secretKey { return key }
    guard case .sqlite(let path) = configuration.database else {
        throw ConfigurationError(problems: [.init(variable: "HERALD_SECRET_KEY", message: "is required with PostgreSQL")])
    }
    // Beside the database file itself (symlinks resolved), so every name of the file finds one key;
    // a key file an earlier version left beside the name given is still used.
    let legacy = path + ".key"
    let keyPath = FileManager.default.fileExists(atPath: legacy) ? legacy : SQLiteProcessLock.resolve(path) + ".key"
    let (key, created) = try SecretKeyFile.loadOrCreate(at: keyPath)
    if created {
        logger.notice("created a new secret key in \(keyPath) (mode 0600); back it up with the database, or set HERALD_SECRET_KEY")
    }
    return key
}

func routes(_ app: Application) throws {
    try app.register(collection: SystemController())
    let api = app.grouped("api", "v1")
        .grouped(APITokenAuthenticator(), RequireCaller())
    try api.register(collection: OrganizationsController())
    try api.register(collection: ProjectsController())
    try api.register(collection: CredentialsController())
    try api.register(collection: SlackSettingsController())
    try api.register(collection: SlackInstallationController())
    try api.register(collection: IntegrationsController())
    try api.register(collection: AlertRulesController())
    try api.register(collection: RunbooksController())
    try api.register(collection: IncidentsController())
    try api.register(collection: DeliveriesController())
    // Event intake authenticates with project event keys, not personal tokens.
    try app.grouped("api", "v1").register(collection: EventsController())
    try app.register(collection: PagerDutyController())
    // Slack's requests (signed) and the app's install link and OAuth callback.
    try app.register(collection: SlackAppController())
}
