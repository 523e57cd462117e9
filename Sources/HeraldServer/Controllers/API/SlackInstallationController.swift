import Fluent
import Foundation
import HeraldCore
import Vapor

/// An organization's Slack app installation and its channel picker (SPEC §8):
/// `GET`/`PUT`/`DELETE /orgs/{org}/slack/installation`, `GET /orgs/{org}/slack/channels[?refresh=true]`.
struct SlackInstallationController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("orgs", ":org", "slack", "installation", use: show)
        routes.put("orgs", ":org", "slack", "installation", use: update)
        routes.delete("orgs", ":org", "slack", "installation", use: revoke)
        routes.get("orgs", ":org", "slack", "channels", use: channels)
    }

    /// The install state; no secret, ever.
    struct InstallationDTO: Content {
        var installed: Bool
        var teamID: String?
        var teamName: String?
        var botUserID: String?
        var scopes: [String]
        var installedAt: Date?
        /// Set when Slack said the app was uninstalled or its token revoked (`app_uninstalled`, `tokens_revoked`).
        var revokedAt: Date?
        var revokedReason: String?
        /// The organization's channels: the default ("global") channel is the first.
        var defaultChannel: String?
        /// Messages carry Acknowledge / Resolve / Reassign (installed, and Herald has a signing secret).
        var interactive: Bool
        /// Where an org admin installs the app (`GET` it with an API token to be redirected).
        var installURL: String

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(installed, forKey: .installed)
            try c.encode(teamID, forKey: .teamID)
            try c.encode(teamName, forKey: .teamName)
            try c.encode(botUserID, forKey: .botUserID)
            try c.encode(scopes, forKey: .scopes)
            try c.encode(installedAt, forKey: .installedAt)
            try c.encode(revokedAt, forKey: .revokedAt)
            try c.encode(revokedReason, forKey: .revokedReason)
            try c.encode(defaultChannel, forKey: .defaultChannel)
            try c.encode(interactive, forKey: .interactive)
            try c.encode(installURL, forKey: .installURL)
        }
    }

    struct InstallationUpdate: Decodable {
        var defaultChannel: String?
    }

    func show(req: Request) async throws -> InstallationDTO {
        let (org, _) = try await req.organization(.readOrg)
        return try await dto(req, orgID: try org.requireID())
    }

    func update(req: Request) async throws -> InstallationDTO {
        let (org, _) = try await req.organization(.manageOrg)
        let body = try await req.decodeJSON(InstallationUpdate.self)
        guard let raw = body.defaultChannel else { throw DomainError.invalid(FieldError(field: "defaultChannel", detail: "is required")) }
        let orgID = try org.requireID()
        let chosen = try await service(req).setDefaultChannel(orgID: orgID, to: raw)
        req.logger.info("slack default channel set", metadata: ["org": "\(orgID.apiString)", "channel": "\(chosen.id)"])
        return try await dto(req, orgID: orgID)
    }

    func revoke(req: Request) async throws -> HTTPStatus {
        let (org, _) = try await req.organization(.manageOrg)
        let orgID = try org.requireID()
        try await service(req).revoke(orgID: orgID)
        req.logger.notice("Slack app revoked", metadata: ["org": "\(orgID.apiString)"])
        return .noContent
    }

    /// Members read the cached list; reading it from Slack again (every page, waiting out 429s,
    /// spending the workspace's rate limit) is for those who manage the organization.
    func channels(req: Request) async throws -> [SlackChannelChoice] {
        let (org, standing) = try await req.organization(.readOrg)
        var refresh = false
        if let raw = req.query[String.self, at: "refresh"] {
            guard let value = ["true": true, "false": false, "1": true, "0": false][raw.lowercased()] else {
                throw DomainError.invalid(FieldError(field: "refresh", detail: "must be true or false"))
            }
            refresh = value
        }
        if refresh { try req.enforce(.manageOrg, standing, notFound: "Organization") }
        return try await service(req).channels(orgID: try org.requireID(), refresh: refresh)
    }

    private func service(_ req: Request) -> SlackInstallationService {
        SlackInstallationService(services: req.herald, db: req.db)
    }

    private func dto(_ req: Request, orgID: UUID) async throws -> InstallationDTO {
        let install = try await service(req).installation(orgID: orgID)
        let channels = try await SlackSettingsStore.orgRow(orgID, on: req.db)?.channels ?? []
        let installURL = req.herald.links.base.appendingPathComponent("slack/install").appending(queryItems: [
            URLQueryItem(name: "org", value: orgID.apiString)]).absoluteString
        return InstallationDTO(
            installed: install?.isLive == true, teamID: install?.teamID, teamName: install?.teamName, botUserID: install?.botUserID,
            scopes: (install?.scopes ?? "").split(separator: ",").map { String($0) }.filter { !$0.isEmpty },
            installedAt: install?.installedAt, revokedAt: install?.revokedAt, revokedReason: install?.revokedReason,
            defaultChannel: channels.first, interactive: install?.isLive == true && req.herald.configuration.slackSigningSecret != nil,
            installURL: installURL)
    }
}
