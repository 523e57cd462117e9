import Foundation
import HeraldCore
import HeraldSinks

/// What a destination's `credential` (see ``Destination``) stands for right now: the secret its
/// sink sends with, or why it cannot be sent at all (its settings were disabled or emptied since).
enum CredentialResolution: Sendable {
    case resolved(secret: String, fingerprint: String?)
    case unsendable(code: String, detail: String)
}

/// One source's credentials, by the scheme of the names it gives its destinations (`settings`
/// for the project's Slack settings; integrations add `integration:<id>`). Resolved at send time,
/// so secrets never travel with a delivery and a change of token applies to deliveries queued before.
protocol CredentialSource: Sendable {
    var scheme: String { get }
    func resolve(_ credential: String, project: ProjectRoutingCache.Entry) -> CredentialResolution
}

/// SPEC §3: the project's effective Slack settings, enabled and with a token.
struct SlackSettingsCredentials: CredentialSource {
    var scheme: String { Destination.settingsCredential }

    func resolve(_ credential: String, project: ProjectRoutingCache.Entry) -> CredentialResolution {
        guard project.slack.effective.enabled else {
            return .unsendable(code: "slack_disabled", detail: "Slack is disabled for this project")
        }
        guard let token = project.slack.token else {
            return .unsendable(code: "slack_not_configured", detail: "no Slack token is configured")
        }
        return .resolved(secret: token, fingerprint: project.slack.tokenFingerprint)
    }
}

/// Destinations that need no secret (`none`).
struct NoCredentials: CredentialSource {
    var scheme: String { "none" }

    func resolve(_ credential: String, project: ProjectRoutingCache.Entry) -> CredentialResolution {
        .resolved(secret: "", fingerprint: nil)
    }
}

/// Every credential source, by scheme (the part of a credential name before `:`).
struct DestinationCredentials: Sendable {
    private var sources: [String: any CredentialSource] = [:]

    init(_ sources: [any CredentialSource] = [SlackSettingsCredentials(), NoCredentials()]) {
        for source in sources { self.sources[source.scheme] = source }
    }

    mutating func register(_ source: any CredentialSource) {
        sources[source.scheme] = source
    }

    func resolve(_ credential: String, project: ProjectRoutingCache.Entry) -> CredentialResolution {
        let scheme = credential.split(separator: ":", maxSplits: 1).first.map(String.init) ?? credential
        guard let source = sources[scheme] else {
            return .unsendable(code: "credential_unknown", detail: "no source knows the credential \(scheme)")
        }
        return source.resolve(credential, project: project)
    }

    /// The credential's fingerprint, for pacing keys: two workspaces' channels of one name are paced apart.
    func fingerprint(_ credential: String, project: ProjectRoutingCache.Entry) -> String? {
        if case .resolved(_, let fingerprint) = resolve(credential, project: project) { return fingerprint }
        // Settings that cannot send now still name their token's workspace, when they have one.
        return credential == Destination.settingsCredential ? project.slack.tokenFingerprint : nil
    }
}
