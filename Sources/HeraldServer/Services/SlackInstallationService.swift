import Crypto
import Fluent
import Foundation
import HeraldCore
import SlackAPI
import SQLKit
import Vapor

/// An organization's Slack app installation (SPEC §6, §8): the OAuth install with its signed,
/// single-use `state`, the channel picker's list, the default channel, revoke, and what Slack
/// says of an uninstall. The domain behind the API, the OAuth pages and the Slack app; callers
/// have checked the caller's permission. Every change drops the routing cache (buttons follow).
struct SlackInstallationService: Sendable {
    let services: HeraldServices
    let db: any Database

    /// The bot scopes Herald asks for (SPEC §6, issue 20).
    static let botScopes = ["chat:write", "chat:write.public", "channels:read", "groups:read", "users:read", "users:read.email",
                            "commands", "channels:history"]
    /// How long an install link's `state` is good for.
    static let stateLifetime: TimeInterval = 600

    // MARK: Install

    /// Where an org admin goes to install the app: Slack's authorize page with the client id, the
    /// scopes, the callback and a fresh `state` bound to the organization, the admin and the browser
    /// (`browserKey`, set as a cookie with the redirect: a link handed to someone else installs nothing).
    func authorizeURL(orgID: UUID, userID: UUID) async throws -> (url: URL, browserKey: String) {
        guard let clientID = services.configuration.slackClientID, services.configuration.slackClientSecret != nil else {
            throw DomainError.conflict("The Slack app is not configured: set HERALD_SLACK_CLIENT_ID and HERALD_SLACK_CLIENT_SECRET")
        }
        let now = services.now()
        let nonce = services.security.credentials.randomHex(16)
        let browserKey = services.security.credentials.randomHex(24)
        let expires = Int(now.addingTimeInterval(Self.stateLifetime).timeIntervalSince1970)
        try await services.storage.writeGate.transaction(db) { db in
            // Old states go as new ones come: the table never grows past what ten minutes of installs leave.
            try await (db as! any SQLDatabase).delete(from: "slack_oauth_states").where("expires_at", .lessThan, now).run()
            try await (db as! any SQLDatabase).insert(into: "slack_oauth_states")
                .columns("nonce", "organization_id", "user_id", "browser_hash", "expires_at")
                .values(SQLBind(nonce), SQLBind(StoredUUID(orgID)), SQLBind(StoredUUID(userID)), SQLBind(CredentialFactory.hash(browserKey)),
                        SQLBind(Date(timeIntervalSince1970: TimeInterval(expires))))
                .run()
        }
        let state = "\(nonce).\(expires).\(stateMAC(nonce: nonce, orgID: orgID, userID: userID, expires: expires))"
        var components = URLComponents(url: services.configuration.slackOAuthURL, resolvingAgainstBaseURL: false)!
        components.queryItems = (components.queryItems ?? []) + [
            URLQueryItem(name: "client_id", value: clientID),
            URLQueryItem(name: "scope", value: Self.botScopes.joined(separator: ",")),
            URLQueryItem(name: "redirect_uri", value: redirectURI),
            URLQueryItem(name: "state", value: state),
        ]
        return (components.url!, browserKey)
    }

    /// The cookie that carries the browser key from `/slack/install` to the callback.
    static let browserCookie = "herald_slack_install"

    /// The callback Slack sends the admin back to.
    var redirectURI: String {
        services.links.base.appendingPathComponent("slack/oauth/callback").absoluteString
    }

    /// Why an install callback stored nothing, with the words its page shows.
    enum InstallFailure: Error, Equatable {
        case badState
        case expiredState
        case usedState
        case otherBrowser
        case notAdmin
        case denied(String)
        case exchangeFailed(String)
        case workspaceTaken
        case notConfigured

