import Fluent
import Foundation
import HeraldCore

/// Project event keys and personal API tokens: issued with a secret that is returned once and
/// never stored (only its hash and a display prefix), listed without it, revoked by id.
struct CredentialService: Sendable {
    let db: any Database
    let gate: WriteGate
    let factory: CredentialFactory
    let eventKeys: EventKeyCache
    let now: @Sendable () -> Date

    init(services: HeraldServices, db: any Database) {
        self.db = db
        self.gate = services.storage.writeGate
        self.factory = services.security.credentials
        self.eventKeys = services.security.eventKeys
        self.now = services.now
    }

    /// A new event key for the project; the key itself is in the answer only.
    func createEventKey(projectID: UUID, name: String, createdBy: UUID) async throws -> (EventKey, secret: String) {
        let key = factory.make(.eventKey)
        let row = EventKey(projectID: projectID, name: name, keyHash: CredentialFactory.hash(key),
                           displayPrefix: CredentialFactory.displayPrefix(key), createdBy: createdBy)
        try await gate.transaction(db) { db in try await row.create(on: db) }
        return (row, key)
    }

    func eventKeys(projectID: UUID) async throws -> [EventKey] {
        try await EventKey.query(on: db).filter(\.$project.$id == projectID).sort(\.$createdAt).all()
    }

    /// Revokes the project's key `id` (idempotent). It stops working in this process at once and in
    /// the others within a second (see ``EventKeyAuthenticator``).
    func revokeEventKey(id: UUID, projectID: UUID) async throws {
        guard let key = try await EventKey.query(on: db).filter(\.$id == id).filter(\.$project.$id == projectID).first()
        else { throw DomainError.notFound("Event key") }
        if key.revokedAt == nil {
            key.revokedAt = now()
            try await gate.transaction(db) { db in try await key.save(on: db) }
        }
        try eventKeys.forget(keyID: key.requireID())
    }

    /// A new API token for the user; the token itself is in the answer only.
    func createToken(userID: UUID, name: String) async throws -> (APIToken, secret: String) {
        let factory = self.factory
        return try await gate.transaction(db) { db in try await APIToken.issue(for: userID, name: name, factory: factory, on: db) }
    }

    func tokens(userID: UUID) async throws -> [APIToken] {
        try await APIToken.query(on: db).filter(\.$user.$id == userID).sort(\.$createdAt).all()
    }

    /// Revokes the user's token `id` (idempotent).
    func revokeToken(id: UUID, userID: UUID) async throws {
        guard let token = try await APIToken.query(on: db).filter(\.$id == id).filter(\.$user.$id == userID).first()
        else { throw DomainError.notFound("API token") }
        if token.revokedAt == nil {
            token.revokedAt = now()
            try await gate.transaction(db) { db in try await token.save(on: db) }
        }
    }
}

extension APIToken {
    /// Creates a new token for a user; returns the row and the token, which is never stored.
    static func issue(for userID: UUID, name: String, factory: CredentialFactory, on db: any Database) async throws -> (APIToken, String) {
        let token = factory.make(.apiToken)
        let row = APIToken(userID: userID, name: name, tokenHash: CredentialFactory.hash(token),
                           displayPrefix: CredentialFactory.displayPrefix(token))
        try await row.create(on: db)
        return (row, token)
    }
}
