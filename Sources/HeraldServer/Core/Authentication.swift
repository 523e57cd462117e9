import Fluent
import Foundation
import HeraldCore
import NIOConcurrencyHelpers
import Vapor

/// The authenticated user of a request, and how they proved it: an API token, or a web session
/// (whose forms carry its CSRF token). Both pass the same ``Access`` checks.
struct Caller: Authenticatable, Sendable {
    var user: User
    var userID: UUID
    /// The API token used, for a bearer caller.
    var tokenID: UUID? = nil
    /// The web session, for a signed-in browser.
    var session: AccountService.Session? = nil
}

/// Resolves the session cookie of a signed-in browser to a ``Caller``.
struct SessionAuthenticator: AsyncMiddleware {
    static let cookie = "herald_session"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if !request.auth.has(Caller.self), let value = request.cookies[Self.cookie]?.string,
           let session = try await AccountService(services: request.herald, db: request.db, threadPool: request.application.threadPool)
            .session(cookie: value) {
            request.auth.login(Caller(user: session.user, userID: session.userID, session: session))
        }
        return try await next.respond(to: request)
    }
}

/// Refuses a state-changing request of a signed-in browser whose form does not carry the session's
/// CSRF token (field `csrf`, or header `X-CSRF-Token`): `403`, nothing changed. Bearer callers carry
/// no ambient credential and need none.
struct RequireCSRF: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if ![.GET, .HEAD, .OPTIONS].contains(request.method), let session = request.auth.get(Caller.self)?.session {
            let sent = request.headers.first(name: "X-CSRF-Token") ?? (try? request.content.get(String.self, at: "csrf"))
            guard let sent, Self.same(sent, session.csrfToken) else {
                throw Problem(.forbidden, "The form is missing its security token (CSRF); reload the page and try again", field: "csrf")
            }
        }
        return try await next.respond(to: request)
    }

    /// Constant-time comparison.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Resolves `Authorization: Bearer <personal API token>` to a ``Caller`` by the token's hash.
struct APITokenAuthenticator: AsyncBearerAuthenticator {
    func authenticate(bearer: BearerAuthorization, for request: Request) async throws {
        guard let caller = try await Self.caller(for: bearer.token, on: request.db, gate: request.herald.storage.writeGate,
                                                 now: request.herald.now()) else { return }
        request.auth.login(caller)
    }

    static func caller(for token: String, on db: any Database, gate: WriteGate, now: Date) async throws -> Caller? {
        guard token.hasPrefix(CredentialKind.apiToken.rawValue) || token.count >= 32 else { return nil }
        guard let row = try await APIToken.query(on: db)
            .filter(\.$tokenHash == CredentialFactory.hash(token))
            .filter(\.$revokedAt == nil)
            .with(\.$user)
            .first(),
            let tokenID = row.id, let userID = row.user.id
        else { return nil }
        // Record use at most once a minute, to keep reads cheap.
        if (row.lastUsedAt ?? .distantPast) < now.addingTimeInterval(-60) {
            row.lastUsedAt = now
            try await gate.transaction(db) { db in try await row.save(on: db) }
        }
        return Caller(user: row.user, userID: userID, tokenID: tokenID)
    }
}

/// Refuses calls without a valid API token with a `401` problem.
struct RequireCaller: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.auth.has(Caller.self) else { throw Problem.unauthorized }
        return try await next.respond(to: request)
    }
}

/// A project event key that authenticated a request.
struct EventKeyGrant: Sendable {
    var keyID: UUID
    var projectID: UUID
}

/// Resolves a project event key to its project. Revoked keys resolve to nothing.
///
/// Known keys are remembered for a short while (every event would otherwise read the same row).
/// A revocation still takes effect at once in the process that made it, and within a second in
/// the others: intake checks that the key is unrevoked in the transaction that stores the event
/// when it has not seen it unrevoked in the last second (see ``EventIntake/applyBatch(_:)``).
enum EventKeyAuthenticator {
    /// `db` is asked for only when the key is not in the cache (making a request's database has a cost).
    static func grant(for key: String, services: HeraldServices, on makeDB: @autoclosure () -> any Database) async throws -> EventKeyGrant? {
        guard !key.isEmpty, key.count < 200 else { return nil }
        let hash = CredentialFactory.hash(key)
        let now = services.now()
        if let cached = services.security.eventKeys.lookup(hash, now: now) { return cached }
        let db = makeDB()
        guard let row = try await EventKey.query(on: db)
            .filter(\.$keyHash == hash)
            .filter(\.$revokedAt == nil)
            .first()
        else { return nil }
        let grant = EventKeyGrant(keyID: try row.requireID(), projectID: row.$project.id)
        // Record use at most once a minute (on a cache miss, so at most once per cache lifetime).
        if (row.lastUsedAt ?? .distantPast) < now.addingTimeInterval(-60) {
            row.lastUsedAt = now
            try? await services.storage.writeGate.transaction(db) { db in try await row.save(on: db) }
        }
        services.security.eventKeys.remember(hash, grant, now: now)
        return grant
    }
}

/// Event keys known to be valid, by hash, for ``ttl`` seconds; and when the database last said
/// each was unrevoked.
final class EventKeyCache: Sendable {
    private let entries = NIOLockedValueBox<[String: (grant: EventKeyGrant, at: Date)]>([:])
    private let verified = NIOLockedValueBox<[UUID: Date]>([:])
    let ttl: TimeInterval
    /// How long a key read as unrevoked counts as unrevoked.
    let recheck: TimeInterval
    private let capacity = 10_000

    init(ttl: TimeInterval = 60, recheck: TimeInterval = 1) {
        self.ttl = ttl
        self.recheck = recheck
    }

    /// The keys of `ids` that the database said were unrevoked less than ``recheck`` ago.
    func recentlyVerified(_ ids: Set<UUID>, now: Date) -> Set<UUID> {
        verified.withLockedValue { v in ids.filter { v[$0].map { now.timeIntervalSince($0) < recheck } ?? false } }
    }

    func markVerified(_ ids: Set<UUID>, at: Date) {
        verified.withLockedValue { v in
            if v.count >= capacity { v.removeAll() }
            for id in ids { v[id] = at }
        }
    }

    func lookup(_ hash: String, now: Date) -> EventKeyGrant? {
        entries.withLockedValue { entries in
            guard let hit = entries[hash], now.timeIntervalSince(hit.at) < ttl else { return nil }
            return hit.grant
        }
    }

    func remember(_ hash: String, _ grant: EventKeyGrant, now: Date) {
        entries.withLockedValue { entries in
            if entries.count >= capacity { entries = entries.filter { now.timeIntervalSince($0.value.at) < ttl } }
            if entries.count >= capacity { entries.removeAll() }
            entries[hash] = (grant, now)
        }
    }

    /// Forgets a revoked key at once in this process.
    func forget(keyID: UUID) {
        entries.withLockedValue { entries in entries = entries.filter { $0.value.grant.keyID != keyID } }
        verified.withLockedValue { _ = $0.removeValue(forKey: keyID) }
    }
}

extension Request {
    /// The authenticated caller; routes behind ``RequireCaller`` always have one.
    var caller: Caller {
        get throws {
            guard let caller = auth.get(Caller.self) else { throw Problem.unauthorized }
            return caller
        }
    }
}
