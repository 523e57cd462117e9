import FluentKit
import Foundation
import HeraldCore
import Vapor

/// Turns every error into an RFC 9457 `application/problem+json` response and logs server faults.
/// Replaces Vapor's `ErrorMiddleware`, whose `{error, reason}` body is not what the API promises.
struct ProblemMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return Self.response(for: error, request: request)
        }
    }

    static func response(for error: any Error, request: Request) -> Response {
        let problem = Self.problem(for: error, request: request)
        let body = ProblemBody(
            type: "about:blank",
            title: problem.status.reasonPhrase,
            status: Int(problem.status.code),
            detail: problem.detail,
            instance: request.url.path,
            field: problem.field,
            errors: problem.errors.isEmpty ? nil : problem.errors
        )
        var headers = problem.headers
        headers.replaceOrAdd(name: .contentType, value: "application/problem+json")
        let response = Response(status: problem.status, headers: headers)
        response.body = .init(data: Data(encode(body)))
        return response
    }

    /// A problem's JSON, keys sorted.
    static func encode(_ body: ProblemBody) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? Array(encoder.encode(body))) ?? Array("{\"status\":500,\"title\":\"Internal Server Error\"}".utf8)
    }

    static func problem(for error: any Error, request: Request) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let domain as DomainError:
            if case .internalFailure(let detail) = domain { request.logger.error("\(detail)") }
            return Problem(domain)
        case let fieldError as FieldError:
            return fieldError.problem
        case IntakeError.unknownService(let name):
            return Problem(.notFound, "No service \"\(name.prefix(100))\" in this project", field: "service")
        case IntakeError.unknownRule(let name):
            return Problem(.notFound, "No alert rule \"\(name.prefix(100))\" in this project", field: "rule")
        case is RouteNotFound:
            // A known path with another method is a 405 that says which methods it serves.
            guard let methods = request.application.herald.allowedMethods.methods(at: request.url.path, in: request.application.routes)
            else { return Problem(.notFound, "No such route") }
            let allow = methods.joined(separator: ", ")
            var p = Problem(.methodNotAllowed, "\(request.method.rawValue) is not allowed here; this path allows \(allow)")
            p.headers.replaceOrAdd(name: .allow, value: allow)
            return p
        case let db as any DatabaseError where db.isConstraintFailure:
            // Unique constraints lost to a concurrent writer.
            request.logger.info("constraint failure: \(String(reflecting: db))")
            return Problem(.conflict, "The request conflicts with existing data (it may already exist)")
        case let abort as any AbortError:
            var p = Problem(abort.status, Self.detail(for: abort))
            p.headers = abort.headers
            if abort.status.code >= 500 { request.logger.error("\(abort.status.code): \(abort.reason)") }
            return p
        default:
            request.logger.report(error: error)
            return Problem(.internalServerError, "An internal error occurred; it has been logged")
        }
    }

    /// Vapor's built-in aborts (404 route, 413 body too large, 415) get details that say what to do.
    private static func detail(for abort: any AbortError) -> String {
        switch abort.status {
        case .payloadTooLarge: HTTPConnectionHandler.tooLarge
        case .notFound where abort.reason == "Not Found": "No such route"
        default: abort.reason
        }
    }
}
