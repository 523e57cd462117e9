import Outbound
import Fluent
import Foundation
import HeraldCore
import SlackAPI
import Vapor

/// `herald serve --sandbox`: mounts the built-in Slack workspace at `/sandbox`, points Herald's
/// Slack client at it, and seeds a demo so a new user sees messages arrive without Slack.
enum SandboxMode {
    /// Mounts the sandbox `host` provides. With `apiBaseURL`, Herald reaches it over HTTP like real
    /// Slack; without, through an in-process transport (tests).
    ///
    /// Sandbox mode sets up the Slack app itself: a signing secret, client credentials and the
    /// authorize page (the sandbox's) unless the environment names them, and connects the
    /// workspace to Herald's `/slack/…` endpoints (over HTTP at `apiBaseURL`'s host, or in process).
    @discardableResult
    static func enable(_ app: Application, host: any SlackSandboxHost, apiBaseURL: URL?) async throws -> any SlackSandboxInstance {
        var services = app.herald
        let secrets = services.security.secrets
        if services.configuration.slackSigningSecret == nil {
            services.configuration.slackSigningSecret = "sandbox-" + secrets.derive("sandbox signing secret")
        }
        if services.configuration.slackClientID == nil || services.configuration.slackClientSecret == nil {
            services.configuration.slackClientID = "0000000000.0000000000"
            services.configuration.slackClientSecret = "sandbox-" + secrets.derive("sandbox client secret")
        }
        let config = services.configuration
        let workspace = try host.mount(on: app, clientID: config.slackClientID!, clientSecret: config.slackClientSecret!, now: app.herald.now)
        services.slack.sandbox = workspace
        if let apiBaseURL {
            let shared = AsyncHTTPClientTransport(client: app.http.client.shared)
            services.useSlack(SlackClient(baseURL: apiBaseURL, transport: AsyncHTTPClientTransport(client: services.delivery.loop.client),
                                          now: services.now),
                              interactive: shared)
            let root = apiBaseURL.deletingLastPathComponent().deletingLastPathComponent()
            if !ProcessInfo.processInfo.environment.keys.contains("HERALD_SLACK_OAUTH_URL") {
                services.configuration.slackOAuthURL = root.appendingPathComponent("sandbox/oauth/v2/authorize")
            }
            await workspace.connect(herald: root, transport: shared, signingSecret: config.slackSigningSecret!)
        } else {
            services.useSlack(SlackClient(baseURL: URL(string: "http://sandbox.local/sandbox/api")!,
                                          transport: workspace.inProcessTransport, now: services.now),
                              webhooks: workspace.inProcessTransport)
            await workspace.connect(herald: URL(string: "http://sandbox.local")!, transport: ApplicationTransport(app: app),
                                    signingSecret: config.slackSigningSecret!)
        }
        app.herald = services
        return workspace
    }

    /// What the demo seed made, for the startup banner.
    struct Demo: Sendable {
        var orgID: String
        var projectID: String
        var email: String
        var apiToken: String
        var eventKey: String
    }

    static let demoEmail = "demo@herald.local"
    static let demoCredentialName = "sandbox demo"

