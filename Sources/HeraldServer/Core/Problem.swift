import Foundation
import HeraldCore
import Vapor

/// An RFC 9457 problem: every error Herald answers with is one of these, as
/// `application/problem+json`. `field` names the input at fault when there is one.
struct Problem: Error, Sendable {
    var status: HTTPResponseStatus
    var detail: String
    var field: String?
    /// Further field errors when more than one input is at fault.
    var errors: [FieldError] = []
    var headers: HTTPHeaders = [:]

    init(_ status: HTTPResponseStatus, _ detail: String, field: String? = nil, errors: [FieldError] = []) {
        self.status = status
        self.detail = detail
        self.field = field
        self.errors = errors
    }

    static func notFound(_ what: String) -> Problem {
        Problem(.notFound, "\(what) not found")
    }

    static func forbidden(_ detail: String) -> Problem {
        Problem(.forbidden, detail)
    }

    static func invalid(_ error: FieldError) -> Problem {
        invalid([error])
    }

    /// A 422 naming every field at fault; `field` is the first.
    static func invalid(_ errors: [FieldError]) -> Problem {
        Problem(.unprocessableEntity, errors.map { "\($0.field): \($0.detail)" }.joined(separator: "; "),
                field: errors.first?.field, errors: errors)
    }

    /// Throws ``invalid(_:)-(FieldError)`` for the collected errors, if there are any.
    static func throwIfInvalid(_ errors: [FieldError]) throws {
        if !errors.isEmpty { throw invalid(errors) }
    }

    static func conflict(_ detail: String, field: String? = nil) -> Problem {
        Problem(.conflict, detail, field: field)
    }

    static var unauthorized: Problem {
        var p = Problem(.unauthorized, "A valid API token is required: send Authorization: Bearer <token>")
        p.headers.replaceOrAdd(name: .wwwAuthenticate, value: "Bearer realm=\"herald\"")
        return p
    }
}

/// The JSON body of a problem response.
struct ProblemBody: Content {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var instance: String?
    var field: String?
    var errors: [FieldError]?
}

extension Problem {
    /// The API's answer to a domain refusal: the one translation of ``DomainError`` to HTTP.
    init(_ error: DomainError) {
        let status: HTTPResponseStatus = switch error {
        case .notFound: .notFound
        case .invalid: .unprocessableEntity
        case .conflict: .conflict
        case .forbidden, .actorRefused: .forbidden
        case .internalFailure: .internalServerError
        }
        var errors: [FieldError] = []
        if case .invalid(let fields, _) = error { errors = fields }
        self.init(status, error.detail, field: error.field, errors: errors)
    }
}

extension FieldError {
    /// Field errors thrown by validation become 422 problems.
    var problem: Problem { .invalid(self) }
}
