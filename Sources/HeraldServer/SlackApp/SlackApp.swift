import Fluent
import Foundation
import HeraldCore
import NIOConcurrencyHelpers
import SlackAPI
import SQLKit
import Vapor

/// The inbound Slack app (SPEC §6): what Slack's signed requests reach once verified. Handlers are
/// registered per `action_id`, `callback_id`, command and event type; each is a small function that
/// calls the domain (Bolt's listeners, Grafana OnCall's scenario steps). The message an action
/// changes is re-rendered from the incident's state by the delivery core, never patched here.
struct SlackApp: Sendable {
    var actions: [String: any BlockActionHandler] = [:]
    var submissions: [String: any ViewSubmissionHandler] = [:]
    var commands: [String: any SlashCommandHandler] = [:]
    var events: [String: any EventHandler] = [:]

    /// Herald's handlers.
    static let standard: SlackApp = {
        var app = SlackApp()
        for handler: any BlockActionHandler in [AcknowledgeAction(), ResolveAction(), ReassignAction()] { app.actions[handler.actionID] = handler }
        for handler: any ViewSubmissionHandler in [CreateIncidentSubmission()] { app.submissions[handler.callbackID] = handler }
        for handler: any SlashCommandHandler in [CreateIncidentCommand()] { app.commands[handler.command] = handler }
        for handler: any EventHandler in [AppUninstalledEvent(), TokensRevokedEvent(), WatchedChannelMessage()] {
            app.events[handler.eventType] = handler
        }
        return app
    }()
}

/// A click on a message control (`block_actions`), by `action_id`.
protocol BlockActionHandler: Sendable {
    var actionID: String { get }
    /// Does what the click asks; a refusal is thrown as a ``DomainError`` and shown to whoever clicked.
    func handle(_ action: InteractionPayload.Action, _ context: SlackContext) async throws
}

/// A submitted modal (`view_submission`), by `callback_id`.
protocol ViewSubmissionHandler: Sendable {
    var callbackID: String { get }
    /// nil closes the modal; errors keep it open with each message under its block.
    func handle(_ view: InteractionPayload.View, _ context: SlackContext) async -> ViewErrorsResponse?
}

/// A slash command, by its name (`/create_incident`).
protocol SlashCommandHandler: Sendable {
    var command: String { get }
    /// nil answers nothing visible (a modal opened); otherwise the text shown only to the caller.
    func handle(_ command: SlashCommand, _ context: SlackContext) async -> String?
}

/// An Events API event, by type.
protocol EventHandler: Sendable {
    var eventType: String { get }
    func handle(_ envelope: EventEnvelope, _ context: SlackContext) async throws
}

/// What a handler works with: Herald's services for one request from `teamID`'s user `userID`.
struct SlackContext: Sendable {
    let services: HeraldServices
    let db: any Database
    let intake: EventIntake
    let logger: Logger
    var teamID: String?
    var userID: String?

    var incidents: IncidentService { IncidentService(intake: intake) }
    /// Slack's Web API for calls a person waits on, each bounded so the answer comes within
    /// Slack's 3 seconds (a modal's trigger lasts no longer anyway).
    var slack: SlackClient {
        let c = services.slack.interactive
        return SlackClient(baseURL: c.baseURL, transport: c.transport, timeout: Self.callTimeout, now: c.now)
    }
    static let callTimeout: Duration = .milliseconds(1200)
    var installations: SlackInstallationService { SlackInstallationService(services: services, db: db) }

    /// A Herald user acting from Slack.
    struct Actor: Sendable {
        var userID: UUID
        var email: String
        var orgID: UUID
    }

    /// The Herald user behind this request, if they may act on incidents of `orgID` (SPEC §6):
    /// the request's workspace must be the organization's, the Slack user's email a Herald user's,
    /// and that user a responder or more there. Each refusal is ``DomainError/actorRefused(_:)``.
    func actor(in orgID: UUID) async throws -> Actor {
        guard let teamID, let userID, let install = try await installations.installation(team: teamID),
              install.$organization.id == orgID
        else { throw DomainError.actorRefused(.notMember) }
        guard let token = try await installations.botToken(orgID: orgID) else { throw DomainError.actorRefused(.notMember) }
        guard let email = try await services.slack.users.email(team: teamID, user: userID, token: token, client: slack),
              let user = try await User.query(on: db).filter(\.$email == email).first()
        else { throw DomainError.actorRefused(.notLinked) }
        let (standing, _) = try await Access.standing(of: try user.requireID(), inOrg: orgID, on: db)
        switch AccessPolicy.decide(.actOnIncidents, for: standing) {
        case .allowed: return Actor(userID: try user.requireID(), email: email, orgID: orgID)
        case .hidden: throw DomainError.actorRefused(.notMember)
        case .forbidden: throw DomainError.actorRefused(.stakeholder)
        }
    }

    /// The organization whose app this request's workspace installed (slash commands, modals).
    func organization() async throws -> UUID {
        guard let teamID, let install = try await installations.installation(team: teamID) else {
            throw DomainError.actorRefused(.notMember)
        }
        return install.$organization.id
    }

