import Fluent
import HeraldCore
import Vapor

/// Project event keys and personal API tokens: created with a secret shown once, listed without
/// it, revoked by id. Only hashes are stored.
struct CredentialsController: RouteCollection {
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
        let (row, key) = try await CredentialService(services: req.herald, db: req.db)
            .createEventKey(projectID: project.requireID(), name: name, createdBy: req.caller.userID)
        req.logger.info("event key created", metadata: ["project": "\(project.id?.apiString ?? "")", "key": "\(row.displayPrefix)…"])
        return try await NewCredentialDTO(id: row.requireID().apiString, name: name, prefix: row.displayPrefix,
                                          createdAt: row.createdAt, key: key, token: nil)
            .encodeResponse(status: .created, for: req)
    }

    func keys(req: Request) async throws -> [CredentialDTO] {
        let (project, _) = try await req.project(.manageProject)
        return try await CredentialService(services: req.herald, db: req.db).eventKeys(projectID: project.requireID()).map(CredentialDTO.init)
    }

    func revokeKey(req: Request) async throws -> HTTPStatus {
        let (project, _) = try await req.project(.manageProject)
        guard let id = req.uuid("id") else { throw Problem.notFound("Event key") }
        try await CredentialService(services: req.herald, db: req.db).revokeEventKey(id: id, projectID: project.requireID())
        return .noContent
    }

    func me(req: Request) async throws -> UserDTO {
        try UserDTO(try req.caller.user)
    }

    func createToken(req: Request) async throws -> Response {
        let name = try await optionalName(req, default: "api token")
        let (row, token) = try await CredentialService(services: req.herald, db: req.db).createToken(userID: req.caller.userID, name: name)
        return try await NewCredentialDTO(id: row.requireID().apiString, name: name, prefix: row.displayPrefix,
                                          createdAt: row.createdAt, key: nil, token: token)
            .encodeResponse(status: .created, for: req)
    }

    func tokens(req: Request) async throws -> [CredentialDTO] {
        try await CredentialService(services: req.herald, db: req.db).tokens(userID: req.caller.userID).map(CredentialDTO.init)
    }

    func revokeToken(req: Request) async throws -> HTTPStatus {
        guard let id = req.uuid("id") else { throw Problem.notFound("API token") }
        try await CredentialService(services: req.herald, db: req.db).revokeToken(id: id, userID: req.caller.userID)
        return .noContent
    }
}
