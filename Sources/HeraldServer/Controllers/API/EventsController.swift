import Fluent
import Foundation
import HeraldCore
import Vapor

/// `POST /api/v1/events` and `POST /api/v1/alertmanager`, authenticated with a project event key.
struct EventsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("events", use: event)
        routes.post("alertmanager", use: alertmanager)
    }

    struct EventBody: Decodable {
        var type: String
        var action: String?
        var key: String?
        var title: String?
        var text: String?
        var description: String?
        var severity: String?
        var service: String?
        var tags: TagValues?
        var rule: String?
        var link: String?
        var at: String?
    }

    struct Accepted: Content {
        var id: String
        var incidentId: String?
        var outcome: String
    }

    func event(req: Request) async throws -> Response {
        let grant = try await Self.grant(for: req, allowQuery: false)
        let body = try await req.decodeJSON(EventBody.self)
        let event = try Self.validate(body)
        let result: IntakeResult
        do {
            result = try await EventIntake(req: req).accept(event, grant: grant)
        } catch IntakeError.keyRevoked {
            throw Self.unauthorized
        } catch IntakeError.noOpenIncident(let key) {
            throw Problem(.notFound, "No open incident has the key \"\(key.prefix(100))\"", field: "key")
        } catch IntakeError.refused(let incidentID, let reason) {
            throw Problem(.conflict, "Refused and recorded on incident \(incidentID.apiString): \(reason)", field: "action")
        }
        return try await Accepted(id: result.eventID.apiString, incidentId: result.incidentID?.apiString, outcome: result.outcome)
            .encodeResponse(status: .accepted, for: req)
    }

    static func validate(_ body: EventBody) throws -> IncomingEvent {
        var errors: [FieldError] = []
        let kind: IncomingEvent.Kind
        switch body.type {
        case "notification":
            kind = .notification
            if body.title?.trimmingCharacters(in: .whitespaces).isEmpty ?? true { errors.append(FieldError(field: "title", detail: "is required")) }
        case "incident":
            if let raw = body.action, let action = IncidentAction(rawValue: raw) {
                kind = .incident(action)
            } else {
                kind = .incident(.trigger)
                errors.append(FieldError(field: "action", detail: body.action == nil ? "is required" : "must be one of trigger, update, acknowledge, resolve"))
            }
            if body.key == nil { errors.append(FieldError(field: "key", detail: "is required")) }
        default:
            kind = .notification
            errors.append(FieldError(field: "type", detail: "must be \"notification\" or \"incident\""))
        }
        let event = IncomingEvent(
            kind: kind,
            key: EventValidation.key(body.key, errors: &errors),
            title: EventValidation.text(body.title, field: "title", max: EventValidation.maxTitle, errors: &errors),
            text: EventValidation.text(body.text ?? body.description, field: body.text != nil ? "text" : "description",
                                       max: EventValidation.maxText, errors: &errors),
            severity: EventValidation.severity(body.severity, errors: &errors),
            service: EventValidation.text(body.service, field: "service", max: 200, errors: &errors),
            tags: EventValidation.tags(body.tags?.values, errors: &errors),
            link: EventValidation.link(body.link, errors: &errors),
            rule: EventValidation.text(body.rule, field: "rule", max: 200, errors: &errors),
            at: EventValidation.time(body.at, errors: &errors),
            source: "api",
            actor: "api"
        )
        try Problem.throwIfInvalid(errors)
        return event
    }

    /// The project event key in `Authorization: Bearer`, or (Alertmanager) in `?key=`.
    static func grant(for req: Request, allowQuery: Bool) async throws -> EventKeyGrant {
        var key = req.headers.bearerAuthorization?.token
        if key == nil, allowQuery { key = req.query[String.self, at: "key"] }
        guard let key, let grant = try await EventKeyAuthenticator.grant(for: key, services: req.herald, on: req.db) else {
            throw unauthorized
        }
        return grant
    }

    static var unauthorized: Problem {
        var problem = Problem(.unauthorized, "A valid project event key is required: send Authorization: Bearer <event key>")
        problem.headers.replaceOrAdd(name: .wwwAuthenticate, value: "Bearer realm=\"herald-events\"")
        return problem
    }

    // MARK: Alertmanager (webhook payload version 4)

    struct AlertmanagerPayload: Decodable {
        var version: String?
        var status: String?
        var alerts: [Alert]

        struct Alert: Decodable {
            var status: String
            var labels: [String: String]
            var annotations: [String: String]?
            var startsAt: String?
            var endsAt: String?
            var generatorURL: String?
            var fingerprint: String?
        }
    }

    struct AlertmanagerResult: Content {
        var status: String
        var alerts: Int
        var results: [Accepted]
    }

    func alertmanager(req: Request) async throws -> Response {
        let grant = try await Self.grant(for: req, allowQuery: true)
        let projectID = grant.projectID
        let payload = try await req.decodeJSON(AlertmanagerPayload.self)
        if let version = payload.version, version != "4" {
            throw Problem(.unprocessableEntity, "Only Alertmanager webhook payload version 4 is supported", field: "version")
        }
        var events: [IncomingEvent] = []
        var errors: [FieldError] = []
        for (i, alert) in payload.alerts.enumerated() {
            guard ["firing", "resolved"].contains(alert.status) else {
                errors.append(FieldError(field: "alerts[\(i)].status", detail: "must be firing or resolved"))
                continue
            }
            events.append(Self.event(from: alert, index: i, errors: &errors))
        }
        try Problem.throwIfInvalid(errors)
        // A service label names a service only if the project has it.
        let known = Set(try await Service.query(on: req.db).filter(\.$project.$id == projectID).all().map(\.nameKey))
        for i in events.indices where events[i].service.map({ !known.contains($0.lowercased()) }) ?? false {
            events[i].service = nil
        }
        // All alerts of the payload are applied together, in order.
        var results: [Accepted] = []
        for outcome in try await EventIntake(req: req).accept(events, grant: grant) {
            switch outcome {
            case .success(let r):
                results.append(Accepted(id: r.eventID.apiString, incidentId: r.incidentID?.apiString, outcome: r.outcome))
            case .failure(IntakeError.noOpenIncident):
                results.append(Accepted(id: "", incidentId: nil, outcome: "ignored"))
            case .failure(IntakeError.refused(let id, _)):
                results.append(Accepted(id: "", incidentId: id.apiString, outcome: "refused"))
            case .failure(IntakeError.keyRevoked):
                throw Self.unauthorized
            case .failure(let error):
                throw error
            }
        }
        return try await AlertmanagerResult(status: "success", alerts: events.count, results: results).encodeResponse(status: .ok, for: req)
    }

    static func event(from alert: AlertmanagerPayload.Alert, index i: Int, errors: inout [FieldError]) -> IncomingEvent {
        let annotations = alert.annotations ?? [:]
        let firing = alert.status == "firing"
        let key = "alertmanager:" + (alert.fingerprint.flatMap { $0.isEmpty ? nil : $0 }
            ?? CredentialFactory.hash(alert.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")).prefix(16).description)
        let title = annotations["summary"] ?? annotations["title"] ?? alert.labels["alertname"] ?? "Alert"
        var ignored: [FieldError] = []
        return IncomingEvent(
            kind: .incident(firing ? .trigger : .resolve),
            key: key,
            title: String(title.prefix(EventValidation.maxTitle)),
            text: (annotations["description"] ?? annotations["message"]).map { String($0.prefix(EventValidation.maxText)) },
            severity: Severity(parsing: alert.labels["severity"]),
            service: alert.labels["service"],
            tags: alert.labels,
            link: EventValidation.link(alert.generatorURL, field: "alerts[\(i)].generatorURL", errors: &ignored),
            rule: alert.labels["herald_rule"],
            at: (firing ? alert.startsAt : alert.endsAt).flatMap(EventValidation.parseTime),
            source: "alertmanager",
            actor: "alertmanager"
        )
    }
}
