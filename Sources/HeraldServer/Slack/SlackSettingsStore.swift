import Fluent
import Foundation
import HeraldCore
import SlackAPI
import Vapor

/// The Slack settings that apply to a project or organization, with the token opened.
struct ResolvedSlackSettings: Sendable {
    var effective: EffectiveSlackSettings
    /// The effective token, opened; never returned by the API or logged.
    var token: String?
    var tokenFingerprint: String?
    var org: SlackSettings?
    var project: SlackSettings?
}

/// Loads settings rows and applies SPEC §3.
enum SlackSettingsStore {
    static func orgRow(_ orgID: UUID, on db: any Database) async throws -> SlackSettings? {
        try await SlackSettings.query(on: db).filter(\.$organization.$id == orgID).first()
    }

    static func projectRow(_ projectID: UUID, on db: any Database) async throws -> SlackSettings? {
        try await SlackSettings.query(on: db).filter(\.$project.$id == projectID).first()
    }

    /// The effective settings of a project (with `projectID`), or of the organization alone.
    static func resolve(orgID: UUID, projectID: UUID?, secrets: SecretsBox, on db: any Database) async throws -> ResolvedSlackSettings {
        let org = try await orgRow(orgID, on: db)
        let project = try await projectID.asyncMap { try await projectRow($0, on: db) } ?? nil
        let effective = SlackSettingsPolicy.effective(org: org?.level, project: project?.level)
        let source: SlackSettings? = switch effective.tokenFrom {
        case .project: project
        case .org: org
        default: nil
        }
        var token: String?
        if let sealed = source?.tokenSealed {
            token = try secrets.open(sealed, context: SlackSettings.tokenContext)
        }
        return ResolvedSlackSettings(effective: effective, token: token, tokenFingerprint: source?.tokenFingerprint,
                                     org: org, project: project)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
