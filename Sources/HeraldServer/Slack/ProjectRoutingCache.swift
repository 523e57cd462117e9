import Fluent
import Foundation
import HeraldCore
import HeraldSinks
import NIOConcurrencyHelpers
import SQLKit

/// What intake and delivery need to know about a project, cached briefly: its organization,
/// name, services, resolved Slack settings (with the opened token), integrations (with their
/// opened credentials) and alert rules. The one source of routing data for every intake and every
/// delivery: no request reads the project's services, settings, integrations or rules itself, so
/// the cost of an event does not grow with the project.
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
        /// Integrations in creation order, and what each sends with, by id.
        var integrations: [IntegrationRoute] = []
        var integrationCredentials: [UUID: IntegrationCredential] = [:]
        var rules = AlertRuleBook()
        /// The organization's live Slack app installation, if it has one.
        var slackApp: SlackAppInstall? = nil
        var loadedAt: Date

        /// What the router needs of this project for one event.
        func routingInput(isIncident: Bool, serviceChannel: String?, rule: String?) -> RoutingInput {
            RoutingInput(isIncident: isIncident, serviceChannel: serviceChannel, slack: slack.effective,
                         slackFingerprint: slack.tokenFingerprint, rule: rule, integrations: integrations, rules: rules)
        }

        /// The service `ref` names (an id or a name), if this entry knows it.
        func service(_ ref: String) -> ServiceInfo? {
            if let id = UUID(uuidString: ref), let service = services[id] { return service }
            return serviceIDs[ref.lowercased()].flatMap { services[$0] }
        }
    }

    /// What an integration sends with.
    enum IntegrationCredential: Sendable {
        case own(SinkCredential)
        /// A Slack integration without a token of its own: the project's effective one.
        case slackSettings
        /// Its sealed credential does not open (a changed secret key): it cannot send.
        case unreadable(String)
    }

    /// What delivery needs of an organization's Slack app: its workspace and bot.
    struct SlackAppInstall: Sendable, Equatable {
        var teamID: String
        var botUserID: String?
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

    /// One project's routing data in a few small queries (plain SQL for the services: a project may have hundreds).
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
        var entry = Entry(orgID: project.$organization.id, projectName: project.name, slack: slack, services: services,
                          serviceIDs: serviceIDs, loadedAt: now)
        if let install = try await SlackInstallation.query(on: db).filter(\.$organization.$id == project.$organization.id)
            .filter(\.$revokedAt == nil).first() {
            entry.slackApp = SlackAppInstall(teamID: install.teamID, botUserID: install.botUserID)
        }
        try await loadIntegrations(projectID, into: &entry, secrets: secrets, on: db as! any SQLDatabase)
        return entry
    }

    /// The project's integrations, their credentials opened, and its alert rules.
    private static func loadIntegrations(_ projectID: UUID, into entry: inout Entry, secrets: SecretsBox, on sql: any SQLDatabase) async throws {
        for row in try await sql.raw("""
            SELECT id, name, source, sink, target, credential_sealed, credential_fingerprint, thread_updates FROM integrations
            WHERE project_id = \(bind: projectID) ORDER BY created_at, id
            """).all() {
            let id = try row.decodeUUID(column: "id")
            let sealed = try row.decode(column: "credential_sealed", as: String?.self)
            var fingerprint = try row.decode(column: "credential_fingerprint", as: String?.self)
            let credential: IntegrationCredential
            if let sealed {
                do {
                    let json = try secrets.open(sealed, context: Integration.credentialContext(id))
                    credential = .own(try JSONDecoder().decode(SinkCredential.self, from: Data(json.utf8)))
                } catch {
                    credential = .unreadable(String(describing: error))
                }
            } else if try row.decode(column: "sink", as: String.self) == "slack" {
                credential = .slackSettings
                fingerprint = entry.slack.tokenFingerprint
            } else {
                // Only a Slack integration may lack a credential of its own (it uses the project's token).
                credential = .unreadable("the integration has no credential")
            }
            guard let source = IntegrationSource(rawValue: try row.decode(column: "source", as: String.self)) else { continue }
            entry.integrations.append(IntegrationRoute(
                id: id.apiString, name: try row.decode(column: "name", as: String.self), source: source,
                sink: try row.decode(column: "sink", as: String.self), target: try row.decode(column: "target", as: String.self),
                fingerprint: fingerprint, threads: try row.decode(column: "thread_updates", as: Bool.self)))
            entry.integrationCredentials[id] = credential
        }
        var members: [UUID: [String]] = [:]
        for row in try await sql.raw("""
            SELECT l.rule_id, l.integration_id FROM alert_rule_integrations l JOIN alert_rules r ON r.id = l.rule_id
            WHERE r.project_id = \(bind: projectID) ORDER BY l.rule_id, l.position
            """).all() {
            members[try row.decodeUUID(column: "rule_id"), default: []].append(try row.decodeUUID(column: "integration_id").apiString)
        }
        var rules: [AlertRuleRoute] = []
        for row in try await sql.raw("""
            SELECT id, name, notify_on_clear FROM alert_rules WHERE project_id = \(bind: projectID) ORDER BY created_at, id
            """).all() {
            let id = try row.decodeUUID(column: "id")
            rules.append(AlertRuleRoute(id: id.apiString, name: try row.decode(column: "name", as: String.self),
                                        integrations: members[id] ?? [], notifyOnClear: try row.decode(column: "notify_on_clear", as: Bool.self)))
        }
        entry.rules = AlertRuleBook(rules)
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
