import Fluent
import Foundation
import HeraldCore
import HeraldSinks

/// What a destination's `credential` (see ``Destination``) stands for right now: what its sink
/// sends with, or why it cannot be sent at all.
enum CredentialResolution: Sendable {
    case resolved(SinkCredential)
    /// It cannot be sent now (its settings were disabled or emptied since): a permanent failure.
    case unsendable(code: String, detail: String)
    /// Its route no longer exists (the integration was deleted): the delivery is `cancelled`.
    case withdrawn(code: String, detail: String)
}

/// One source's credentials, by the scheme of the names it gives its destinations (`settings`
/// for the project's Slack settings, `integration:<id>`). Resolved at send time, so secrets never
/// travel with a delivery and a change of token applies to deliveries queued before.
protocol CredentialSource: Sendable {
    var scheme: String { get }
    func resolve(_ credential: String, project: ProjectRoutingCache.Entry, store: CredentialStore) async -> CredentialResolution
}

/// Where a source may read what the project's cached entry does not hold (a user's personal token).
struct CredentialStore: Sendable {
    var db: any Database
    var secrets: SecretsBox
}

/// SPEC §3: the project's effective Slack settings, enabled and with a token.
struct SlackSettingsCredentials: CredentialSource {
    var scheme: String { Destination.settingsCredential }

    func resolve(_ credential: String, project: ProjectRoutingCache.Entry, store: CredentialStore) async -> CredentialResolution {
        Self.effectiveToken(project)
    }

    static func effectiveToken(_ project: ProjectRoutingCache.Entry) -> CredentialResolution {
        guard project.slack.effective.enabled else {
            return .unsendable(code: "slack_disabled", detail: "Slack is disabled for this project")
        }
        guard let token = project.slack.token else {
            return .unsendable(code: "slack_not_configured", detail: "no Slack token is configured")
        }
        return .resolved(.token(token: token))
    }
}

/// An integration's sealed credential (`integration:<id>`); a Slack integration without a token of
/// its own sends with the project's effective one. A deleted integration's deliveries are withdrawn.
struct IntegrationCredentials: CredentialSource {
    var scheme: String { "integration" }

    func resolve(_ credential: String, project: ProjectRoutingCache.Entry, store: CredentialStore) async -> CredentialResolution {
        guard let id = UUID(text: String(credential.dropFirst(scheme.count + 1))),
              let known = project.integrationCredentials[id] else {
            return .withdrawn(code: "integration_deleted", detail: "the integration was deleted")
        }
        switch known {
        case .own(let credential): return .resolved(credential)
        case .slackSettings:
            // Only the token is inherited: the integration names its own channel, and its own
            // existence says it is enabled.
            guard let token = project.slack.token else {
                return .unsendable(code: "slack_not_configured", detail: "the integration has no token and the project has none")
            }
            return .resolved(.token(token: token))
        case .unreadable(let reason): return .unsendable(code: "credential_unreadable", detail: reason)
        }
    }
}

/// Destinations that need no secret (`none`).
struct NoCredentials: CredentialSource {
    var scheme: String { "none" }

    func resolve(_ credential: String, project: ProjectRoutingCache.Entry, store: CredentialStore) async -> CredentialResolution {
        .resolved(.none)
    }
}

/// A person's own Slack user token (`user:<id>`, SPEC §7: a runbook task sent as that user), read
/// when the message is sent: a token removed since is not used.
struct UserTokenCredentials: CredentialSource {
    var scheme: String { "user" }

    static func credential(_ userID: UUID) -> String { "user:\(userID.apiString)" }

    func resolve(_ credential: String, project: ProjectRoutingCache.Entry, store: CredentialStore) async -> CredentialResolution {
        guard let id = UUID(text: String(credential.dropFirst(scheme.count + 1))) else {
            return .unsendable(code: "credential_unknown", detail: "not a user")
        }
        do {
            guard let stored = try await UserSlackToken.find(id, on: store.db) else {
                return .unsendable(code: "user_token_missing", detail: "the user has no personal Slack token stored")
            }
            return .resolved(.token(token: try store.secrets.open(stored.tokenSealed, context: UserSlackToken.context(id))))
        } catch {
            return .unsendable(code: "credential_unreadable", detail: String(describing: error))
        }
    }
}

/// Every credential source, by scheme (the part of a credential name before `:`).
struct DestinationCredentials: Sendable {
    private var sources: [String: any CredentialSource] = [:]

    init(_ sources: [any CredentialSource] = [SlackSettingsCredentials(), IntegrationCredentials(), UserTokenCredentials(), NoCredentials()]) {
        for source in sources { self.sources[source.scheme] = source }
    }

    mutating func register(_ source: any CredentialSource) {
        sources[source.scheme] = source
    }

    func resolve(_ credential: String, project: ProjectRoutingCache.Entry, store: CredentialStore) async -> CredentialResolution {
        let scheme = credential.split(separator: ":", maxSplits: 1).first.map(String.init) ?? credential
        guard let source = sources[scheme] else {
            return .unsendable(code: "credential_unknown", detail: "no source knows the credential \(scheme)")
        }
        return await source.resolve(credential, project: project, store: store)
    }
}
