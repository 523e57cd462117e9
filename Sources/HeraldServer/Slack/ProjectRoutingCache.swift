import Fluent
import Foundation
import HeraldCore
import NIOConcurrencyHelpers
import SQLKit

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

    private struct State {
        var entries: [UUID: Entry] = [:]
        /// Loads in flight: concurrent callers that find an entry missing or expired share one.
        var loading: [UUID: (generation: Int, task: Task<Entry?, any Error>)] = [:]
        /// Grows with every invalidation; a load begun before one is not kept.
        var generation = 0
    }

    private let state = NIOLockedValueBox(State())
    let ttl: TimeInterval

    init(ttl: TimeInterval = 2) {
        self.ttl = ttl
    }

    /// `db` is asked for only when the project is read (making a request's database has a cost).
    func entry(for projectID: UUID, secrets: SecretsBox, now: Date,
               on db: @escaping @Sendable @autoclosure () -> any Database) async throws -> Entry? {
        if let cached = state.withLockedValue({ $0.entries[projectID] }), now.timeIntervalSince(cached.loadedAt) < ttl {
            return cached
        }
        return try await reload(projectID, secrets: secrets, now: now, on: db())
    }

    /// The entry, read afresh if `unknown` names a service it does not know and it is older than
    /// `minimumAge` (a service another process just created is found; a label that names no
    /// service costs at most one read per project per `minimumAge`).
    func entry(for projectID: UUID, knowing unknown: [String], minimumAge: TimeInterval = 0.25, secrets: SecretsBox, now: Date,
               on db: @escaping @Sendable @autoclosure () -> any Database) async throws -> Entry? {
        guard let entry = try await entry(for: projectID, secrets: secrets, now: now, on: db()) else { return nil }
        guard unknown.contains(where: { entry.service($0) == nil }), now.timeIntervalSince(entry.loadedAt) >= minimumAge else { return entry }
        return try await reload(projectID, secrets: secrets, now: now, on: db())
    }

    /// Reads the project afresh; callers at the same moment share one read.
    func reload(_ projectID: UUID, secrets: SecretsBox, now: Date, on db: any Database) async throws -> Entry? {
        let (generation, task) = state.withLockedValue { s -> (Int, Task<Entry?, any Error>) in
            if let loading = s.loading[projectID], loading.generation == s.generation { return (loading.generation, loading.task) }
            let task = Task { try await Self.load(projectID, secrets: secrets, now: now, on: db) }
            s.loading[projectID] = (s.generation, task)
            return (s.generation, task)
        }
        let result = await task.result
        state.withLockedValue { s in
            if s.loading[projectID]?.generation == generation { s.loading[projectID] = nil }
            if case .success(let entry?) = result, s.generation == generation { s.entries[projectID] = entry }
        }
        return try result.get()
    }

    /// One project's routing data in four small queries (plain SQL for the services: a project may have hundreds).
    private static func load(_ projectID: UUID, secrets: SecretsBox, now: Date, on db: any Database) async throws -> Entry? {
        guard let project = try await Project.find(projectID, on: db) else { return nil }
        let slack = try await SlackSettingsStore.resolve(orgID: project.$organization.id, projectID: projectID, secrets: secrets, on: db)
        var services: [UUID: ServiceInfo] = [:]
        var serviceIDs: [String: UUID] = [:]
        for row in try await (db as! any SQLDatabase).raw("""
            SELECT id, name, name_key, slack_channel FROM services WHERE project_id = \(bind: projectID) ORDER BY id
            """).all() {
            let info = ServiceInfo(id: try row.decodeUUID(column: "id"), name: try row.decode(column: "name", as: String.self),
                                   slackChannel: try row.decode(column: "slack_channel", as: String?.self))
            services[info.id] = services[info.id] ?? info
            let key = try row.decode(column: "name_key", as: String.self)
            serviceIDs[key] = serviceIDs[key] ?? info.id
        }
        return Entry(orgID: project.$organization.id, projectName: project.name, slack: slack, services: services,
                     serviceIDs: serviceIDs, loadedAt: now)
    }

    /// Drops the project's entry (its services changed).
    func invalidate(_ projectID: UUID) {
        state.withLockedValue { s in
            s.generation += 1
            s.entries[projectID] = nil
        }
    }

    /// Drops every entry (organization settings affect all its projects).
    func invalidateAll() {
        state.withLockedValue { s in
            s.generation += 1
            s.entries.removeAll()
        }
    }
}
