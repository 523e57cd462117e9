import Foundation
import HeraldServer
import Logging
import Metrics
import Prometheus
import Vapor

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
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: app.heraldMetricsRegistry))
    try await app.execute()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    exit(1)
}
try await app.asyncShutdown()
