import Fluent
import Foundation
import HeraldCore
import SlackAPI
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
            // Each field error once, named once; anything else (malformed JSON, a repeated key) in its own words.
            let messages = problem.errors.isEmpty ? [problem.detail] : problem.errors.map { "'\($0.field)' \($0.detail)" }
            return try await invalid(req, messages, status: problem.status == .payloadTooLarge ? .payloadTooLarge : .badRequest)
        }
        // Each field is checked whenever it is present, as the document states; what a trigger
        // needs (payload, summary, source, severity) only for a trigger.
        var errors: [String] = []
        let action = body.event_action.flatMap { IncidentAction(rawValue: $0) }.flatMap { $0 == .update ? nil : $0 }
        if action == nil { errors.append("'event_action' must be one of trigger, acknowledge, resolve") }
        if (body.routing_key ?? "").isEmpty { errors.append("'routing_key' is missing or blank") }
        var keyErrors: [FieldError] = []
        // A blank dedup_key on a trigger means none, as with PagerDuty: one is made up.
        let dedupKey = EventValidation.key(body.dedup_key, field: "dedup_key", errors: &keyErrors).flatMap { $0.isEmpty ? nil : $0 }
        errors += keyErrors.filter { !($0.detail == "must not be empty" && action == .trigger) }.map { "'\($0.field)' \($0.detail)" }
        if let action, action != .trigger, body.dedup_key == nil { errors.append("'dedup_key' is required for acknowledge and resolve") }
        var severity: Severity?
        var at: Date?
        let payload = body.payload
        if action == .trigger, payload == nil { errors.append("'payload' is missing") }
        if let payload {
            let isTrigger = action == .trigger
            if isTrigger, (payload.summary ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                errors.append("'payload.summary' is missing or blank")
            }
            if EventValidation.scalars(payload.summary ?? "") > Self.maxSummary {
                errors.append("'payload.summary' must be at most \(Self.maxSummary) characters")
            }
            if isTrigger, (payload.source ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                errors.append("'payload.source' is missing or blank")
            }
            if let raw = payload.severity {
                severity = ["critical", "error", "warning", "info"].contains(raw) ? Severity(rawValue: raw) : nil
                if severity == nil { errors.append("'payload.severity' must be one of critical, error, warning, info") }
            } else if isTrigger {
                errors.append("'payload.severity' must be one of critical, error, warning, info")
            }
            // A timestamp Herald cannot read is ignored (the time received stands), not refused.
            at = payload.timestamp.flatMap(RFC3339.parseLenient)
        }
        // source, component, group and class become tags: held to the tag limits, refused beyond them.
        let tagFields: [(String, String?)] = [("source", payload?.source), ("component", payload?.component),
                                               ("group", payload?.group), ("class", payload?.class)]
        var tags: [String: String] = [:]
        for (name, value) in tagFields {
            guard let value else { continue }
            if EventValidation.scalars(value) > EventValidation.maxTagValue {
                errors.append("'payload.\(name)' must be at most \(EventValidation.maxTagValue) characters")
            }
            tags[name] = EventValidation.cutTag(value)
        }
        guard errors.isEmpty, let action else { return try await invalid(req, errors) }
        guard let routingKey = body.routing_key,
              let grant = try await EventKeyAuthenticator.grant(for: routingKey, services: req.herald, on: req.db)
        else { return try await invalid(req, ["Invalid routing key"]) }

        let key = dedupKey ?? UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        var ignored: [FieldError] = []
        let event = IncomingEvent(
            kind: .incident(action),
            key: key,
            title: payload?.summary.map { EventValidation.cut($0, max: EventValidation.maxTitle) },
            // custom_details is display text: any size up to the body limit, shown cut with an ellipsis.
            text: payload?.custom_details.map { EventValidation.cut($0.describedAsLines, max: EventValidation.maxText) },
            severity: severity,
            tags: tags,
            link: EventValidation.link(body.links?.first?.href, errors: &ignored),
            // The alert rule, by id or name (an unknown one is noted on the incident's timeline).
            rule: EventValidation.reference(payload?.custom_details?["herald_rule"]?.string, field: "rule", errors: &ignored),
            at: at,
            source: "pagerduty",
            actor: payload?.source.map { EventValidation.cut($0, max: 200) } ?? "pagerduty"
        )
        do {
            _ = try await EventIntake(req: req).accept(event, grant: grant)
        } catch IntakeError.keyRevoked {
            return try await invalid(req, ["Invalid routing key"])
        } catch is IntakeError {
            // PagerDuty accepts acknowledge/resolve for unknown or resolved keys; Herald records
            // refusals on the incident and otherwise ignores them.
        }
        return try await Success(dedup_key: key).encodeResponse(status: .accepted, for: req)
    }

    /// PagerDuty's own limit on `payload.summary`.
    static let maxSummary = 1024

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
