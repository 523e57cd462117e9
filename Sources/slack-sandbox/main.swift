import Foundation
import Logging
import NIOCore
import NIOPosix
import SlackSandbox
import Vapor

// The built-in Slack workspace alone, in a process of its own: for end-to-end tests whose Slack
// must outlive the Herald process under test (a crash test kills Herald, not Slack). Serves the
// same routes as `herald serve --sandbox` under /sandbox, on loopback:
//   slack-sandbox serve --port P
// Never expose it beyond the machine: it accepts any control request.
// Swift concurrency on NIO's event loops, as in `herald` (first, before any task starts): the
// emulator, which benchmarks share between the systems they compare, then costs less CPU per call.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
var env = try Environment.detect()
try LoggingSystem.bootstrap(from: &env)
let app = try await Application.make(env)
app.http.server.configuration.hostname = "127.0.0.1"
do {
    try app.register(collection: SandboxRoutes(workspace: SandboxWorkspace()))
    try await app.execute()
} catch {
    try? await app.asyncShutdown()
    exit(1)
}
try await app.asyncShutdown()
