import Fluent
import Foundation
import HeraldCore
import HeraldSinks
import SlackAPI
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
        let update = try await SlackSettingsUpdate.read(req)
        try await save(req, update, level: .org) {
            try await SlackSettingsStore.orgRow(orgID, on: $0) ?? SlackSettings(organizationID: orgID)
        }
        req.logger.info("slack settings updated", metadata: ["org": "\(orgID.apiString)", "level": "org"])
        return try await dto(req, orgID: orgID, projectID: nil)
    }

    /// Removes the organization's own settings (and token): back to the defaults.
    func resetOrg(req: Request) async throws -> SlackSettingsDTO {
        let (org, _) = try await req.organization(.manageOrg)
        let orgID = try org.requireID()
        try await req.write { db in try await SlackSettingsStore.orgRow(orgID, on: db)?.delete(on: db) }
        req.herald.routing.cache.invalidateAll()
        return try await dto(req, orgID: orgID, projectID: nil)
    }

    func testOrg(req: Request) async throws -> TestResults {
        let (org, _) = try await req.organization(.manageOrg)
        let resolved = try await SlackSettingsStore.resolve(orgID: org.requireID(), projectID: nil, secrets: req.herald.security.secrets, on: req.db)
        return try await sendTest(req, resolved, requireEnabled: false, scope: org.name)
    }

    // MARK: Project

    func showProject(req: Request) async throws -> SlackSettingsDTO {
        let (project, _) = try await req.project(.readProject)
        return try await dto(req, orgID: project.$organization.id, projectID: project.requireID())
    }

    func updateProject(req: Request) async throws -> SlackSettingsDTO {
        let (project, _) = try await req.project(.manageProject)
        let projectID = try project.requireID()
        let update = try await SlackSettingsUpdate.read(req)
        try await save(req, update, level: .project) {
            try await SlackSettingsStore.projectRow(projectID, on: $0) ?? SlackSettings(projectID: projectID)
        }
        req.logger.info("slack settings updated", metadata: ["project": "\(projectID.apiString)", "level": "project"])
        return try await dto(req, orgID: project.$organization.id, projectID: projectID)
    }

    /// Removes the project's own settings (and token): it inherits everything again. An action
    /// (`POST …/reset`), not a `DELETE`: the settings at `…/settings/slack` still exist afterwards,
    /// inherited.
    func resetProject(req: Request) async throws -> SlackSettingsDTO {
        let (project, _) = try await req.project(.manageProject)
        let projectID = try project.requireID()
        try await req.write { db in try await SlackSettingsStore.projectRow(projectID, on: db)?.delete(on: db) }
        req.herald.routing.cache.invalidateAll()
        return try await dto(req, orgID: project.$organization.id, projectID: projectID)
    }

    func testProject(req: Request) async throws -> TestResults {
        let (project, _) = try await req.project(.manageProject)
        let resolved = try await SlackSettingsStore.resolve(orgID: project.$organization.id, projectID: project.requireID(),
                                                            secrets: req.herald.security.secrets, on: req.db)
        return try await sendTest(req, resolved, requireEnabled: true, scope: project.name)
    }

    // MARK: Service

    struct ServiceSettingsDTO: Content {
        var channel: String?
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
            try c.encode(effective, forKey: .effective)
        }
    }

    struct ServiceSettingsUpdate: Decodable {
        var channel: String?
    }

    func showService(req: Request) async throws -> ServiceSettingsDTO {
        let (service, project, _) = try await req.service(.readProject)
        return try await serviceDTO(req, service, project)
    }

    func updateService(req: Request) async throws -> ServiceSettingsDTO {
        let (service, project, _) = try await req.service(.manageProject)
        let body = try await req.decodeJSON(ServiceSettingsUpdate.self)
        let raw = body.channel?.trimmingCharacters(in: SlackChannels.surroundingSpace) ?? ""
        service.slackChannel = raw.isEmpty ? nil : try SlackChannels.normalize(raw, field: "channel")
        try await req.write { db in try await service.save(on: db) }
        req.herald.routing.cache.invalidateAll()
        return try await serviceDTO(req, service, project)
    }

    private func serviceDTO(_ req: Request, _ service: Service, _ project: Project) async throws -> ServiceSettingsDTO {
        let resolved = try await SlackSettingsStore.resolve(orgID: project.$organization.id, projectID: project.requireID(),
                                                            secrets: req.herald.security.secrets, on: req.db)
        let (channels, from) = SlackSettingsPolicy.incidentChannels(resolved.effective, serviceChannel: service.slackChannel)
        return ServiceSettingsDTO(channel: service.slackChannel, effective: .init(channels: channels, from: from))
    }

    // MARK: Shared

    /// Validates everything first, then writes one row in one transaction: nothing is half-saved.
    private func save(_ req: Request, _ update: SlackSettingsUpdate, level: SettingsLevel,
                      row: @escaping @Sendable (any Database) async throws -> SlackSettings) async throws {
        let secrets = req.herald.security.secrets
        let change = SlackSettingsPolicy.tokenChange(newToken: update.token, removeToken: update.removeToken)
        let sealed: (String, String)? = switch change {
        case .set(let token): (try secrets.seal(token, context: SlackSettings.tokenContext), secrets.fingerprint(token))
        default: nil
        }
        defer { req.herald.routing.cache.invalidateAll() }
        try await req.herald.storage.writeGate.transaction(req.db) { db in
            let settings = try await row(db)
            if let enabled = update.enabled { settings.enabled = enabled }
            if let channels = update.channels { settings.channels = channels }
            switch change {
            case .keep: break
            case .remove:
                settings.tokenSealed = nil
                settings.tokenFingerprint = nil
            case .set:
                settings.tokenSealed = sealed?.0
                settings.tokenFingerprint = sealed?.1
            }
            try await settings.save(on: db)
        }
    }

    private func dto(_ req: Request, orgID: UUID, projectID: UUID?) async throws -> SlackSettingsDTO {
        let resolved = try await SlackSettingsStore.resolve(orgID: orgID, projectID: projectID, secrets: req.herald.security.secrets, on: req.db)
        let own = projectID == nil ? resolved.org : resolved.project
        return SlackSettingsDTO(
            hasSettings: own != nil,
            enabled: own?.enabled ?? false,
            channels: own?.channels ?? [],
            tokenConfigured: own?.tokenSealed != nil,
            tokenFingerprint: own?.tokenFingerprint,
            effective: .init(
                enabled: resolved.effective.enabled,
                channels: resolved.effective.channels,
                tokenConfigured: resolved.effective.tokenConfigured,
                tokenFingerprint: resolved.tokenFingerprint,
                complete: resolved.effective.isComplete,
                missing: resolved.effective.missing,
                from: .init(enabled: resolved.effective.enabledFrom, token: resolved.effective.tokenFrom,
                            channels: resolved.effective.channelsFrom)
            )
        )
    }

    /// Test messages in flight at once.
    static let testConcurrency = 8

    struct TestResults: Content {
        var results: [ChannelResult]
    }

    struct ChannelResult: Content {
        var channel: String
        var ok: Bool
        var error: String?
        var ts: String?
    }

    /// Sends a test message to every effective channel and reports each channel's outcome with
    /// Slack's error code. Incomplete settings are `422` naming what is missing.
    private func sendTest(_ req: Request, _ resolved: ResolvedSlackSettings, requireEnabled: Bool, scope: String) async throws -> TestResults {
        let effective = resolved.effective
        if !effective.isComplete {
            let errors = effective.missing.map { field in
                FieldError(field: field, detail: field == "token" ? "no bot token is configured at any level" : "no channel is configured at any level")
            }
            throw Problem(.unprocessableEntity,
                          "Slack settings are incomplete: missing \(effective.missing.joined(separator: " and "))",
                          field: errors.first?.field, errors: errors)
        }
        if requireEnabled, !effective.enabled {
            let origin = switch effective.enabledFrom {
            case .project: "by this project's settings"
            case .org: "by the organization's settings"
            default: "by default"
            }
            throw Problem(.unprocessableEntity, "Slack is disabled for this project (\(origin)); enable it to send messages", field: "enabled")
        }
        guard let token = resolved.token else { throw Problem(.internalServerError, "the configured token could not be read") }
        let message = SlackRenderer.testMessage(scope: scope, sender: try req.caller.user.email, at: req.herald.now())
        // Every channel at once (a few at a time), with one deadline for all: a Slack that hangs
        // costs the caller at most that long, and a channel still waiting then reports `timeout`.
        let channels = effective.channels
        let slack = req.herald.slack.client
        let results = await BoundedFanOut.run(count: channels.count, concurrency: Self.testConcurrency,
                                              deadline: req.herald.slack.testDeadline) { index in
            var m = message
            m.channel = channels[index]
            do throws(SlackError) {
                let posted = try await slack.postMessage(token: token, m)
                return ChannelResult(channel: channels[index], ok: true, error: nil, ts: posted.ts)
            } catch {
                return ChannelResult(channel: channels[index], ok: false, error: error.code, ts: nil)
            }
        } timedOut: { index in
            ChannelResult(channel: channels[index], ok: false, error: SlackError.timeout(method: "chat.postMessage").code, ts: nil)
        }
        let failed = results.filter { !$0.ok }.count
        req.logger.info("slack test message sent", metadata: ["channels": "\(results.count)", "failed": "\(failed)",
                                                               "token": "\(resolved.tokenFingerprint ?? "-")"])
        return TestResults(results: results)
    }
}

