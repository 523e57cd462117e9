import Fluent
import Foundation
import HeraldCore
import NIOConcurrencyHelpers

/// What intake and delivery need to know about a project, cached briefly: its organization,
/// name, services, and resolved Slack settings (with the opened token). The one source of routing
/// data for every intake and every delivery: no request reads the project's services or settings
/// itself, so the cost of an event does not grow with the project.
///
/// Entries live `ttl` seconds; a change of settings or services in this process drops the entry
/// at once, other processes see it within `ttl`.
final class ProjectRoutingCache: Sendable {
    struct Entry: Sendable {
        var orgID: UUID
        var projectName: String
        var slack: ResolvedSlackSettings
        /// The project's services by id, and their ids by lower-cased name. A service another process
        /// created since the entry was loaded is missing here until it expires (intake then reads
        /// the project afresh, once per batch).
        var services: [UUID: ServiceInfo]
        var serviceIDs: [String: UUID]
        var loadedAt: Date

        /// The service `ref` names (an id or a name), if this entry knows it.
        func service(_ ref: String) -> ServiceInfo? {
            if let id = UUID(uuidString: ref), let service = services[id] { return service }
            return serviceIDs[ref.lowercased()].flatMap { services[$0] }
        }
    }

    struct ServiceInfo: Sendable {
        var id: UUID
        var name: String
        var slackChannel: String?
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
        return try await reload(projectID, secrets: secrets, now: now, on: db)
    }

    /// Reads the project afresh (say an event names a service the cached entry does not know).
    func reload(_ projectID: UUID, secrets: SecretsBox, now: Date, on db: any Database) async throws -> Entry? {
        guard let project = try await Project.find(projectID, on: db) else { return nil }
        let slack = try await SlackSettingsStore.resolve(orgID: project.$organization.id, projectID: projectID, secrets: secrets, on: db)
        let services = try await Service.query(on: db).filter(\.$project.$id == projectID).all()
        let infos = try services.map { ServiceInfo(id: try $0.requireID(), name: $0.name, slackChannel: $0.slackChannel) }
        let entry = Entry(orgID: project.$organization.id, projectName: project.name, slack: slack,
                          services: Dictionary(infos.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }),
                          serviceIDs: Dictionary(zip(services.map(\.nameKey), infos.map(\.id)), uniquingKeysWith: { a, _ in a }),
                          loadedAt: now)
        entries.withLockedValue { $0[projectID] = entry }
        return entry
    }

    /// Drops the project's entry (its services changed).
    func invalidate(_ projectID: UUID) {
        _ = entries.withLockedValue { $0.removeValue(forKey: projectID) }
    }

    /// Drops every entry (organization settings affect all its projects).
    func invalidateAll() {
        entries.withLockedValue { $0.removeAll() }
    }
}
