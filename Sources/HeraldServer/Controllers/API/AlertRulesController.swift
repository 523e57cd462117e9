import Fluent
import Foundation
import HeraldCore
import SQLKit
import Vapor

/// A project's alert rules (SPEC §4.3, §8): a name, the integrations its alerts go to, and whether
/// the clear is sent to them. An alert names a rule by id or name (`rule`, Alertmanager's
/// `herald_rule` label, PagerDuty's `custom_details.herald_rule`).
struct AlertRulesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("projects", ":p", "alert-rules", use: create)
        routes.get("projects", ":p", "alert-rules", use: list)
        routes.get("alert-rules", ":r", use: show)
        routes.patch("alert-rules", ":r", use: update)
        routes.delete("alert-rules", ":r", use: delete)
    }

    struct Body: Decodable {
        var name: String?
        var integrations: [String]?
        var notifyOnClear: Bool?
    }

    func create(req: Request) async throws -> Response {
        let (project, _) = try await req.project(.manageProject)
        let projectID = try project.requireID()
        let body = try await req.decodeJSON(Body.self)
        let rule = AlertRule()
        rule.id = UUID()
        rule.$project.id = projectID
        rule.createdAt = req.herald.now()
        let members = try await apply(body, to: rule, creating: true, req: req)
        try await save(rule, members: members, creating: true, req: req)
        return try await AlertRuleDTO(rule, integrations: members).encodeResponse(status: .created, for: req)
    }

    func list(req: Request) async throws -> [AlertRuleDTO] {
        let (project, _) = try await req.project(.readProject)
        let rules = try await AlertRule.query(on: req.db).filter(\.$project.$id == project.requireID()).sort(\.$createdAt).sort(\.$id).all()
        var members = try await Self.members(of: rules.map { try $0.requireID() }, on: req.db)
        return try rules.map { try AlertRuleDTO($0, integrations: members.removeValue(forKey: try $0.requireID()) ?? []) }
    }

    func show(req: Request) async throws -> AlertRuleDTO {
        let rule = try await req.alertRule(.readProject)
        let id = try rule.requireID()
        return try AlertRuleDTO(rule, integrations: try await Self.members(of: [id], on: req.db)[id] ?? [])
    }

    func update(req: Request) async throws -> AlertRuleDTO {
        let rule = try await req.alertRule(.manageProject)
        let body = try await req.decodeJSON(Body.self)
        let id = try rule.requireID()
        let given = try await apply(body, to: rule, creating: false, req: req)
        var members = given ?? []
        if given == nil { members = try await Self.members(of: [id], on: req.db)[id] ?? [] }
        try await save(rule, members: body.integrations == nil ? nil : members, creating: false, req: req)
        return try AlertRuleDTO(rule, integrations: members)
    }

    func delete(req: Request) async throws -> HTTPStatus {
        let rule = try await req.alertRule(.manageProject)
        defer { req.herald.routing.cache.invalidate(rule.$project.id) }
        try await req.herald.storage.writeGate.transaction(req.db) { db in try await rule.delete(on: db) }
        return .noContent
    }

    /// Validates the body into the rule; returns the integrations it names (each of this project,
    /// by id, each once), or nil when the body names none.
    private func apply(_ body: Body, to rule: AlertRule, creating: Bool, req: Request) async throws -> [UUID]? {
        var errors: [FieldError] = []
        if let raw = body.name {
            do { rule.name = try Validate.name(raw); rule.nameKey = rule.name.lowercased() } catch { errors.append(error) }
        } else if creating {
            errors.append(FieldError(field: "name", detail: "is required"))
        }
        if let notify = body.notifyOnClear { rule.notifyOnClear = notify } else if creating { rule.notifyOnClear = false }
        var members: [UUID]?
        if let given = body.integrations {
            let known = Set(try await Integration.query(on: req.db).filter(\.$project.$id == rule.$project.id).all().map { try $0.requireID() })
            var seen: Set<UUID> = []
            members = []
            for (index, raw) in given.enumerated() {
                guard let id = UUID(uuidString: raw), known.contains(id) else {
                    errors.append(FieldError(field: "integrations[\(index)]", detail: "is not an integration of this project"))
                    continue
                }
                if seen.insert(id).inserted { members?.append(id) }
            }
        } else if creating {
            members = []
        }
        try Problem.throwIfInvalid(errors)
        rule.updatedAt = req.herald.now()
        return members
    }

    /// Saves the rule (and, when given, its integrations in order); a name used twice is a `422`.
    private func save(_ rule: AlertRule, members: [UUID]?, creating: Bool, req: Request) async throws {
        let projectID = rule.$project.id
        defer { req.herald.routing.cache.invalidate(projectID) }
        try await req.herald.storage.writeGate.transaction(req.db) { db in
            try await db.lockRow(Project.self, id: projectID)
            var taken = AlertRule.query(on: db).filter(\.$project.$id == projectID).filter(\.$nameKey == rule.nameKey)
            if !creating { taken = taken.filter(\.$id != (try rule.requireID())) }
            if try await taken.first() != nil {
                throw Problem.invalid(FieldError(field: "name", detail: "is already used by another alert rule of this project"))
            }
            if creating { try await rule.create(on: db) } else { try await rule.save(on: db) }
            guard let members else { return }
            let sql = db as! any SQLDatabase
            let id = try rule.requireID()
            try await sql.delete(from: "alert_rule_integrations").where("rule_id", .equal, StoredUUID(id)).run()
            for (position, member) in members.enumerated() {
                try await sql.insert(into: "alert_rule_integrations").columns("rule_id", "integration_id", "position")
                    .values(SQLBind(StoredUUID(id)), SQLBind(StoredUUID(member)), SQLBind(position)).run()
            }
        }
    }

    /// Each rule's integrations, in order.
    static func members(of rules: [UUID], on db: any Database) async throws -> [UUID: [UUID]] {
        guard !rules.isEmpty else { return [:] }
        var members: [UUID: [UUID]] = [:]
        for row in try await (db as! any SQLDatabase).raw("""
            SELECT rule_id, integration_id FROM alert_rule_integrations WHERE rule_id IN (\(ids: rules)) ORDER BY rule_id, position
            """).all() {
            members[try row.decodeUUID(column: "rule_id"), default: []].append(try row.decodeUUID(column: "integration_id"))
        }
        return members
    }
}

extension Request {
    /// The alert rule named by the `r` path parameter, if the caller may do `permission` on its project.
    func alertRule(_ permission: Permission) async throws -> AlertRule {
        guard let id = uuid("r"), let rule = try await AlertRule.query(on: db).filter(\.$id == id).with(\.$project).first()
        else { throw Problem.notFound("Alert rule") }
        try await enforce(permission, onProject: rule.project, notFound: "Alert rule")
        return rule
    }
}

struct AlertRuleDTO: Content {
    var id: String
    var projectId: String
    var name: String
    /// Its integrations' ids, in order.
    var integrations: [String]
    var notifyOnClear: Bool
    var createdAt: Date
    var updatedAt: Date

    init(_ rule: AlertRule, integrations: [UUID]?) throws {
        id = try rule.requireID().apiString
        projectId = rule.$project.id.apiString
        name = rule.name
        self.integrations = (integrations ?? []).map(\.apiString)
        notifyOnClear = rule.notifyOnClear
        createdAt = rule.createdAt
        updatedAt = rule.updatedAt
    }
}
