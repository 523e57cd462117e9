import Foundation
import HeraldCore
import HeraldSinks
import Outbound
import SlackAPI
import Vapor

/// Herald's shared services, built once in ``configure(_:configuration:overrides:)``, grouped by
/// concern: each group is what one part of Herald (storage, security, intake, delivery, Slack) needs.
struct HeraldServices: Sendable {
    var configuration: HeraldConfiguration
    var metrics: HeraldMetrics
    var storage: Storage
    var security: Security
    var routing: Routing
    /// Applies concurrent events in shared transactions.
    var intake: IntakeBatcher
    var delivery: Delivery
    var slack: Slack
    /// Links into Herald's pages, for messages and answers.
    var links: HeraldLinks
    /// Path patterns to the methods served there, for `405` answers.
    var allowedMethods = AllowedMethods()
    /// The clock and randomness, injectable for tests.
    var now: @Sendable () -> Date
    var random: @Sendable () -> Double

    /// Write transactions and, on SQLite, intake's own connection.
    struct Storage: Sendable {
        /// Serialises write transactions on SQLite.
        var writeGate: WriteGate
        /// SQLite: intake's own connection for set-based writes.
        var sqliteWriter: SQLiteWriter?
        /// SQLite: the delivery loop's own connection for its record-and-claim transactions.
        var deliveryWriter: SQLiteWriter? = nil
    }

    /// Secrets at rest and the credentials people and senders present.
    struct Security: Sendable {
        var secrets: SecretsBox
        /// Makes API tokens and event keys.
        var credentials: CredentialFactory
        /// Valid event keys by hash (revocation is still checked when an event is stored).
        var eventKeys: EventKeyCache
        /// Bcrypt's work factor for web passwords.
        var bcryptCost = AccountService.bcryptCost
    }

    /// Where events go: the destination sources and each project's routing data.
    struct Routing: Sendable {
        var router: HeraldCore.Router
        /// Projects' organization, name, services and Slack settings, cached for 2 s.
        var cache: ProjectRoutingCache
    }

    /// The outbox's delivery core, the same for every sink.
    struct Delivery: Sendable {
        /// Wakes this process's delivery loop.
        var signal: DeliverySignal
        var retryPolicy: RetryPolicy
        /// Every sink this process sends to, by type.
        var sinks: SinkRegistry
        /// What destinations' credentials stand for at send time, by the source that made them.
        var credentials: DestinationCredentials
        /// Channels whose pacing row exists.
        var pacingKeys: PacingKeys
        /// The delivery worker's event loop and the outbound HTTP client on it.
        var loop: DeliveryEventLoop
        /// How sinks reach URLs a tenant chose: through the outbound policy (SPEC §5).
        var tenantTransport: any OutboundTransport
    }

    /// Herald's own Slack calls (settings tests, the Slack app) and the sandbox.
    struct Slack: Sendable {
        /// Herald's Slack Web API client (pointed at the sandbox in `--sandbox` mode), on the
        /// delivery loop.
        var client: SlackClient
        /// The same Slack for calls a person waits on (the Slack app's `views.open`, `users.info`,
        /// OAuth, the channel list): on the server's own loops, never queued behind deliveries.
        var interactive: SlackClient
        /// Replies to `response_url`s, through the outbound policy (the URL comes in a request).
        var responses: SlackClient
        /// Slack users' emails, cached (`users.info`).
        var users: SlackUserDirectory
        /// Work the Slack app does after answering Slack.
        var work = SlackAppWork()
        /// The inbound app's handlers.
        var app = SlackApp.standard
        /// The built-in Slack workspace, when `--sandbox` (or a test) mounted it.
        var sandbox: (any SlackSandboxInstance)?
        /// How long a Slack test message may take, for all its channels together.
        var testDeadline: Duration = .seconds(10)
    }
}

extension HeraldServices {
    /// The sinks every Herald has: the Slack bot over `slack` (the operator's Slack), the others
    /// over `tenant`, the transport for URLs a tenant chose.
    static func builtInSinks(slack: SlackClient, tenant: any OutboundTransport, configuration: HeraldConfiguration) -> [any Sink] {
        [
            SlackBotSink(client: slack),
            SlackWebhookSink(client: SlackClient(baseURL: slack.baseURL, transport: tenant, timeout: slack.timeout, now: slack.now)),
            HipChatSink(http: tenant), MattermostSink(http: tenant), DiscordSink(http: tenant), TeamsSink(http: tenant),
            SignedWebhookSink(http: tenant),
        ]
    }

