import Dispatch
import NIOConcurrencyHelpers
import Vapor

/// `herald worker [--concurrency N]`: the delivery workers alone, until SIGINT or SIGTERM.
struct WorkerCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "concurrency", help: "Sends in flight at once in this process (default HERALD_DELIVERY_CONCURRENCY, 256).")
        var concurrency: Int?

        init() {}
    }

    var help: String { "Runs the delivery workers only (no HTTP)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try app.holdSQLiteProcessLock()
        try await DatabaseSetup.prepare(app)
        app.startDeliveryWorker(concurrency: max(1, signature.concurrency ?? app.herald.configuration.deliveryConcurrency))
        app.logger.notice("delivery worker started")
        await Self.waitForTermination()
        app.logger.notice("stopping: finishing the sends in flight")
        await app.stopDeliveryWorker()
    }

    static func waitForTermination() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queue = DispatchQueue(label: "herald.worker.signals")
            let once = NIOLockedValueBox(false)
            var sources: [any DispatchSourceSignal] = []
            for code in [SIGINT, SIGTERM] {
                signal(code, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: code, queue: queue)
                source.setEventHandler {
                    let first = once.withLockedValue { done -> Bool in
                        defer { done = true }
                        return !done
                    }
                    if first { continuation.resume() }
                }
                source.resume()
                sources.append(source)
            }
            // Keep the sources alive for the life of the process.
            Self.keep = sources
        }
    }

    nonisolated(unsafe) private static var keep: [any DispatchSourceSignal] = []
}
