import Fluent
import Foundation
import HeraldCore
import HeraldSinks
import SQLKit
import Vapor

/// Runbooks and their Slack tasks (SPEC §7, §8), and the caller's personal Slack token.
struct RunbooksController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("projects", ":p", "runbooks", use: createRunbook)
        routes.get("projects", ":p", "runbooks", use: listRunbooks)
        routes.get("runbooks", ":r", use: showRunbook)
        routes.post("runbooks", ":r", "tasks", use: createTask)
        routes.get("tasks", ":t", use: showTask)
        routes.post("tasks", ":t", "start", use: startTask)
        routes.get("me", "slack-token", use: showToken)
        routes.put("me", "slack-token", use: putToken)
        routes.delete("me", "slack-token", use: deleteToken)
    }

    // MARK: Runbooks

    struct RunbookBody: Decodable {
        var name: String?
        var mode: String?
    }

    func createRunbook(req: Request) async throws -> Response {
        let (project, _) = try await req.project(.manageProject)
        let body = try await req.decodeJSON(RunbookBody.self)
        var errors: [FieldError] = []
        var name = ""
        if let raw = body.name { do { name = try Validate.name(raw) } catch { errors.append(error) } } else {
            errors.append(FieldError(field: "name", detail: "is required"))
        }
        let mode = body.mode.flatMap(Runbook.Mode.init(rawValue:))
        if mode == nil { errors.append(FieldError(field: "mode", detail: "must be live or rehearsal")) }
        try Problem.throwIfInvalid(errors)
        let runbook = Runbook()
        runbook.id = UUID()
        runbook.$project.id = try project.requireID()
        runbook.name = name
        runbook.mode = (mode ?? .live).rawValue
        runbook.createdAt = req.herald.now()
        try await req.herald.storage.writeGate.transaction(req.db) { db in try await runbook.create(on: db) }
        return try await RunbookDTO(runbook, tasks: []).encodeResponse(status: .created, for: req)
    }

    func listRunbooks(req: Request) async throws -> [RunbookDTO] {
        let (project, _) = try await req.project(.readProject)
        return try await Runbook.query(on: req.db).filter(\.$project.$id == project.requireID()).sort(\.$createdAt).sort(\.$id).all()
            .map { try RunbookDTO($0, tasks: nil) }
    }

    func showRunbook(req: Request) async throws -> RunbookDTO {
        let runbook = try await req.runbook(.readProject)
        let tasks = try await RunbookTask.query(on: req.db).filter(\.$runbook.$id == runbook.requireID()).sort(\.$createdAt).sort(\.$id).all()
        return try RunbookDTO(runbook, tasks: tasks.map { try TaskDTO($0, services: req.herald) })
    }

    // MARK: Tasks

    struct TaskBody: Decodable {
        var type: String?
        var channel: String?
        var message: String?
        var runInRehearsal: Bool?
        var asUser: Bool?
    }

    /// The longest task message (Slack shows up to 3,000 characters in a section).
    static let maxMessage = 3000

    func createTask(req: Request) async throws -> Response {
        let runbook = try await req.runbook(.manageProject)
        let body = try await req.decodeJSON(TaskBody.self)
        var errors: [FieldError] = []
        if body.type != "slack_message" { errors.append(FieldError(field: "type", detail: "must be slack_message")) }
        var channel = ""
        if let raw = body.channel {
            do { channel = try SlackChannels.normalize(raw.trimmingCharacters(in: SlackChannels.surroundingSpace), field: "channel") } catch {
                errors.append(error)
            }
        } else {
            errors.append(FieldError(field: "channel", detail: "is required"))
        }
        var message = ""
        if let raw = body.message {
            message = raw.trimmingCharacters(in: SlackChannels.surroundingSpace)
            if message.isEmpty { errors.append(FieldError(field: "message", detail: "must not be empty")) }
            if raw.unicodeScalars.count > Self.maxMessage { errors.append(FieldError(field: "message", detail: "must be at most \(Self.maxMessage) characters")) }
            if EventValidation.hasControl(message) {
                errors.append(FieldError(field: "message", detail: "must not contain control characters other than tab, line feed and carriage return"))
            }
        } else {
            errors.append(FieldError(field: "message", detail: "is required"))
        }
        try Problem.throwIfInvalid(errors)
        let task = RunbookTask()
        task.id = UUID()
        task.$runbook.id = try runbook.requireID()
        task.projectID = runbook.$project.id
        task.type = "slack_message"
        task.channel = channel
        task.message = message
        task.runInRehearsal = body.runInRehearsal ?? false
        task.asUser = body.asUser ?? false
        task.state = RunbookTask.State.idle.rawValue
        task.createdAt = req.herald.now()
        try await req.herald.storage.writeGate.transaction(req.db) { db in try await task.create(on: db) }
        return try await TaskDTO(task, services: req.herald).encodeResponse(status: .created, for: req)
    }

    func showTask(req: Request) async throws -> TaskDTO {
        let (task, _) = try await req.task(.readProject)
        return try TaskDTO(task, services: req.herald)
    }

    /// Starts the task: its message goes to the outbox, sent with the project's effective token or,
    /// with `asUser`, the caller's own. A task already started (sending, sent, skipped) is not
    /// started again; a failed one may be. In a rehearsal the task is skipped unless it says
    /// `runInRehearsal`.
    func startTask(req: Request) async throws -> Response {
        let (task, runbook) = try await req.task(.actOnIncidents)
        let caller = try req.caller
        let services = req.herald
        if task.asUser {
            guard try await UserSlackToken.find(caller.userID, on: req.db) != nil else {
                throw Problem.invalid(FieldError(field: "asUser",
                                                 detail: "this task is sent as the user who starts it, and you have no personal Slack token (PUT /api/v1/me/slack-token)"))
            }
        }
        let taskID = try task.requireID()
        let now = services.now()
        let rehearsal = runbook.mode == Runbook.Mode.rehearsal.rawValue && !task.runInRehearsal
        let project = try await services.routing.cache.entry(for: task.projectID, secrets: services.security.secrets, now: now, on: req.db)
        let credential = task.asUser ? UserTokenCredentials.credential(caller.userID) : Destination.settingsCredential
        let fingerprint = task.asUser ? "user-\(caller.userID.apiString)" : (project?.slack.tokenFingerprint ?? credential)
        let pacingKey = services.delivery.sinks.pacingKey(sink: SinkType.slack.rawValue, target: task.channel, credentialFingerprint: fingerprint)
        let started: Bool = try await services.storage.writeGate.transaction(req.db) { db in
            let sql = db as! any SQLDatabase
            // Only an idle or failed task starts: the update says whether this call started it.
            let claimed = try await sql.raw("""
                UPDATE runbook_tasks SET state = \(bind: rehearsal ? RunbookTask.State.skipped.rawValue : RunbookTask.State.sending.rawValue),
                  started_by = \(bind: caller.userID), started_at = \(bind: now), finished_at = \(bind: rehearsal ? now : nil),
                  error_code = NULL, error = NULL, external_ref = NULL
                WHERE id = \(bind: taskID) AND state IN ('idle', 'failed') RETURNING id
                """).all()
            guard !claimed.isEmpty else { return false }
            guard !rehearsal else { return true }
            let messageID = UUID.timeOrdered(at: now)
            let destination = Destination(sink: SinkType.slack.rawValue, target: task.channel, credential: credential)
            try await IntakeStatements.insert([MessageRow(id: messageID, projectID: task.projectID, incidentID: nil, eventID: nil,
                                                          destination: destination, pacingKey: pacingKey, onClear: .notify, createdAt: now,
                                                          taskID: taskID)], on: sql)
            try await IntakeStatements.insert([DeliveryRow(id: .timeOrdered(at: now), projectID: task.projectID, messageID: messageID, kind: "post",
                                                           sink: destination.sink, target: destination.target, pacingKey: pacingKey,
                                                           notBefore: now, createdAt: now)], on: sql)
            try await IntakeStatements.insert([PacingRow(key: pacingKey)], on: sql, ignoringConflictsWith: "pacing_key")
            try await sql.update(RunbookTask.schema).set("message_id", to: StoredUUID(messageID)).where("id", .equal, StoredUUID(taskID)).run()
            return true
        }
        if started, !rehearsal { services.delivery.signal.notify() }
        guard let fresh = try await RunbookTask.find(taskID, on: req.db) else { throw Problem.notFound("Task") }
        req.logger.info("runbook task started", metadata: ["task": "\(taskID.apiString)", "started": "\(started)", "state": "\(fresh.state)"])
        return try await TaskDTO(fresh, services: services).encodeResponse(status: started ? .accepted : .ok, for: req)
    }

    // MARK: Personal Slack token

    struct TokenBody: Decodable {
        var token: String?
    }

    struct TokenDTO: Content {
        var tokenConfigured: Bool
        var fingerprint: String?
    }

    func showToken(req: Request) async throws -> TokenDTO {
        let stored = try await UserSlackToken.find(try req.caller.userID, on: req.db)
        return TokenDTO(tokenConfigured: stored != nil, fingerprint: stored?.tokenFingerprint)
    }

    func putToken(req: Request) async throws -> TokenDTO {
        let body = try await req.decodeJSON(TokenBody.self)
        guard let raw = body.token else { throw Problem.invalid(FieldError(field: "token", detail: "is required")) }
        let token = try SecretInput.token(raw)
        guard !token.isEmpty else { throw Problem.invalid(FieldError(field: "token", detail: "must not be empty (DELETE removes it)")) }
        let userID = try req.caller.userID
        let sealed = try req.herald.security.secrets.seal(token, context: UserSlackToken.context(userID))
        let fingerprint = req.herald.security.secrets.fingerprint(token)
        let now = req.herald.now()
        try await req.herald.storage.writeGate.transaction(req.db) { db in
            let stored = try await UserSlackToken.find(userID, on: db) ?? UserSlackToken()
            stored.id = userID
            stored.tokenSealed = sealed
            stored.tokenFingerprint = fingerprint
            stored.updatedAt = now
            try await stored.save(on: db)
        }
        return TokenDTO(tokenConfigured: true, fingerprint: fingerprint)
    }

    func deleteToken(req: Request) async throws -> HTTPStatus {
        let userID = try req.caller.userID
        try await req.herald.storage.writeGate.transaction(req.db) { db in
            try await UserSlackToken.query(on: db).filter(\.$id == userID).delete()
        }
        return .noContent
    }
}

