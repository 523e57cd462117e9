import Fluent
import Foundation
import HeraldCore
import Vapor

/// Slack settings per organization, project and service (SPEC §3, §8), and the test message.
struct SlackSettingsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("orgs", ":org", "settings", "slack", use: showOrg)
        routes.put("orgs", ":org", "settings", "slack", use: updateOrg)
        routes.post("orgs", ":org", "settings", "slack", "reset", use: resetOrg)
        routes.post("orgs", ":org", "settings", "slack", "test", use: testOrg)
        routes.get("projects", ":p", "settings", "slack", use: showProject)
        routes.put("projects", ":p", "settings", "slack", use: updateProject)
        routes.post("projects", ":p", "settings", "slack", "reset", use: resetProject)
        routes.post("projects", ":p", "settings", "slack", "test", use: testProject)
        routes.get("services", ":s", "settings", "slack", use: showService)
        routes.put("services", ":s", "settings", "slack", use: updateService)
    }

    // MARK: Organization

    func showOrg(req: Request) async throws -> SlackSettingsDTO {
        let (org, _) = try await req.organization(.readOrg)
        return try await dto(req, orgID: org.requireID(), projectID: nil)
    }

    func updateOrg(req: Request) async throws -> SlackSettingsDTO {
        let (org, _) = try await req.organization(.manageOrg)
        let orgID = try org.requireID()
        try await settings(req).update(.org(orgID), try SlackSettingsUpdate.validated(try await req.decodeJSON(SlackSettingsUpdate.self)))
        req.logger.info("slack settings updated", metadata: ["org": "\(orgID.apiString)", "level": "org"])
        return try await dto(req, orgID: orgID, projectID: nil)
    }

    /// Removes the organization's own settings (and token): back to the defaults.
    func resetOrg(req: Request) async throws -> SlackSettingsDTO {
        let (org, _) = try await req.organization(.manageOrg)
        let orgID = try org.requireID()
        try await settings(req).reset(.org(orgID))
        return try await dto(req, orgID: orgID, projectID: nil)
    }

    func testOrg(req: Request) async throws -> TestResults {
        let (org, _) = try await req.organization(.manageOrg)
        return try await sendTest(req, orgID: org.requireID(), projectID: nil, requireEnabled: false, scope: org.name)
    }

    // MARK: Project

    func showProject(req: Request) async throws -> SlackSettingsDTO {
        let (project, _) = try await req.project(.readProject)
        return try await dto(req, orgID: project.$organization.id, projectID: project.requireID())
    }

    func updateProject(req: Request) async throws -> SlackSettingsDTO {
        let (project, _) = try await req.project(.manageProject)
        let projectID = try project.requireID()
        try await settings(req).update(.project(projectID), try SlackSettingsUpdate.validated(try await req.decodeJSON(SlackSettingsUpdate.self)))
        req.logger.info("slack settings updated", metadata: ["project": "\(projectID.apiString)", "level": "project"])
        return try await dto(req, orgID: project.$organization.id, projectID: projectID)
    }

    /// Removes the project's own settings (and token): it inherits everything again. An action
    /// (`POST …/reset`), not a `DELETE`: the settings at `…/settings/slack` still exist afterwards,
    /// inherited.
    func resetProject(req: Request) async throws -> SlackSettingsDTO {
        let (project, _) = try await req.project(.manageProject)
        let projectID = try project.requireID()
        try await settings(req).reset(.project(projectID))
        return try await dto(req, orgID: project.$organization.id, projectID: projectID)
    }

    func testProject(req: Request) async throws -> TestResults {
        let (project, _) = try await req.project(.manageProject)
        return try await sendTest(req, orgID: project.$organization.id, projectID: project.requireID(), requireEnabled: true,
                                  scope: project.name)
    }

    // MARK: Service

    struct ServiceSettingsDTO: Content {
        var channel: String?
        /// The Slack channel whose messages open incidents on this service.
        var watchChannel: String?
        var effective: EffectiveChannels

        struct EffectiveChannels: Content {
            var channels: [String]
            var from: SettingsLevel?

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(channels, forKey: .channels)
                try c.encode(from, forKey: .from)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(channel, forKey: .channel)
            try c.encode(watchChannel, forKey: .watchChannel)
            try c.encode(effective, forKey: .effective)
        }
    }

    /// Absent fields stay as they are; `null` or `""` removes one.
    struct ServiceSettingsUpdate: Decodable {
        var channel: FieldChange<String>
        var watchChannel: FieldChange<String>

        enum CodingKeys: String, CodingKey { case channel, watchChannel }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            channel = try FieldChange(c, .channel)
            watchChannel = try FieldChange(c, .watchChannel)
        }
    }

    func showService(req: Request) async throws -> ServiceSettingsDTO {
        let (service, project, _) = try await req.service(.readProject)
        return try await serviceDTO(req, service, project)
    }

    func updateService(req: Request) async throws -> ServiceSettingsDTO {
        let (service, project, _) = try await req.service(.manageProject)
        let body = try await req.decodeJSON(ServiceSettingsUpdate.self)
        try await settings(req).setChannels(of: service, orgID: project.$organization.id, channel: body.channel, watchChannel: body.watchChannel)
        return try await serviceDTO(req, service, project)
    }

    private func serviceDTO(_ req: Request, _ service: Service, _ project: Project) async throws -> ServiceSettingsDTO {
        let resolved = try await settings(req).resolved(orgID: project.$organization.id, projectID: project.requireID())
        let (channels, from) = SlackSettingsPolicy.incidentChannels(resolved.effective, serviceChannel: service.slackChannel)
        return ServiceSettingsDTO(channel: service.slackChannel, watchChannel: service.watchChannel,
                                  effective: .init(channels: channels, from: from))
    }

    // MARK: Shared

    private func settings(_ req: Request) -> SlackSettingsService {
        SlackSettingsService(services: req.herald, db: req.db)
    }

    private func dto(_ req: Request, orgID: UUID, projectID: UUID?) async throws -> SlackSettingsDTO {
        let resolved = try await settings(req).resolved(orgID: orgID, projectID: projectID)
        let own = projectID == nil ? resolved.org : resolved.project
        return SlackSettingsDTO(
            hasSettings: own != nil,
            enabled: own?.enabled ?? false,
            channels: own?.channels ?? [],
            tokenConfigured: own?.tokenSealed != nil,
            tokenFingerprint: own?.tokenFingerprint,
            threadUpdates: own?.threadUpdates,
            effective: .init(
                enabled: resolved.effective.enabled,
                channels: resolved.effective.channels,
                tokenConfigured: resolved.effective.tokenConfigured,
                tokenFingerprint: resolved.tokenFingerprint,
                threadUpdates: resolved.effective.threadUpdates,
                complete: resolved.effective.isComplete,
                missing: resolved.effective.missing,
                from: .init(enabled: resolved.effective.enabledFrom, token: resolved.effective.tokenFrom,
                            channels: resolved.effective.channelsFrom, threadUpdates: resolved.effective.threadUpdatesFrom)
            )
        )
    }

    struct TestResults: Content {
        var results: [ChannelResult]
    }

    struct ChannelResult: Content {
        var channel: String
        var ok: Bool
        var error: String?
        var ts: String?
    }

    /// The test message, each channel's outcome with Slack's error code.
    private func sendTest(_ req: Request, orgID: UUID, projectID: UUID?, requireEnabled: Bool, scope: String) async throws -> TestResults {
        let service = settings(req)
        let resolved = try await service.resolved(orgID: orgID, projectID: projectID)
        let outcomes = try await service.sendTest(resolved, requireEnabled: requireEnabled, scope: scope, sender: try req.caller.user.email)
        let failed = outcomes.filter { !$0.ok }.count
        req.logger.info("slack test message sent", metadata: ["channels": "\(outcomes.count)", "failed": "\(failed)",
                                                               "token": "\(resolved.tokenFingerprint ?? "-")"])
        return TestResults(results: outcomes.map { ChannelResult(channel: $0.channel, ok: $0.ok, error: $0.error, ts: $0.ts) })
    }
}

