import Fluent
import SQLKit
import Vapor

/// `GET /healthz`, `GET /metrics`, `GET /openapi.json`.
struct SystemController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("healthz", use: health)
        routes.get("metrics", use: metrics)
        routes.get("openapi.json", use: openAPI)
    }

    struct Health: Content {
        var status: String
        var database: String
    }

    /// 200 when the database answers, else a 503 problem.
    func health(req: Request) async throws -> Health {
        guard let sql = req.db as? any SQLDatabase else { throw Problem(.serviceUnavailable, "database is not SQL") }
        do {
            _ = try await sql.raw("SELECT 1 AS ok").first()
        } catch {
            req.logger.warning("health check: database unreachable: \(String(describing: error))")
            throw Problem(.serviceUnavailable, "The database does not answer")
        }
        return Health(status: "ok", database: "ok")
    }

    func metrics(req: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        return Response(status: .ok, headers: headers, body: .init(string: req.herald.metrics.exposition()))
    }

    func openAPI(req: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(data: try OpenAPIDocument.data()))
    }
}

/// The OpenAPI 3.1 document, `Resources/openapi.json` in the module's bundle, read once.
enum OpenAPIDocument {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "the OpenAPI document (openapi.json) is missing from Herald's resource bundle" }
    }

    private static let loaded: Data? = Bundle.module.url(forResource: "openapi", withExtension: "json")
        .flatMap { try? Data(contentsOf: $0) }

    static func data() throws -> Data {
        guard let loaded else { throw Missing() }
        return loaded
    }
}
