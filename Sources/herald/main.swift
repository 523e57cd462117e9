import Foundation
import HeraldSandbox
import HeraldServer
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import Vapor

// Swift concurrency runs on NIO's event loops (first, before any task starts): a request's
// handler and its awaits then stay on the loop that serves the connection, instead of hopping to
// Dispatch's pool and back at every step. Nothing in Herald blocks a loop with `.wait()`.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

// The thin executable: read the configuration once, make the app, configure it, run the command.
var env = try Environment.detect()
// Logs go to standard error, so commands can print results (an API token) alone on standard output.
try LoggingSystem.bootstrap(from: &env) { level in
    { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}

let configuration: HeraldConfiguration
do {
    configuration = try HeraldConfiguration(environment: ProcessInfo.processInfo.environment)
} catch {
    FileHandle.standardError.write(Data((error.description + "\n").utf8))
    exit(2)
}

let app = try await Application.make(env)
do {
    try await configure(app, configuration: configuration)
    // The Slack sandbox is linked here, not into HeraldServer: `serve --sandbox` mounts it.
    app.slackSandboxHost = BuiltInSlackSandbox()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: app.heraldMetricsRegistry))
    // `startup()` rather than `execute()`, which would log a refusal before it reaches us.
    try await app.startup()
    try await app.running?.onStop.get()
} catch let refusal as StartupRefusal {
    // One line that says why and what to do; status 2, like a bad configuration.
    FileHandle.standardError.write(Data((refusal.description + "\n").utf8))
    try? await app.asyncShutdown()
    exit(2)
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    exit(1)
}
try await app.asyncShutdown()