    /// Forgets that `key` was done (its work failed, so a retry may do it).
    func release(_ key: String) async throws {
        try await services.storage.writeGate.transaction(db) { db in
            try await (db as! any SQLDatabase).delete(from: "slack_receipts").where("receipt_key", .equal, String(key.prefix(500))).run()
        }
    }

    /// Records that `key` was done; false when it already was (a Slack retry, a repeated payload).
    func claim(_ key: String) async throws -> Bool {
        let now = services.now()
        return try await services.storage.writeGate.transaction(db) { db in
            let sql = db as! any SQLDatabase
            // Receipts outlive any retry Slack makes (its last is minutes after the first).
            try await sql.delete(from: "slack_receipts").where("received_at", .lessThan, now.addingTimeInterval(-86_400)).run()
            let inserted = try await sql.raw("""
                INSERT INTO slack_receipts (receipt_key, received_at) VALUES (\(bind: String(key.prefix(500))), \(bind: now))
                ON CONFLICT (receipt_key) DO NOTHING RETURNING receipt_key
                """).all()
            return !inserted.isEmpty
        }
    }
}

/// The text Slack shows for a refusal: SPEC §6's exact words for who may not act, the domain's
/// own sentence otherwise. The one translation of ``DomainError`` for Slack.
enum SlackText {
    /// Logs what the person is told "has been logged": Herald's own failures, not their refusals.
    static func log(_ error: any Error, logger: Logger) {
        switch error {
        case DomainError.internalFailure(let detail): logger.error("Slack app: \(detail)")
        case is DomainError: break
        default: logger.report(error: error)
        }
    }

    static func message(for error: any Error) -> String {
        guard let domain = error as? DomainError else { return "Herald could not do that; the error has been logged." }
        switch domain {
        case .actorRefused(let refusal): return refusal.message
        case .notFound(let what, let detail, _): return detail ?? "\(what) not found in Herald."
        case .internalFailure: return "Herald could not do that; the error has been logged."
        case .invalid, .conflict, .forbidden: return domain.detail
        }
    }
}

/// Slack users' emails by workspace and user (`users.info`), cached: a responder clicking twice
/// costs one lookup. Entries live ``ttl`` seconds, so a changed email is seen soon enough.
final class SlackUserDirectory: Sendable {
    private let cache = NIOLockedValueBox<[String: (email: String?, at: Date)]>([:])
    let ttl: TimeInterval
    let now: @Sendable () -> Date

    init(ttl: TimeInterval = 600, now: @escaping @Sendable () -> Date) {
        self.ttl = ttl
        self.now = now
    }

    /// The user's email, lower-cased; nil when Slack has none for them (a bot, a hidden email) or
    /// does not know the user. Other Slack failures are thrown as a ``DomainError/conflict(_:field:)``.
    func email(team: String, user: String, token: String, client: SlackClient) async throws -> String? {
        let key = "\(team)|\(user)"
        let at = now()
        if let hit = cache.withLockedValue({ $0[key] }), at.timeIntervalSince(hit.at) < ttl { return hit.email }
        let email: String?
        do {
            email = try await client.usersInfo(token: token, user: user).email?.lowercased()
        } catch .api(.userNotFound, _) {
            email = nil
        } catch {
            throw DomainError.conflict("Herald could not look you up in Slack (\(error.code)); try again.")
        }
        cache.withLockedValue { c in
            if c.count > 10_000 { c.removeAll() }
            c[key] = (email, at)
        }
        return email
    }
}

/// Work Slack was already answered for (Bolt's lazy listeners): tracked so tests can wait for it
/// and shutdown lets it finish.
final class SlackAppWork: Sendable {
    private struct State {
        var running = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    /// Runs `work` after the answer has gone.
    func later(_ work: @escaping @Sendable () async -> Void) {
        state.withLockedValue { $0.running += 1 }
        Task {
            await work()
            let ready = self.state.withLockedValue { s -> [CheckedContinuation<Void, Never>] in
                s.running -= 1
                guard s.running == 0 else { return [] }
                defer { s.waiters = [] }
                return s.waiters
            }
            for waiter in ready { waiter.resume() }
        }
    }

    /// Nothing started by ``later(_:)`` is running.
    var isIdle: Bool { state.withLockedValue { $0.running == 0 } }

    /// Returns once nothing started by ``later(_:)`` is still running.
    func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLockedValue { s -> Bool in
                if s.running == 0 { return true }
                s.waiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}

/// At shutdown, the Slack app's work already answered for gets up to ``limit`` to finish (an
/// acknowledge Slack was told of is applied), before the database goes. Registered after the
/// database, so it runs before it (handlers run in reverse).
struct SlackAppWorkLifecycle: LifecycleHandler {
    static let limit: Duration = .seconds(10)

    func shutdownAsync(_ application: Application) async {
        let work = application.herald.slack.work
        let clock = ContinuousClock()
        let deadline = clock.now + Self.limit
        while !work.isIdle, clock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if !work.isIdle { application.logger.warning("stopping with Slack actions still running; Slack was already answered") }
    }
}