/// `GET …/settings/slack`: this level's own values, and the effective ones with their levels.
struct SlackSettingsDTO: Content {
    /// Whether this level has settings at all (a project with settings uses its own `enabled`).
    var hasSettings: Bool
    var enabled: Bool
    var channels: [String]
    var tokenConfigured: Bool
    var tokenFingerprint: String?
    /// This level's own value; null inherits.
    var threadUpdates: Bool?
    var effective: Effective

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hasSettings, forKey: .hasSettings)
        try c.encode(enabled, forKey: .enabled)
        try c.encode(channels, forKey: .channels)
        try c.encode(tokenConfigured, forKey: .tokenConfigured)
        try c.encodeIfPresent(tokenFingerprint, forKey: .tokenFingerprint)
        try c.encode(threadUpdates, forKey: .threadUpdates)
        try c.encode(effective, forKey: .effective)
    }

    struct Effective: Content {
        var enabled: Bool
        var channels: [String]
        var tokenConfigured: Bool
        var tokenFingerprint: String?
        var threadUpdates: Bool
        var complete: Bool
        var missing: [String]
        var from: From
    }

    /// Levels are always present, `null` when nobody set the field.
    struct From: Content {
        var enabled: SettingsLevel?
        var token: SettingsLevel?
        var channels: SettingsLevel?
        var threadUpdates: SettingsLevel?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(enabled, forKey: .enabled)
            try c.encode(token, forKey: .token)
            try c.encode(channels, forKey: .channels)
            try c.encode(threadUpdates, forKey: .threadUpdates)
        }
    }
}
