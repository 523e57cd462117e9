import Fluent
import Foundation
import HeraldCore
import NIOConcurrencyHelpers

/// What intake and delivery need to know about a project, cached briefly: its organization,
/// name, and resolved Slack settings (with the opened token). Every event and every delivery of a
/// busy project would otherwise read the same three rows and open the same sealed token.
///
/// Entries live `ttl` seconds; a settings change in this process drops the project's entry at
/// once, other processes see it within `ttl`.
final class ProjectRoutingCache: Sendable {
    struct Entry: Sendable {
        var orgID: UUID
        var projectName: String
        var slack: ResolvedSlackSettings
        var loadedAt: Date
    }

    private let entries = NIOLockedValueBox<[UUID: Entry]>([:])
    let ttl: TimeInterval

    init(ttl: TimeInterval = 2) {
        self.ttl = ttl
    }

    func entry(for projectID: UUID, secrets: SecretsBox, now: Date, on db: any Database) async throws -> Entry? {
        if let cached = entries.withLockedValue({ $0[projectID] }), now.timeIntervalSince(cached.loadedAt) < ttl {
            return cached
        }
        guard let project = try await Project.find(projectID, on: db) else { return nil }
        let slack = try await SlackSettingsStore.resolve(orgID: project.$organization.id, projectID: projectID, secrets: secrets, on: db)
        let entry = Entry(orgID: project.$organization.id, projectName: project.name, slack: slack, loadedAt: now)
        entries.withLockedValue { $0[projectID] = entry }
        return entry
    }

    /// Drops every entry (organization settings affect all its projects).
    func invalidateAll() {
        entries.withLockedValue { $0.removeAll() }
    }
}
