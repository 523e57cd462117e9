import Foundation
import HeraldCore
import HeraldSinks
import SlackAPI
import Vapor

/// Herald's shared services, built once in ``configure(_:configuration:overrides:)``.
struct HeraldServices: Sendable {
    var configuration: HeraldConfiguration
    var secrets: SecretsBox
    var credentials: CredentialFactory
    var metrics: HeraldMetrics
    /// Herald's Slack Web API client (pointed at the sandbox in `--sandbox` mode).
    var slack: SlackClient
    /// The built-in Slack workspace, when `--sandbox` (or a test) mounted it.
    var sandbox: (any SlackSandboxInstance)?
    /// Serialises write transactions on SQLite.
    var writeGate: WriteGate
    /// Wakes this process's delivery loop.
    var deliverySignal: DeliverySignal
    var router: HeraldCore.Router
    /// Every sink this process sends to, by type.
    var sinks: SinkRegistry
    /// What destinations' credentials stand for at send time, by the source that made them.
    var destinationCredentials: DestinationCredentials
    var retryPolicy: RetryPolicy
    var links: HeraldLinks
    /// Projects' organization, name and Slack settings, cached for 2 s.
    var routingCache: ProjectRoutingCache
    /// Valid event keys by hash (revocation is still checked when an event is stored).
    var eventKeys: EventKeyCache
    /// Applies concurrent events in shared transactions.
    var intake: IntakeBatcher
    /// Channels whose pacing row exists.
    var pacingKeys: PacingKeys
    /// SQLite: intake's own connection for set-based writes.
    var sqliteWriter: SQLiteWriter?
    /// Path patterns to the methods served there, for `405` answers.
    var allowedMethods = AllowedMethods()
    /// How long a Slack test message may take, for all its channels together.
    var slackTestDeadline: Duration = .seconds(10)
    /// The clock and randomness, injectable for tests.
    var now: @Sendable () -> Date
    var random: @Sendable () -> Double
}

extension HeraldServices {
    /// The sinks every Herald has, over `slack`.
    static func builtInSinks(slack: SlackClient, configuration: HeraldConfiguration) -> [any Sink] {
        [SlackBotSink(client: slack, interactive: configuration.slackSigningSecret != nil), SlackWebhookSink(client: slack)]
    }

    /// Points Herald's Slack client, and the Slack sinks, at another Slack (the sandbox).
    mutating func useSlack(_ client: SlackClient) {
        slack = client
        for sink in Self.builtInSinks(slack: client, configuration: configuration) { sinks.register(sink) }
    }

    /// Where a message is, in its sink's terms (nil before it is posted, or for an unknown sink).
    func location(sink: String, reference: String?) -> MessageLocation? {
        guard let reference else { return nil }
        return sinks[sink]?.location(of: reference)
    }
}

extension Application {
    private struct HeraldServicesKey: StorageKey {
        typealias Value = HeraldServices
    }

    /// Herald's services; set by `configure`.
    var herald: HeraldServices {
        get {
            guard let services = storage[HeraldServicesKey.self] else {
                fatalError("configure(_:configuration:) was not called")
            }
            return services
        }
        set { storage[HeraldServicesKey.self] = newValue }
    }
}

extension Request {
    var herald: HeraldServices { application.herald }
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
