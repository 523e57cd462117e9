import Fluent
import Foundation
import HeraldCore
import SlackSandbox
import Vapor

/// `POST /v2/enqueue`: the PagerDuty Events API v2, so existing PagerDuty senders work unchanged.
/// The `routing_key` is a Herald project event key. Answers the way PagerDuty does.
struct PagerDutyController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("v2", "enqueue", use: enqueue)
    }

    struct Body: Decodable {
        var routing_key: String?
        var event_action: String?
        var dedup_key: String?
        var payload: Payload?
        var links: [Link]?

        struct Payload: Decodable {
            var summary: String?
            var source: String?
            var severity: String?
            var timestamp: String?
            var component: String?
            var group: String?
            var `class`: String?
            var custom_details: JSONValue?
        }

        struct Link: Decodable {
            var href: String?
            var text: String?
        }
    }

    struct Success: Content {
        var status = "success"
        var message = "Event processed"
        var dedup_key: String
    }

    struct Invalid: Content {
        var status = "invalid event"
        var message = "Event object is invalid"
        var errors: [String]
    }

    func enqueue(req: Request) async throws -> Response {
        let body: Body
        do {
            body = try await req.decodeJSON(Body.self)
        } catch let problem as Problem {
            return try await invalid(req, [problem.field.map { "\($0): \(problem.detail)" } ?? problem.detail], status: problem.status == .payloadTooLarge ? .payloadTooLarge : .badRequest)
        }
        var errors: [String] = []
        let action = body.event_action.flatMap { ["trigger", "acknowledge", "resolve"].contains($0) ? $0 : nil }
        if action == nil { errors.append("'event_action' must be one of trigger, acknowledge, resolve") }
        if (body.routing_key ?? "").isEmpty { errors.append("'routing_key' is missing or blank") }
        if let key = body.dedup_key, key.count > 255 { errors.append("'dedup_key' must be at most 255 characters") }
        if action != "trigger", (body.dedup_key ?? "").isEmpty { errors.append("'dedup_key' is required for acknowledge and resolve") }
        var severity: Severity?
        var at: Date?
        if action == "trigger" {
            guard let payload = body.payload else {
                errors.append("'payload' is missing")
                return try await invalid(req, errors)
            }
            if (payload.summary ?? "").trimmingCharacters(in: .whitespaces).isEmpty { errors.append("'payload.summary' is missing or blank") }
            if (payload.summary ?? "").count > 1024 { errors.append("'payload.summary' must be at most 1024 characters") }
            if (payload.source ?? "").trimmingCharacters(in: .whitespaces).isEmpty { errors.append("'payload.source' is missing or blank") }
            if let raw = payload.severity, ["critical", "error", "warning", "info"].contains(raw) { severity = Severity(rawValue: raw) } else {
                errors.append("'payload.severity' must be one of critical, error, warning, info")
            }
            if let ts = payload.timestamp {
                at = EventValidation.parseTime(ts)
                if at == nil { errors.append("'payload.timestamp' must be an ISO 8601 time") }
            }
        }
        guard errors.isEmpty, let action else { return try await invalid(req, errors) }
        guard let routingKey = body.routing_key,
              let grant = try await EventKeyAuthenticator.grant(for: routingKey, services: req.herald, on: req.db)
        else { return try await invalid(req, ["Invalid routing key"]) }

        let dedupKey = body.dedup_key.flatMap { $0.isEmpty ? nil : $0 } ?? UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let payload = body.payload
        var tags: [String: String] = [:]
        if let s = payload?.source { tags["source"] = s }
        if let c = payload?.component { tags["component"] = c }
        if let g = payload?.group { tags["group"] = g }
        if let c = payload?.class { tags["class"] = c }
        var ignored: [FieldError] = []
        let event = IncomingEvent(
            kind: .incident(IncidentAction(rawValue: action)!),
            key: dedupKey,
            title: payload?.summary.map { String($0.prefix(EventValidation.maxTitle)) },
            text: payload?.custom_details.map { String($0.describedAsLines.prefix(EventValidation.maxText)) },
            severity: severity,
            tags: tags,
            link: EventValidation.link(body.links?.first?.href, errors: &ignored),
            at: at,
            source: "pagerduty",
            actor: payload?.source ?? "pagerduty"
        )
        do {
            _ = try await EventIntake(req: req).accept(event, grant: grant)
        } catch IntakeError.keyRevoked {
            return try await invalid(req, ["Invalid routing key"])
        } catch is IntakeError {
            // PagerDuty accepts acknowledge/resolve for unknown or resolved keys; Herald records
            // refusals on the incident and otherwise ignores them.
        }
        return try await Success(dedup_key: dedupKey).encodeResponse(status: .accepted, for: req)
    }

    private func invalid(_ req: Request, _ errors: [String], status: HTTPStatus = .badRequest) async throws -> Response {
        try await Invalid(errors: errors).encodeResponse(status: status, for: req)
    }
}

/// PagerDuty's `custom_details` (any JSON) shown as `key: value` lines in the description.
extension JSONValue {
    var compact: String {
        switch self {
        case .string(let s): s
        case .number(let n): n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .bool(let b): String(b)
        case .null: "null"
        case .array(let a): "[" + a.map(\.compact).joined(separator: ", ") + "]"
        case .object(let o): "{" + o.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.compact)" }.joined(separator: ", ") + "}"
        }
    }

    var describedAsLines: String {
        if case .object(let o) = self {
            return o.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.compact)" }.joined(separator: "\n")
        }
        return compact
    }
}