/// `PUT …/settings/slack`: absent fields stay as they are.
struct SlackSettingsUpdate: Decodable, Sendable {
    var enabled: Bool?
    var token: String?
    var removeToken: Bool?
    /// As written, before ``read(_:)`` checks it.
    var channelsInput: ChannelsInput?
    /// The channels, normalised, after ``read(_:)``.
    var channels: [String]?

    enum ChannelsInput: Sendable {
        case text(String)
        case list([String])
    }

    enum CodingKeys: String, CodingKey {
        case enabled, token, removeToken, channels
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled)
        removeToken = try c.decodeIfPresent(Bool.self, forKey: .removeToken)
        token = try c.decodeIfPresent(String.self, forKey: .token)
        // channels: one string separated by spaces, or an array of strings.
        if c.contains(.channels), try !c.decodeNil(forKey: .channels) {
            if let text = try? c.decode(String.self, forKey: .channels) {
                channelsInput = .text(text)
            } else if let list = try? c.decode([String].self, forKey: .channels) {
                channelsInput = .list(list)
            } else {
                throw FieldError(field: "channels", detail: "must be a string of channel names or ids separated by spaces, or an array of strings")
            }
        }
    }

    /// Reads and validates the body; every bad field is reported at once.
    static func read(_ req: Request) async throws -> SlackSettingsUpdate {
        var update = try await req.decodeJSON(SlackSettingsUpdate.self)
        var errors: [FieldError] = []
        if let raw = update.token {
            do {
                let token = try SecretInput.token(raw)
                update.token = token.isEmpty ? nil : token
            } catch { errors.append(error) }
        }
        switch update.channelsInput {
        case .text(let text): do { update.channels = try SlackChannels.parse(text: text) } catch { errors.append(error) }
        case .list(let list): do { update.channels = try SlackChannels.parse(list: list) } catch { errors.append(error) }
        case nil: break
        }
        try Problem.throwIfInvalid(errors)
        return update
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
    var effective: Effective

    struct Effective: Content {
        var enabled: Bool
        var channels: [String]
        var tokenConfigured: Bool
        var tokenFingerprint: String?
        var complete: Bool
        var missing: [String]
        var from: From
    }

    /// Levels are always present, `null` when nobody set the field.
    struct From: Content {
        var enabled: SettingsLevel?
        var token: SettingsLevel?
        var channels: SettingsLevel?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(enabled, forKey: .enabled)
            try c.encode(token, forKey: .token)
            try c.encode(channels, forKey: .channels)
        }
    }
}
