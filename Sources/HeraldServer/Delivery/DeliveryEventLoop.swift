import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Vapor

/// The delivery loop's own event loop, and the HTTP client that sends every outbound request
/// (Slack's Web API, incoming webhooks) on it. Its one thread runs at a lower priority (nice
/// ``nice``; any process may lower its own threads' priority), so on saturated cores the loops
/// that accept events go first and delivery gets what CPU is left: an accepted event is already
/// durable in the outbox, and its message follows as soon as the burst allows. When the cores are
/// not saturated, the priority changes nothing.
///
/// Measured at one alert per request from 32 clients on 2 cores (see the README): on the HTTP
/// loops, sends and their answers delayed the requests waiting behind them.
final class DeliveryEventLoop: Sendable {
    /// The loop thread's nice value (the SQLite writers' threads ask for −10).
    static let nice: Int32 = 10

    private let group: MultiThreadedEventLoopGroup
    /// Where the delivery worker's tasks run (see ``DeliveryWorker/start()``).
    let executor: EventLoopExecutor
    /// Outbound HTTP, its connections on this loop.
    let client: HTTPClient

    init(configuration: HTTPClient.Configuration, logger: Logger) {
        // Outbound requests never follow redirects (SPEC §5): a tenant's URL could redirect anywhere.
        var configuration = configuration
        configuration.redirectConfiguration = .disallow
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        executor = EventLoopExecutor(loop: loop)
        client = HTTPClient(eventLoopGroup: group, configuration: configuration, backgroundActivityLogger: logger)
        // The loop's first job, before any send.
        loop.execute {
            if let refused = ThreadPriority.setCurrent(nice: Self.nice) {
                logger.notice("the delivery loop's thread keeps the normal priority: \(refused)")
            }
        }
    }

    /// Closes the client's connections, then stops the loop. After the delivery worker has stopped.
    func shutdown() async {
        try? await client.shutdown()
        try? await group.shutdownGracefully()
    }
}

/// Stops the delivery loop when the application stops. Registered before the delivery worker's
/// handler, so it runs after the worker's sends in flight have finished (handlers run in reverse).
struct DeliveryEventLoopLifecycle: LifecycleHandler {
    let loop: DeliveryEventLoop

    func shutdownAsync(_ application: Application) async {
        await loop.shutdown()
    }
}