    /// Points Herald's Slack clients, and the sinks, at another Slack (the sandbox). `webhooks`: how
    /// tenant URLs (and `response_url`s) are reached instead (the in-process sandbox's transport, in
    /// tests); `interactive`: the transport of calls a person waits on, when not `client`'s.
    mutating func useSlack(_ client: SlackClient, webhooks: (any OutboundTransport)? = nil, interactive: (any OutboundTransport)? = nil) {
        slack.client = client
        slack.interactive = SlackClient(baseURL: client.baseURL, transport: interactive ?? client.transport, timeout: client.timeout,
                                        now: client.now)
        if let webhooks {
            slack.responses = SlackClient(baseURL: client.baseURL, transport: webhooks, timeout: client.timeout, now: client.now)
        }
        if let webhooks { delivery.tenantTransport = webhooks }
        for sink in Self.builtInSinks(slack: client, tenant: delivery.tenantTransport, configuration: configuration) {
            delivery.sinks.register(sink)
        }
    }

    /// Where a message is, in its sink's terms (nil before it is posted, or for an unknown sink).
    func location(sink: String, reference: String?) -> MessageLocation? {
        guard let reference else { return nil }
        return delivery.sinks[sink]?.location(of: reference)
    }
}

extension Application {
    /// Holds the services, so that reading one of them (`req.herald.routing`) borrows it instead
    /// of copying the whole struct out of Vapor's storage and releasing it again: that copy was 1 %
    /// of Herald's CPU at one alert per request. Like Vapor's storage itself, it is changed only
    /// while the application is being set up, before it serves.
    fileprivate final class HeraldServicesBox: @unchecked Sendable {
        var services: HeraldServices
        init(_ services: HeraldServices) { self.services = services }
    }

    private struct HeraldServicesKey: StorageKey {
        typealias Value = HeraldServicesBox
    }

    private var heraldBox: HeraldServicesBox {
        guard let box = storage[HeraldServicesKey.self] else { fatalError("configure(_:configuration:) was not called") }
        return box
    }

    /// Herald's services; set by `configure`.
    var herald: HeraldServices {
        _read { yield heraldBox.services }
        set {
            if let box = storage[HeraldServicesKey.self] { box.services = newValue } else { storage[HeraldServicesKey.self] = HeraldServicesBox(newValue) }
        }
        _modify { yield &heraldBox.services }
    }
}

extension Request {
    var herald: HeraldServices {
        _read { yield application.herald }
    }
}

extension Application {
    private struct SQLiteProcessLockKey: StorageKey {
        typealias Value = SQLiteProcessLock
    }

    /// `serve` and `worker` on SQLite: takes this process's lock on the database file for the life
    /// of the application (see ``SQLiteProcessLock``), or refuses to start.
    func holdSQLiteProcessLock() throws(StartupRefusal) {
        guard case .sqlite(let path) = herald.configuration.database, storage[SQLiteProcessLockKey.self] == nil else { return }
        storage[SQLiteProcessLockKey.self] = try SQLiteProcessLock.acquire(databasePath: path)
    }

    private struct DeliveryWorkerKey: StorageKey {
        typealias Value = DeliveryWorker
    }

    /// This process's delivery loop, once started.
    var deliveryWorker: DeliveryWorker? {
        get { storage[DeliveryWorkerKey.self] }
        set { storage[DeliveryWorkerKey.self] = newValue }
    }

    /// Starts the delivery loop (serve, worker, tests); stopped when the application shuts down.
    func startDeliveryWorker(concurrency: Int = HeraldConfiguration.defaultDeliveryConcurrency) {
        guard deliveryWorker == nil else { return }
        let worker = DeliveryWorker(app: self, concurrency: concurrency)
        deliveryWorker = worker
        // Registered now, after the database's own handler, so that at shutdown (which runs the
        // handlers in reverse) the sends in flight finish and are recorded before the database closes.
        lifecycle.use(DeliveryWorkerLifecycle())
        worker.start()
    }

    func stopDeliveryWorker() async {
        await deliveryWorker?.stop()
        deliveryWorker = nil
    }
}

/// Stops the delivery loop before the application shuts down, letting sends in flight finish.
struct DeliveryWorkerLifecycle: LifecycleHandler {
    func shutdownAsync(_ application: Application) async {
        await application.stopDeliveryWorker()
    }
}