        var message: String {
            switch self {
            case .badState: "This install link is not valid. Start again from Herald's Slack settings."
            case .expiredState: "This install link has expired (links last 10 minutes). Start again from Herald's Slack settings."
            case .usedState: "This install link was already used. Start again from Herald's Slack settings."
            case .otherBrowser: "This install was started in another browser (or its cookie is gone). Start again from Herald's Slack settings, in this browser."
            case .notAdmin: "Only an owner or admin of the organization can install Slack for it. Nothing was changed."
            case .denied(let error): "Slack did not install Herald (\(error)). Nothing was changed."
            case .exchangeFailed(let code): "Slack refused to complete the install (\(code)). Nothing was changed; try again."
            case .workspaceTaken: "This Slack workspace is already connected to another Herald organization."
            case .notConfigured: "The Slack app is not configured on this Herald (HERALD_SLACK_CLIENT_ID and HERALD_SLACK_CLIENT_SECRET)."
            }
        }
    }

    /// Completes an install: the state is checked and spent, the code exchanged, and the
    /// installation stored with the bot token sealed as the organization's Slack token. Nothing is
    /// stored on any failure. Returns the organization and the workspace's name.
    func complete(code: String?, state: String?, error: String?, browserKey: String?) async throws(InstallFailure) -> (orgID: UUID, team: String) {
        guard let clientID = services.configuration.slackClientID, let clientSecret = services.configuration.slackClientSecret else {
            throw .notConfigured
        }
        // The state is spent first, even for a denied consent: a link works once.
        let (orgID, userID) = try await spend(state, browserKey: browserKey)
        // Still an admin of the organization, when they come back.
        do {
            let (standing, _) = try await Access.standing(of: userID, inOrg: orgID, on: db)
            guard AccessPolicy.decide(.manageOrg, for: standing) == .allowed else { throw InstallFailure.notAdmin }
        } catch {
            throw .notAdmin
        }
        if let error { throw .denied(String(error.prefix(100))) }
        guard let code, !code.isEmpty else { throw .denied("no code") }
        let access: OAuthV2Access
        do {
            access = try await services.slack.interactive.oauthV2Access(clientID: clientID, clientSecret: clientSecret, code: code,
                                                                       redirectURI: redirectURI)
        } catch {
            throw .exchangeFailed(error.code)
        }
        do {
            try await store(access, orgID: orgID, userID: userID)
        } catch let failure as InstallFailure {
            throw failure
        } catch {
            throw .exchangeFailed("storage_failed")
        }
        return (orgID, access.teamName)
    }

    private func spend(_ state: String?, browserKey: String?) async throws(InstallFailure) -> (UUID, UUID) {
        let parts = (state ?? "").split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let expires = Int(parts[1]), parts[0].count == 32 else { throw .badState }
        let now = services.now()
        let row: (org: UUID, user: UUID, used: Bool, sameBrowser: Bool)?
        do {
            row = try await services.storage.writeGate.transaction(db) { db -> (UUID, UUID, Bool, Bool)? in
                let sql = db as! any SQLDatabase
                guard let found = try await sql.raw("""
                    SELECT organization_id, user_id, browser_hash, used_at FROM slack_oauth_states WHERE nonce = \(bind: parts[0])
                    """).first() else { return nil }
                let org = try found.decodeUUID(column: "organization_id"), user = try found.decodeUUID(column: "user_id")
                guard self.stateMAC(nonce: parts[0], orgID: org, userID: user, expires: expires) == parts[2] else { return nil }
                if try found.decode(column: "used_at", as: Date?.self) != nil { return (org, user, true, true) }
                // Another browser (a link sent to someone else) spends nothing: the admin's own still works.
                let expected = try found.decode(column: "browser_hash", as: String.self)
                guard let browserKey, CredentialFactory.hash(browserKey) == expected else { return (org, user, false, false) }
                let spent = try await sql.raw("""
                    UPDATE slack_oauth_states SET used_at = \(bind: now) WHERE nonce = \(bind: parts[0]) AND used_at IS NULL RETURNING nonce
                    """).all()
                return (org, user, spent.isEmpty, true)
            }
        } catch {
            throw .badState
        }
        guard let row else { throw .badState }
        guard !row.used else { throw .usedState }
        guard row.sameBrowser else { throw .otherBrowser }
        guard Double(expires) > now.timeIntervalSince1970 else { throw .expiredState }
        return (row.org, row.user)
    }