    /// Seeds (or refreshes) the demo: organization "Demo" with the Slack app installed in the
    /// sandbox workspace (its bot token, `#alerts` as the default channel), Alice (responder) and
    /// Bob (stakeholder) beside the demo owner, project "Demo project" with Slack enabled and a
    /// service "Checkout" watching `#incidents`, a fresh API token and a fresh event key (earlier
    /// demo credentials are revoked: they were printed, never stored).
    static func seedDemo(_ app: Application, workspace: any SlackSandboxInstance) async throws -> Demo {
        let secrets = app.herald.security.secrets
        let factory = app.herald.security.credentials
        // Stable across restarts, so the stored settings keep working; derived, never stored in clear.
        let botToken = "xoxb-sandbox-" + secrets.derive("sandbox bot token")
        await workspace.register(botToken: botToken)
        // Asked in process: the server is not listening yet.
        let local = SlackClient(baseURL: URL(string: "http://sandbox.local/sandbox/api")!, transport: workspace.inProcessTransport)
        let identity = try await local.authTest(token: botToken)
        let incidentsChannel = try await local.conversationsList(token: botToken).first { $0.name == "incidents" }?.id
        let now = app.herald.now()
        let sealedBot = try SlackSettings.SealedToken(botToken, secrets: secrets)
        return try await app.herald.storage.writeGate.transaction(app.db) { db in
            let (user, _) = try await Directory.user(email: demoEmail, name: "Demo Operator", on: db)
            let userID = try user.requireID()
            // The demo user's own "Demo" organization (other tenants may have one of that name too).
            var org: Organization! = try await Membership.query(on: db).filter(\.$user.$id == userID)
                .filter(\.$role == OrgRole.owner.rawValue).with(\.$organization).all()
                .first { $0.organization.nameKey == "demo" }?.organization
            if org == nil {
                org = Organization(name: "Demo")
                try await org.create(on: db)
            }
            let orgID = try org.requireID()
            if try await Directory.membership(orgID: orgID, userID: userID, on: db) == nil {
                try await Membership(organizationID: orgID, userID: userID, role: .owner).create(on: db)
            }
            for (email, name, role) in [("alice@example.com", "Alice Example", OrgRole.responder), ("bob@example.com", "Bob Example", .stakeholder)] {
                let (person, _) = try await Directory.user(email: email, name: name, on: db)
                if try await Directory.membership(orgID: orgID, userID: try person.requireID(), on: db) == nil {
                    try await Membership(organizationID: orgID, userID: try person.requireID(), role: role).create(on: db)
                }
            }
            // The Slack app, installed in the sandbox workspace: its bot token is the organization's.
            if try await SlackInstallation.query(on: db).filter(\.$organization.$id == orgID).filter(\.$revokedAt == nil).first() == nil {
                try await SlackInstallation.query(on: db).filter(\.$organization.$id == orgID).delete()
                try await SlackInstallation.query(on: db).filter(\.$teamID == identity.teamID).filter(\.$revokedAt == nil).delete()
                try await SlackInstallation(organizationID: orgID, teamID: identity.teamID, teamName: identity.team, botUserID: identity.userID,
                                            appID: "A0HERALD", scopes: SlackInstallationService.botScopes.joined(separator: ","),
                                            installedBy: userID, installedAt: now).create(on: db)
            }
            let orgSettings = try await SlackSettingsStore.orgRow(orgID, on: db) ?? SlackSettings(organizationID: orgID)
            orgSettings.enabled = true
            if orgSettings.channels.isEmpty { orgSettings.channels = ["#alerts"] }
            orgSettings.setToken(sealedBot)
            try await orgSettings.save(on: db)
            var project: Project! = try await Project.query(on: db).filter(\.$organization.$id == orgID)
                .filter(\.$nameKey == "demo project").first()
            if project == nil {
                project = Project(organizationID: orgID, name: "Demo project")
                try await project.create(on: db)
            }
            let projectID = try project.requireID()
            if try await Service.query(on: db).filter(\.$project.$id == projectID).filter(\.$nameKey == "checkout").first() == nil {
                let checkout = Service(projectID: projectID, name: "Checkout")
                checkout.watchChannel = incidentsChannel
                try await checkout.create(on: db)
            }
            if try await SlackSettingsStore.projectRow(projectID, on: db) == nil {
                let settings = SlackSettings(projectID: projectID)
                settings.enabled = true
                settings.channels = ["#alerts"]
                settings.setToken(sealedBot)
                try await settings.create(on: db)
            }
            try await APIToken.query(on: db).filter(\.$user.$id == userID).filter(\.$name == demoCredentialName)
                .filter(\.$revokedAt == nil).set(\.$revokedAt, to: now).update()
            let (_, apiToken) = try await APIToken.issue(for: userID, name: demoCredentialName, factory: factory, on: db)
            try await EventKey.query(on: db).filter(\.$project.$id == projectID).filter(\.$name == demoCredentialName)
                .filter(\.$revokedAt == nil).set(\.$revokedAt, to: now).update()
            let eventKey = factory.make(.eventKey)
            try await EventKey(projectID: projectID, name: demoCredentialName, keyHash: CredentialFactory.hash(eventKey),
                               displayPrefix: CredentialFactory.displayPrefix(eventKey), createdBy: userID).create(on: db)
            return Demo(orgID: orgID.apiString, projectID: projectID.apiString, email: demoEmail, apiToken: apiToken, eventKey: eventKey)
        }
    }

    /// The startup banner: where to look and a `curl` line that sends a test message.
    static func banner(_ demo: Demo, baseURL: String) -> String {
        """

        Herald is running with the Slack sandbox.
          Slack sandbox (watch messages arrive):  \(baseURL)/sandbox
          Demo organization "Demo" (Slack app installed), project "Demo project", Slack enabled on #alerts
          Demo user:   \(demo.email)  (owner); alice@example.com (responder), bob@example.com (stakeholder)
          In the sandbox: click Acknowledge as Alice, type /create_incident, or post in #incidents (watched by Checkout)
          API token:   \(demo.apiToken)
          Event key:   \(demo.eventKey)

        Send a test message to #alerts:
          curl -s -X POST -H 'Authorization: Bearer \(demo.apiToken)' \(baseURL)/api/v1/projects/\(demo.projectID)/settings/slack/test

        """
    }
}
