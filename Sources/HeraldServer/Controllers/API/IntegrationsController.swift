import Fluent
import Foundation
import HeraldCore
import HeraldSinks
import Vapor

/// A project's integrations (SPEC §8): create, list, show, change, delete, test. Secrets are
/// write-only: answers say only that one is configured, and its fingerprint.
struct IntegrationsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("projects", ":p", "integrations", use: create)
        routes.get("projects", ":p", "integrations", use: list)
        routes.get("integrations", ":i", use: show)
        routes.patch("integrations", ":i", use: update)
        routes.delete("integrations", ":i", use: delete)
        routes.post("integrations", ":i", "test", use: test)
    }

    func create(req: Request) async throws -> Response {
        let (project, _) = try await req.project(.manageProject)
        let service = IntegrationService(services: req.herald, db: req.db)
        let spec = try service.validate(try await req.decodeJSON(IntegrationService.Body.self))
        let integration = try await service.create(projectID: try project.requireID(), spec)
        req.logger.info("integration created", metadata: ["integration": "\(integration.id?.apiString ?? "-")", "sink": "\(spec.sink)"])
        return try await IntegrationDTO(integration, service: service).encodeResponse(status: .created, for: req)
    }

    func list(req: Request) async throws -> [IntegrationDTO] {
        let (project, _) = try await req.project(.readProject)
        let service = IntegrationService(services: req.herald, db: req.db)
        return try await Integration.query(on: req.db).filter(\.$project.$id == project.requireID())
            .sort(\.$createdAt).sort(\.$id).all().map { try IntegrationDTO($0, service: service) }
    }

    func show(req: Request) async throws -> IntegrationDTO {
        let (integration, _) = try await req.integration(.readProject)
        return try IntegrationDTO(integration, service: IntegrationService(services: req.herald, db: req.db))
    }

    func update(req: Request) async throws -> IntegrationDTO {
        let (integration, _) = try await req.integration(.manageProject)
        let service = IntegrationService(services: req.herald, db: req.db)
        let body = try await req.decodeJSON(IntegrationService.Body.self)
        let stored: SinkCredential?
        do {
            stored = try service.credential(of: integration)
        } catch {
            // Saving now would drop the secret it cannot read: its secrets must be given again.
            let given = body.sink.map { $0.url != nil || $0.token != nil || $0.authToken != nil } ?? false
            guard given else {
                throw Problem.invalid(FieldError(field: "sink",
                                                 detail: "the stored secrets cannot be opened (was HERALD_SECRET_KEY changed?); give the sink's URL and secrets again"))
            }
            stored = nil
        }
        let spec = try service.validate(body, existing: (integration, stored))
        try await service.update(integration, spec)
        return try IntegrationDTO(integration, service: service)
    }

    func delete(req: Request) async throws -> HTTPStatus {
        let (integration, _) = try await req.integration(.manageProject)
        let cancelled = try await IntegrationService(services: req.herald, db: req.db).delete(integration)
        req.logger.info("integration deleted", metadata: ["integration": "\(integration.id?.apiString ?? "-")",
                                                          "cancelled_deliveries": "\(cancelled)"])
        return .noContent
    }

    struct TestResults: Content {
        var results: [Result]

        struct Result: Content {
            /// The channel the sink posted to (nil for a webhook, which has its own).
            var channel: String?
            var ok: Bool
            /// The sink's own code: Slack's error (`channel_not_found`), `http_404`, `timeout`…
            var error: String?
            /// Its text: the HTTP status and a short summary of the body, without secrets.
            var detail: String?
        }
    }

    func test(req: Request) async throws -> TestResults {
        let (integration, project) = try await req.integration(.manageProject)
        let outcome = try await IntegrationService(services: req.herald, db: req.db)
            .sendTest(integration, projectName: project.name, sender: try req.caller.user.email)
        req.logger.info("integration test message sent", metadata: ["integration": "\(integration.id?.apiString ?? "-")",
                                                                     "ok": "\(outcome.ok)", "error": "\(outcome.error ?? "-")"])
        return TestResults(results: [.init(channel: integration.target.isEmpty ? nil : integration.target, ok: outcome.ok,
                                           error: outcome.error, detail: outcome.detail)])
    }
}

extension Request {
    /// The integration named by the `i` path parameter, if the caller may do `permission` on its project.
    func integration(_ permission: Permission) async throws -> (Integration, Project) {
        guard let id = uuid("i"), let integration = try await Integration.query(on: db).filter(\.$id == id).with(\.$project).first()
        else { throw Problem.notFound("Integration") }
        try await enforce(permission, onProject: integration.project, notFound: "Integration")
        return (integration, integration.project)
    }
}

/// An integration as the API shows it: its sink's settings without any secret.
struct IntegrationDTO: Content {
    var id: String
    var projectId: String
    var name: String
    var source: String
    var sink: SinkDTO
    var lastDelivery: LastDelivery?
    var createdAt: Date
    var updatedAt: Date

    struct SinkDTO: Content {
        var type: String
        var channel: String?
        /// `slack`: a token of its own (else the project's effective token is used).
        var tokenConfigured: Bool?
        /// The URL is the secret: only whether one is stored.
        var urlConfigured: Bool?
        var authTokenConfigured: Bool?
        var secretConfigured: Bool?
        /// A short fingerprint of the stored secrets, to tell two apart.
        var fingerprint: String?
        /// `slack`: updates are also posted in the living message's thread.
        var threadUpdates: Bool?
    }

    struct LastDelivery: Content {
        var outcome: String
        var error: String?
        var at: Date
    }

    init(_ integration: Integration, service: IntegrationService) throws {
        id = try integration.requireID().apiString
        projectId = integration.$project.id.apiString
        name = integration.name
        source = integration.source
        createdAt = integration.createdAt
        updatedAt = integration.updatedAt
        let credential = try? service.credential(of: integration)
        var sink = SinkDTO(type: integration.sink, fingerprint: integration.credentialFingerprint.map { String($0.prefix(8)) })
        switch SinkType(integration.sink) {
        case .slack:
            sink.channel = integration.target
            sink.tokenConfigured = integration.credentialSealed != nil
            sink.threadUpdates = integration.threadUpdates
        case .slackWebhook:
            sink.channel = integration.target.isEmpty ? nil : integration.target
            sink.urlConfigured = credential?.url != nil
        case .hipchat:
            sink.urlConfigured = credential?.url != nil
            if case .room(_, let token) = credential { sink.authTokenConfigured = !token.isEmpty } else { sink.authTokenConfigured = false }
        case .webhook:
            sink.urlConfigured = credential?.url != nil
            if case .signed(_, let secret) = credential { sink.secretConfigured = secret != nil } else { sink.secretConfigured = false }
        default:
            sink.urlConfigured = credential?.url != nil
        }
        self.sink = sink
        if let outcome = integration.lastOutcome, let at = integration.lastOutcomeAt {
            lastDelivery = LastDelivery(outcome: outcome, error: integration.lastError, at: at)
        }
    }
}
