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
    @discardableResult
    static func enable(_ app: Application, host: any SlackSandboxHost, apiBaseURL: URL?) throws -> any SlackSandboxInstance {
        let config = app.herald.configuration
        let workspace = try host.mount(on: app, clientID: config.slackClientID ?? "0000000000.0000000000",
                                       clientSecret: config.slackClientSecret ?? "sandbox-client-secret", now: app.herald.now)
        var services = app.herald
        services.slack.sandbox = workspace
        if let apiBaseURL {
            services.useSlack(SlackClient(baseURL: apiBaseURL, transport: AsyncHTTPClientTransport(client: services.delivery.loop.client),
                                          now: services.now))
        } else {
            services.useSlack(SlackClient(baseURL: URL(string: "http://sandbox.local/sandbox/api")!,
                                          transport: workspace.inProcessTransport, now: services.now),
                              webhooks: workspace.inProcessTransport)
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

    /// Seeds (or refreshes) the demo: organization "Demo", project "Demo project" with Slack
    /// enabled on the sandbox bot token and `#alerts`, the demo owner with a fresh API token and a
    /// fresh event key (earlier demo credentials are revoked: they were printed, never stored).
    static func seedDemo(_ app: Application, workspace: any SlackSandboxInstance) async throws -> Demo {
        let secrets = app.herald.security.secrets
        let factory = app.herald.security.credentials
        // Stable across restarts, so the stored settings keep working; derived, never stored in clear.
        let botToken = "xoxb-sandbox-" + secrets.derive("sandbox bot token")
        await workspace.register(botToken: botToken)
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
            var project: Project! = try await Project.query(on: db).filter(\.$organization.$id == orgID)
                .filter(\.$nameKey == "demo project").first()
            if project == nil {
                project = Project(organizationID: orgID, name: "Demo project")
                try await project.create(on: db)
            }
            let projectID = try project.requireID()
            if try await SlackSettingsStore.projectRow(projectID, on: db) == nil {
                let settings = SlackSettings(projectID: projectID)
                settings.enabled = true
                settings.channels = ["#alerts"]
                settings.tokenSealed = try secrets.seal(botToken, context: SlackSettings.tokenContext)
                settings.tokenFingerprint = secrets.fingerprint(botToken)
                try await settings.create(on: db)
            }
            let now = app.herald.now()
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
          Demo organization "Demo", project "Demo project", Slack enabled on #alerts
          Demo user:   \(demo.email)  (owner)
          API token:   \(demo.apiToken)
          Event key:   \(demo.eventKey)

        Send a test message to #alerts:
          curl -s -X POST -H 'Authorization: Bearer \(demo.apiToken)' \(baseURL)/api/v1/projects/\(demo.projectID)/settings/slack/test

        """
    }
}