extension Request {
    /// The runbook named by the `r` path parameter, if the caller may do `permission` on its project.
    func runbook(_ permission: Permission) async throws -> Runbook {
        guard let id = uuid("r"), let runbook = try await Runbook.query(on: db).filter(\.$id == id).with(\.$project).first()
        else { throw Problem.notFound("Runbook") }
        try await enforce(permission, onProject: runbook.project, notFound: "Runbook")
        return runbook
    }

    /// The task named by the `t` path parameter and its runbook, if the caller may do `permission` on its project.
    func task(_ permission: Permission) async throws -> (RunbookTask, Runbook) {
        guard let id = uuid("t"), let task = try await RunbookTask.query(on: db).filter(\.$id == id).with(\.$runbook, { $0.with(\.$project) }).first()
        else { throw Problem.notFound("Task") }
        try await enforce(permission, onProject: task.runbook.project, notFound: "Task")
        return (task, task.runbook)
    }
}

struct RunbookDTO: Content {
    var id: String
    var projectId: String
    var name: String
    var mode: String
    var createdAt: Date
    /// With `GET /runbooks/{r}`: its tasks, oldest first.
    var tasks: [TaskDTO]?

    init(_ runbook: Runbook, tasks: [TaskDTO]?) throws {
        id = try runbook.requireID().apiString
        projectId = runbook.$project.id.apiString
        name = runbook.name
        mode = runbook.mode
        createdAt = runbook.createdAt
        self.tasks = tasks
    }
}

