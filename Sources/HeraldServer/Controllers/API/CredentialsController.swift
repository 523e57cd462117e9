import Fluent
import HeraldCore
import Vapor

/// Project event keys and personal API tokens: created with a secret shown once, listed without
/// it, revoked by id. Only hashes are stored.
struct CredentialsController: RouteCollection {
    let factory: CredentialFactory

    func boot(routes: any RoutesBuilder) throws {
        routes.post("projects", ":p", "keys", use: createKey)
        routes.get("projects", ":p", "keys", use: keys)
        routes.delete("projects", ":p", "keys", ":id", use: revokeKey)
        routes.get("me", use: me)
        routes.post("me", "tokens", use: createToken)
        routes.get("me", "tokens", use: tokens)
        routes.delete("me", "tokens", ":id", use: revokeToken)
    }

    /// Reads an optional `{name}` body; an empty body is fine.
    private func optionalName(_ req: Request, default def: String) async throws -> String {
        guard let buffer = req.body.data, buffer.readableBytes > 0 else { return def }
        guard let raw = try await req.decodeJSON(OptionalNameBody.self).name else { return def }
        return try Validate.name(raw)
    }

    func createKey(req: Request) async throws -> Response {
        let (project, _) = try await req.project(.manageProject)
        let name = try await optionalName(req, default: "event key")
        let key = factory.make(.eventKey)
        let row = EventKey(projectID: try project.requireID(), name: name, keyHash: CredentialFactory.hash(key),
                           displayPrefix: CredentialFactory.displayPrefix(key), createdBy: try req.caller.userID)
        try await req.write { db in try await row.create(on: db) }
        req.logger.info("event key created", metadata: ["project": "\(project.id?.apiString ?? "")", "key": "\(row.displayPrefix)…"])
        return try await NewCredentialDTO(id: row.requireID().apiString, name: name, prefix: row.displayPrefix,
                                          createdAt: row.createdAt, key: key, token: nil)
            .encodeResponse(status: .created, for: req)
    }

    func keys(req: Request) async throws -> [CredentialDTO] {
        let (project, _) = try await req.project(.manageProject)
        return try await EventKey.query(on: req.db)
            .filter(\.$project.$id == project.requireID())
            .sort(\.$createdAt)
            .all()
            .map(CredentialDTO.init)
    }

    func revokeKey(req: Request) async throws -> HTTPStatus {
        let (project, _) = try await req.project(.manageProject)
        guard let id = req.uuid("id"),
              let key = try await EventKey.query(on: req.db)
                .filter(\.$id == id).filter(\.$project.$id == project.requireID()).first()
        else { throw Problem.notFound("Event key") }
        if key.revokedAt == nil {
            key.revokedAt = req.herald.now()
            try await req.write { db in try await key.save(on: db) }
        }
        try req.herald.security.eventKeys.forget(keyID: key.requireID())
        return .noContent
    }

    func me(req: Request) async throws -> UserDTO {
        try UserDTO(try req.caller.user)
    }

    func createToken(req: Request) async throws -> Response {
        let caller = try req.caller
        let name = try await optionalName(req, default: "api token")
        let factory = self.factory
        let (row, token) = try await req.write { db in try await APIToken.issue(for: caller.userID, name: name, factory: factory, on: db) }
        return try await NewCredentialDTO(id: row.requireID().apiString, name: name, prefix: row.displayPrefix,
                                          createdAt: row.createdAt, key: nil, token: token)
            .encodeResponse(status: .created, for: req)
    }

    func tokens(req: Request) async throws -> [CredentialDTO] {
        try await APIToken.query(on: req.db)
            .filter(\.$user.$id == req.caller.userID)
            .sort(\.$createdAt)
            .all()
            .map(CredentialDTO.init)
    }

    func revokeToken(req: Request) async throws -> HTTPStatus {
        guard let id = req.uuid("id"),
              let token = try await APIToken.query(on: req.db)
                .filter(\.$id == id).filter(\.$user.$id == req.caller.userID).first()
        else { throw Problem.notFound("API token") }
        if token.revokedAt == nil {
            token.revokedAt = req.herald.now()
            try await req.write { db in try await token.save(on: db) }
        }
        return .noContent
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
