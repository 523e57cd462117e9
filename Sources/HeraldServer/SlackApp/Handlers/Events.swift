import Fluent
import Foundation
import HeraldCore
import SlackAPI
import SQLKit

/// `app_uninstalled`: the workspace removed Herald; the installation is recorded as revoked.
struct AppUninstalledEvent: EventHandler {
    let eventType = "app_uninstalled"

    func handle(_ envelope: EventEnvelope, _ context: SlackContext) async throws {
        guard let team = envelope.teamID else { return }
        if try await context.installations.recordRevoked(team: team, reason: "app_uninstalled") {
            context.logger.notice("Slack app uninstalled from workspace \(team)")
        }
    }
}

/// `tokens_revoked`: when the bot's token is among them, the installation is recorded as revoked.
struct TokensRevokedEvent: EventHandler {
    let eventType = "tokens_revoked"

    func handle(_ envelope: EventEnvelope, _ context: SlackContext) async throws {
        guard let team = envelope.teamID, envelope.event?.tokens?.bot?.isEmpty == false else { return }
        if try await context.installations.recordRevoked(team: team, reason: "tokens_revoked") {
            context.logger.notice("Slack bot token revoked in workspace \(team)")
        }
    }
}

/// Slack as an alert source (SPEC §6): a message posted by a person or a bot in a service's
/// watched channel opens an incident on that service — its first line the title, its permalink
/// the link. Thread replies, edits and other changes, Herald's own messages and messages of
/// another workspace (a shared channel) are ignored; the message's channel and ts are the
/// incident's key, so a retry or a duplicate opens nothing twice.
struct WatchedChannelMessage: EventHandler {
    let eventType = "message"

    /// Subtypes that are a new message someone posted; every other subtype is a change or a notice.
    static let newMessageSubtypes: Set<String?> = [nil, "bot_message", "file_share", "thread_broadcast"]

    func handle(_ envelope: EventEnvelope, _ context: SlackContext) async throws {
        guard let event = envelope.event, let team = envelope.teamID, let channel = event.channel, let ts = event.ts,
              Self.newMessageSubtypes.contains(event.subtype)
        else { return }
        if let thread = event.threadTS, thread != ts, event.subtype != "thread_broadcast" { return }
        if let own = event.team, own != team { return }
        guard let install = try await context.installations.installation(team: team) else { return }
        if let bot = install.botUserID, event.user == bot { return }
        if let app = install.appID, event.appID == app { return }
        let orgID = install.$organization.id
        let watching = try await (context.db as! any SQLDatabase).raw("""
            SELECT s.id, s.project_id FROM services s JOIN projects p ON p.id = s.project_id
            WHERE p.organization_id = \(bind: StoredUUID(orgID)) AND s.watch_channel = \(bind: channel) ORDER BY s.id
            """).all()
        guard !watching.isEmpty else { return }
        let text = event.text ?? ""
        let firstLine = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
        let title = String((firstLine ?? "Message in a watched Slack channel").prefix(250))
        var link: String?
        var actor = event.user ?? event.botID ?? "slack"
        if let token = try await context.installations.botToken(orgID: orgID) {
            link = try? await context.services.slack.interactive.permalink(token: token, channel: channel, ts: ts)
            if let user = event.user, let email = try? await context.services.slack.users.email(
                team: team, user: user, token: token, client: context.services.slack.interactive) {
                actor = email
            }
        }
        for row in watching {
            let serviceID = try row.decodeUUID(column: "id")
            let event = IncomingEvent(kind: .incident(.trigger), key: "slack:\(channel):\(ts)", title: title,
                                      text: text.isEmpty ? nil : String(text.prefix(EventValidation.maxText)),
                                      service: serviceID.apiString, link: link, source: "slack", actor: actor)
            _ = try await context.intake.accept(event, projectID: try row.decodeUUID(column: "project_id"))
        }
    }
}