struct TaskDTO: Content {
    var id: String
    var runbookId: String
    var type: String
    var channel: String
    var message: String
    var runInRehearsal: Bool
    var asUser: Bool
    /// idle, sending, sent, failed, skipped.
    var state: String
    /// What a person reads: "Not started", "Sending…", "Sent", "Connection failed", "Skipped (rehearsal)".
    var stateText: String
    /// Slack's error code when it failed (`channel_not_found`, `invalid_auth`…).
    var error: String?
    var errorDetail: String?
    /// Where the message is, once sent.
    var channelId: String?
    var ts: String?
    var startedAt: Date?
    var finishedAt: Date?
    var createdAt: Date

    init(_ task: RunbookTask, services: HeraldServices) throws {
        id = try task.requireID().apiString
        runbookId = task.$runbook.id.apiString
        type = task.type
        channel = task.channel
        message = task.message
        runInRehearsal = task.runInRehearsal
        asUser = task.asUser
        state = task.state
        stateText = switch RunbookTask.State(rawValue: task.state) {
        case .idle: "Not started"
        case .sending: "Sending…"
        case .sent: "Sent"
        case .failed: "Connection failed"
        case .skipped: "Skipped (rehearsal)"
        case nil: task.state
        }
        error = task.errorCode
        errorDetail = task.error
        let location = services.location(sink: SinkType.slack.rawValue, reference: task.externalRef)
        channelId = location?.channel
        ts = location?.message
        startedAt = task.startedAt
        finishedAt = task.finishedAt
        createdAt = task.createdAt
    }
}
