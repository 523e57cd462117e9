import Fluent
import Foundation
import HeraldCore
import Vapor

/// The authenticated user of an API call, and the token they used.
struct Caller: Authenticatable, Sendable {
    var user: User
    var userID: UUID
    var tokenID: UUID
}

/// Resolves `Authorization: Bearer <personal API token>` to a ``Caller`` by the token's hash.
struct APITokenAuthenticator: AsyncBearerAuthenticator {
    func authenticate(bearer: BearerAuthorization, for request: Request) async throws {
        guard let caller = try await Self.caller(for: bearer.token, on: request.db, gate: request.herald.writeGate) else { return }
        request.auth.login(caller)
    }

    static func caller(for token: String, on db: any Database, gate: WriteGate) async throws -> Caller? {
        guard token.hasPrefix(CredentialKind.apiToken.rawValue) || token.count >= 32 else { return nil }
        guard let row = try await APIToken.query(on: db)
            .filter(\.$tokenHash == CredentialFactory.hash(token))
            .filter(\.$revokedAt == nil)
            .with(\.$user)
            .first(),
            let tokenID = row.id, let userID = row.user.id
        else { return nil }
        // Record use at most once a minute, to keep reads cheap.
        if (row.lastUsedAt ?? .distantPast) < Date().addingTimeInterval(-60) {
            row.lastUsedAt = Date()
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

/// Resolves a project event key to its project. Revoked keys resolve to nothing.
enum EventKeyAuthenticator {
    static func project(for key: String, on db: any Database) async throws -> (EventKey, UUID)? {
        guard let row = try await EventKey.query(on: db)
            .filter(\.$keyHash == CredentialFactory.hash(key))
            .filter(\.$revokedAt == nil)
            .first()
        else { return nil }
        return (row, row.$project.id)
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