    private func stateMAC(nonce: String, orgID: UUID, userID: UUID, expires: Int) -> String {
        let key = SymmetricKey(data: Data(services.security.secrets.derive("slack oauth state").utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(nonce).\(orgID.apiString).\(userID.apiString).\(expires)".utf8), using: key)
        return Data(mac).prefix(16).hexString
    }

    /// Stores an installation (replacing the organization's earlier one) and its token.
    func store(_ access: OAuthV2Access, orgID: UUID, userID: UUID?) async throws {
        let sealed = try SlackSettings.SealedToken(access.accessToken, secrets: services.security.secrets)
        defer { services.routing.cache.invalidateAll() }
        try await services.storage.writeGate.transaction(db) { db in
            if try await SlackInstallation.query(on: db).filter(\.$teamID == access.teamID).filter(\.$revokedAt == nil)
                .filter(\.$organization.$id != orgID).first() != nil {
                throw InstallFailure.workspaceTaken
            }
            try await SlackInstallation.query(on: db).filter(\.$organization.$id == orgID).delete()
            try await SlackInstallation(organizationID: orgID, teamID: access.teamID, teamName: access.teamName,
                                        botUserID: access.botUserID, appID: access.appID, scopes: access.scope ?? "",
                                        installedBy: userID, installedAt: self.services.now()).create(on: db)
            let settings = try await SlackSettingsStore.orgRow(orgID, on: db) ?? SlackSettings(organizationID: orgID)
            settings.setToken(sealed)
            settings.enabled = true
            try await settings.save(on: db)
        }
    }

    // MARK: State, default channel, revoke

    /// The organization's installation (live or revoked), if it has one.
    func installation(orgID: UUID) async throws -> SlackInstallation? {
        try await SlackInstallation.query(on: db).filter(\.$organization.$id == orgID).first()
    }

    /// The live installation of workspace `teamID`, if any organization has one.
    func installation(team teamID: String) async throws -> SlackInstallation? {
        try await SlackInstallation.query(on: db).filter(\.$teamID == teamID).filter(\.$revokedAt == nil).first()
    }

    /// The organization's installation, if it is live.
    func liveInstallation(orgID: UUID) async throws -> SlackInstallation? {
        try await installation(orgID: orgID).flatMap { $0.isLive ? $0 : nil }
    }

    /// The organization's bot token, opened (nil when it has none or it does not open).
    func botToken(orgID: UUID) async throws -> String? {
        guard let sealed = try await SlackSettingsStore.orgRow(orgID, on: db)?.tokenSealed else { return nil }
        return try? services.security.secrets.open(sealed, context: SlackSettings.tokenContext)
    }

    /// Sets the organization's default ("global") channel: it becomes the organization's channels.
    /// `raw` may be a channel id or a name from the picker's list.
    func setDefaultChannel(orgID: UUID, to raw: String) async throws -> SlackChannelChoice {
        guard let install = try await liveInstallation(orgID: orgID) else {
            throw DomainError.conflict("Slack is not installed for this organization: install it first", field: "defaultChannel")
        }
        let channel = try await choose(raw, in: install, field: "defaultChannel")
        defer { services.routing.cache.invalidateAll() }
        try await services.storage.writeGate.transaction(db) { db in
            let settings = try await SlackSettingsStore.orgRow(orgID, on: db) ?? SlackSettings(organizationID: orgID)
            settings.channels = [channel.id]
            try await settings.save(on: db)
        }
        return channel
    }

    /// Revokes the bot token with Slack (`auth.revoke`; a token Slack already dropped is fine) and
    /// removes the installation and the organization's token.
    func revoke(orgID: UUID) async throws {
        guard try await installation(orgID: orgID) != nil else { throw DomainError.notFound("Slack installation") }
        if let token = try await botToken(orgID: orgID) {
            do {
                _ = try await services.slack.interactive.authRevoke(token: token)
            } catch .api(let code, _) where [.invalidAuth, .tokenRevoked, .accountInactive, .notAuthed].contains(code) {
                // Slack has already forgotten the token: removing it here is all that is left.
            } catch {
                throw DomainError.conflict("Slack did not revoke the token (\(error.code)); nothing was removed. Try again.")
            }
        }
        defer { services.routing.cache.invalidateAll() }
        try await services.storage.writeGate.transaction(db) { db in
            try await SlackInstallation.query(on: db).filter(\.$organization.$id == orgID).delete()
            try await Self.removeToken(orgID: orgID, on: db)
        }
    }

    /// Slack says the app was uninstalled or its tokens revoked in `teamID`: the installation is
    /// marked revoked (the pages say so) and the dead token removed. Returns whether one was live.
    @discardableResult
    func recordRevoked(team teamID: String, reason: String) async throws -> Bool {
        defer { services.routing.cache.invalidateAll() }
        return try await services.storage.writeGate.transaction(db) { db in
            guard let install = try await SlackInstallation.query(on: db).filter(\.$teamID == teamID).filter(\.$revokedAt == nil).first()
            else { return false }
            install.revokedAt = self.services.now()
            install.revokedReason = reason
            try await install.save(on: db)
            try await Self.removeToken(orgID: install.$organization.id, on: db)
            return true
        }
    }

    /// The organization's token goes with its installation.
    private static func removeToken(orgID: UUID, on db: any Database) async throws {
        guard let settings = try await SlackSettingsStore.orgRow(orgID, on: db) else { return }
        settings.setToken(nil)
        try await settings.save(on: db)
    }

    // MARK: Channels

    /// The channel picker's list: public channels and the private ones the bot is in, not archived,
    /// every page read; cached with the installation until `refresh`.
    func channels(orgID: UUID, refresh: Bool) async throws -> [SlackChannelChoice] {
        guard let install = try await liveInstallation(orgID: orgID) else {
            throw DomainError.conflict("Slack is not installed for this organization: install it first")
        }
        return try await channels(of: install, refresh: refresh)
    }

    private func channels(of install: SlackInstallation, refresh: Bool) async throws -> [SlackChannelChoice] {
        let orgID = install.$organization.id
        if !refresh, let json = install.channelsJSON, let cached = try? JSONDecoder().decode([SlackChannelChoice].self, from: Data(json.utf8)) {
            return cached
        }
        guard let token = try await botToken(orgID: orgID) else {
            throw DomainError.conflict("The organization's Slack token is missing: install Slack again")
        }
        let listed: [SlackChannel]
        do {
            listed = try await services.slack.interactive.conversationsList(token: token)
        } catch {
            throw DomainError.conflict("Slack did not list the channels (\(error.code))")
        }
        let channels = listed.filter { $0.isArchived != true && ($0.isPrivate != true || $0.isMember == true) }
            .map { SlackChannelChoice(id: $0.id, name: $0.name, isPrivate: $0.isPrivate == true) }
            .sorted { ($0.name, $0.id) < ($1.name, $1.id) }
        let json = String(decoding: try JSONEncoder().encode(channels), as: UTF8.self)
        let now = services.now()
        try await services.storage.writeGate.transaction(db) { db in
            try await SlackInstallation.query(on: db).filter(\.$organization.$id == orgID)
                .set(\.$channelsJSON, to: json).set(\.$channelsFetchedAt, to: now).update()
        }
        return channels
    }

    /// The channel `raw` names in the installation's workspace: an id, or a name (with or without
    /// `#`) from its list, read afresh once when the cached list does not have it.
    func choose(_ raw: String, in install: SlackInstallation, field: String) async throws -> SlackChannelChoice {
        let normalized = try SlackChannels.normalize(raw.trimmingCharacters(in: SlackChannels.surroundingSpace), field: field)
        let name = normalized.hasPrefix("#") ? String(normalized.dropFirst()) : normalized
        for refresh in [false, true] {
            let list = try await channels(of: install, refresh: refresh)
            if let found = list.first(where: { $0.id == normalized || $0.name.lowercased() == name.lowercased() }) { return found }
        }
        throw DomainError.invalid(FieldError(field: field, detail: "no channel \(normalized) in the organization's Slack workspace (or Herald cannot see it)"))
    }
}

/// A channel in the picker (SPEC §8: `[{id,name,isPrivate}]`).
struct SlackChannelChoice: Content, Equatable {
    var id: String
    var name: String
    var isPrivate: Bool
}
