import Vapor

/// `herald serve [--hostname H] [--port P]`: migrates, then serves the API and pages.
struct HeraldServeCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "hostname", short: "H", help: "Address to listen on (default 127.0.0.1, or HERALD_HOSTNAME).")
        var hostname: String?

        @Option(name: "port", short: "p", help: "Port to listen on (default 8080, or HERALD_PORT).")
        var port: Int?

        @Flag(name: "sandbox", help: "Also serve a built-in Slack workspace at /sandbox, point Herald at it, and seed a demo.")
        var sandbox: Bool

        init() {}
    }

    var help: String { "Migrates the database, then serves Herald's API and pages." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        if let hostname = signature.hostname { app.http.server.configuration.hostname = hostname }
        if let port = signature.port { app.http.server.configuration.port = port }
        try app.holdSQLiteProcessLock()
        try await DatabaseSetup.prepare(app)
        // Links follow the address served unless HERALD_PUBLIC_URL says otherwise.
        let served = app.http.server.configuration
        let base = HeraldConfiguration.localURL(hostname: served.hostname, port: served.port, https: app.herald.configuration.tls != nil)
        if !app.herald.configuration.publicURLIsExplicit, let url = URL(string: base) {
            app.herald.links = HeraldLinks(base: url)
        }
        var demo: SandboxMode.Demo?
        if signature.sandbox {
            guard let host = app.slackSandboxHost else { throw StartupRefusal("herald: this build has no Slack sandbox") }
            guard let api = URL(string: base + "/sandbox/api") else { throw StartupRefusal("herald: cannot serve the sandbox at \(base)") }
            let workspace = try await SandboxMode.enable(app, host: host, apiBaseURL: api)
            demo = try await SandboxMode.seedDemo(app, workspace: workspace)
        }
        // Vapor's own serve command starts the server and handles SIGINT/SIGTERM; our options are
        // already consumed, so it parses an empty input and uses the configuration set above.
        var context = context
        try await app.servers.asyncCommand.run(using: &context)
        app.startDeliveryWorker(concurrency: app.herald.configuration.deliveryConcurrency)
        // Registered last, so it runs first at shutdown: stop taking requests before the workers
        // and the database go away.
        app.lifecycle.use(StopHTTPFirst())
        if let demo { context.console.output(SandboxMode.banner(demo, baseURL: base), style: .plain, newLine: true) }
    }
}

/// Shuts the HTTP server down before anything else, so no request runs against a closed database.
struct StopHTTPFirst: LifecycleHandler {
    func shutdownAsync(_ application: Application) async {
        await application.server.shutdown()
    }
}
