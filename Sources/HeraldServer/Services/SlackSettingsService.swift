import Fluent
import Foundation
import HeraldCore
import HeraldSinks
import SlackAPI

/// Slack settings at each level and the test message (SPEC §3): the domain operations the API and
/// the coming settings pages share. Callers have checked the caller's permissions; every change
/// drops the routing cache, so the next event routes by the new settings.
struct SlackSettingsService: Sendable {
    let services: HeraldServices
    let db: any Database

    /// The level a change applies to.
    enum Level: Sendable {
        case org(UUID)
        case project(UUID)
    }

    /// The effective settings of a project (with `projectID`), or of the organization alone.
    func resolved(orgID: UUID, projectID: UUID?) async throws -> ResolvedSlackSettings {
        try await SlackSettingsStore.resolve(orgID: orgID, projectID: projectID, secrets: services.security.secrets, on: db)
    }

    /// Applies a validated update to the level's own row (created if it has none), in one
    /// transaction: nothing is half-saved. A new token is sealed before anything is written.
    func update(_ level: Level, _ update: SlackSettingsUpdate) async throws {
        let secrets = services.security.secrets
        let change = SlackSettingsPolicy.tokenChange(newToken: update.token, removeToken: update.removeToken)
        let sealed: SlackSettings.SealedToken? = switch change {
        case .set(let token): try SlackSettings.SealedToken(token, secrets: secrets)
        default: nil
        }
        defer { services.routing.cache.invalidateAll() }
        try await services.storage.writeGate.transaction(db) { db in
            let settings = try await Self.row(level, on: db)
            if let enabled = update.enabled { settings.enabled = enabled }
            if let channels = update.channels { settings.channels = channels }
            switch update.threadUpdates {
            case .keep: break
            case .clear: settings.threadUpdates = nil
            case .set(let on): settings.threadUpdates = on
            }
            switch change {
            case .keep: break
            case .remove, .set: settings.setToken(sealed)
            }
            try await settings.save(on: db)
        }
    }

    /// Removes the level's own settings (and token): a project inherits everything again, an
    /// organization is back to the defaults.
    func reset(_ level: Level) async throws {
        defer { services.routing.cache.invalidateAll() }
        try await services.storage.writeGate.transaction(db) { db in
            switch level {
            case .org(let id): try await SlackSettingsStore.orgRow(id, on: db)?.delete(on: db)
            case .project(let id): try await SlackSettingsStore.projectRow(id, on: db)?.delete(on: db)
            }
        }
    }

    /// A service's own channel (incidents go there instead of the project's channels) and its
    /// watched channel (messages there open incidents, SPEC §6); null or blank removes one. Each is a
    /// channel id or a name from the organization's Slack channel list; with the app installed it
    /// is stored as the channel's id. A watched channel must be an id, or a name Herald can look up.
    func setChannels(of service: Service, orgID: UUID, channel: FieldChange<String>, watchChannel: FieldChange<String>) async throws {
        let installations = SlackInstallationService(services: services, db: db)
        let install = try await installations.liveInstallation(orgID: orgID)
        var errors: [FieldError] = []
        /// The change's new value (nil: none), or `current`; a refusal is collected under `field`.
        func resolve(_ change: FieldChange<String>, current: String?, field: String,
                     unresolved: (String) throws -> String) async throws -> String? {
            guard case .set(let raw) = change else { return change.isClear ? nil : current }
            let trimmed = raw.trimmingCharacters(in: SlackChannels.surroundingSpace)
            guard !trimmed.isEmpty else { return nil }
            do {
                if let install { return try await installations.choose(trimmed, in: install, field: field).id }
                return try unresolved(trimmed)
            } catch DomainError.invalid(let fields, _) {
                errors += fields
            } catch let error as FieldError {
                errors.append(error)
            }
            return current
        }
        let newChannel = try await resolve(channel, current: service.slackChannel, field: "channel") {
            try SlackChannels.normalize($0, field: "channel")
        }
        let newWatch = try await resolve(watchChannel, current: service.watchChannel, field: "watchChannel") { trimmed in
            guard SlackChannels.isID(trimmed) else {
                throw FieldError(field: "watchChannel", detail: "install the Slack app to watch a channel by name, or give the channel's id (C…)")
            }
            return trimmed
        }
        try DomainError.throwIfInvalid(errors)
        service.slackChannel = newChannel
        service.watchChannel = newWatch
        defer { services.routing.cache.invalidate(service.$project.id) }
        try await services.storage.writeGate.transaction(db) { db in try await service.save(on: db) }
    }

    /// One channel's answer to a test message: Slack's own error code when it failed.
    struct TestOutcome: Sendable {
        var channel: String
        var ok: Bool
        var error: String?
        var ts: String?
    }

    /// Test messages in flight at once.
    static let testConcurrency = 8

    /// Sends a test message to every effective channel, a few at a time, with one deadline for
    /// all: a Slack that hangs costs the caller at most that long, and a channel still waiting
    /// then reports `timeout`. Incomplete settings (and, with `requireEnabled`, disabled ones) are
    /// refused with `422` naming what is missing.
    func sendTest(_ resolved: ResolvedSlackSettings, requireEnabled: Bool, scope: String, sender: String) async throws -> [TestOutcome] {
        let effective = resolved.effective
        if !effective.isComplete {
            let errors = effective.missing.map { field in
                FieldError(field: field, detail: field == "token" ? "no bot token is configured at any level" : "no channel is configured at any level")
            }
            throw DomainError.invalid(errors, summary: "Slack settings are incomplete: missing \(effective.missing.joined(separator: " and "))")
        }
        if requireEnabled, !effective.enabled {
            let origin = switch effective.enabledFrom {
            case .project: "by this project's settings"
            case .org: "by the organization's settings"
            default: "by default"
            }
            let detail = "Slack is disabled for this project (\(origin)); enable it to send messages"
            throw DomainError.invalid([FieldError(field: "enabled", detail: detail)], summary: detail)
        }
        guard let token = resolved.token else { throw DomainError.internalFailure("the configured token could not be read") }
        let message = SlackRenderer.testMessage(scope: scope, sender: sender, at: services.now())
        let channels = effective.channels
        let slack = services.slack.client
        return await BoundedFanOut.run(count: channels.count, concurrency: Self.testConcurrency, deadline: services.slack.testDeadline) { index in
            var m = message
            m.channel = channels[index]
            do throws(SlackError) {
                let posted = try await slack.postMessage(token: token, m)
                return TestOutcome(channel: channels[index], ok: true, error: nil, ts: posted.ts)
            } catch {
                return TestOutcome(channel: channels[index], ok: false, error: error.code, ts: nil)
            }
        } timedOut: { index in
            TestOutcome(channel: channels[index], ok: false, error: SlackError.timeout(method: "chat.postMessage").code, ts: nil)
        }
    }

    private static func row(_ level: Level, on db: any Database) async throws -> SlackSettings {
        switch level {
        case .org(let id): try await SlackSettingsStore.orgRow(id, on: db) ?? SlackSettings(organizationID: id)
        case .project(let id): try await SlackSettingsStore.projectRow(id, on: db) ?? SlackSettings(projectID: id)
        }
    }
}
