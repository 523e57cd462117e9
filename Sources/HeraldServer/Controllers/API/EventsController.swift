import Fluent
import Foundation
import HeraldCore
import SlackAPI
import Vapor

/// `POST /api/v1/events` and `POST /api/v1/alertmanager`, authenticated with a project event key.
struct EventsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("events", use: event)
        routes.post("alertmanager", use: alertmanager)
    }

    struct Accepted: Content {
        var id: String
        var incidentId: String?
        var outcome: String
    }

    func event(req: Request) async throws -> Response {
        let grant = try await Self.grant(for: req, allowQuery: false)
        let event = try EventBody.validated(try await req.decodeJSON(EventBody.self))
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

    /// What Herald reads of a payload; the rest (group labels, receiver…) is not decoded at all.
    struct AlertmanagerPayload: Decodable {
        var version: String?
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
        var errors: [FieldError] = []
        for (i, alert) in payload.alerts.enumerated() where !["firing", "resolved"].contains(alert.status) {
            errors.append(FieldError(field: "alerts[\(i)].status", detail: "must be firing or resolved"))
            if errors.count == 20 { break }
        }
        try Problem.throwIfInvalid(errors)
        var events = payload.alerts.map(Self.event(from:))
        // A service label names a service only if the project has it (as the routing cache knows it).
        let entry = try await req.herald.routing.cache.entry(for: projectID, knowing: events.compactMap(\.service),
                                                             secrets: req.herald.security.secrets, now: req.herald.now(), on: req.db)
        for i in events.indices where events[i].service.map({ entry?.service($0) == nil }) ?? false {
            events[i].service = nil
        }
        let (applied, origins) = Self.collapse(events)
        // Applied in order, in chunks, so other requests go on meanwhile.
        var answers: [Accepted] = []
        for outcome in try await EventIntake(req: req).accept(applied, grant: grant) {
            switch outcome {
            case .success(let r):
                answers.append(Accepted(id: r.eventID.apiString, incidentId: r.incidentID?.apiString, outcome: r.outcome))
            case .failure(IntakeError.noOpenIncident):
                answers.append(Accepted(id: "", incidentId: nil, outcome: "ignored"))
            case .failure(IntakeError.refused(let id, _)):
                answers.append(Accepted(id: "", incidentId: id.apiString, outcome: "refused"))
            case .failure(IntakeError.keyRevoked):
                throw Self.unauthorized
            case .failure(is FieldError), .failure(IntakeError.unknownService), .failure(IntakeError.unknownRule):
                answers.append(Accepted(id: "", incidentId: nil, outcome: "invalid"))
            case .failure(let error):
                throw error
            }
        }
        let results = origins.map { origin in
            var answer = answers[origin.applied]
            if origin.collapsed { answer.outcome = "collapsed" }
            return answer
        }
        return try await AlertmanagerResult(status: "success", alerts: events.count, results: results).encodeResponse(status: .ok, for: req)
    }

    /// Alerts of one payload that share a key collapse to the last of them: only it is applied
    /// (Alertmanager sends each alert once per notification, so a repeat is a stale copy), and the
    /// earlier ones are recorded on its timeline, one entry per run of equal states. `origins[i]`
    /// says which applied event alert `i` went into, and whether it was collapsed.
    static func collapse(_ events: [IncomingEvent]) -> (applied: [IncomingEvent], origins: [(applied: Int, collapsed: Bool)]) {
        var last: [String: Int] = [:]
        for (i, event) in events.enumerated() { last[event.key ?? ""] = i }
        var earlier: [String: [IncidentAction]] = [:]
        var appliedIndex: [Int: Int] = [:]
        var applied: [IncomingEvent] = []
        for (i, event) in events.enumerated() {
            let key = event.key ?? ""
            guard last[key] == i else {
                if case .incident(let action) = event.kind { earlier[key, default: []].append(action) }
                continue
            }
            var kept = event
            kept.collapsed = CollapsedRun.runs(earlier[key] ?? [])
            appliedIndex[i] = applied.count
            applied.append(kept)
        }
        let origins = events.enumerated().map { i, event in
            (applied: appliedIndex[last[event.key ?? ""] ?? i] ?? 0, collapsed: last[event.key ?? ""] != i)
        }
        return (applied, origins)
    }

    /// One alert as an incident event, held to intake's limits without failing the payload (see
    /// the README): the key is `alertmanager:` + the fingerprint (or ``EventValidation/labelsKey(_:)``
    /// when it has none), or a hash-derived key when that is over the limit; display text and tags
    /// are cut with an ellipsis, their control characters shown as symbols, tags in NFC; over-long
    /// service and rule labels are ignored (no service or rule has such a name).
    static func event(from alert: AlertmanagerPayload.Alert) -> IncomingEvent {
        let annotations = alert.annotations ?? [:]
        let firing = alert.status == "firing"
        let labels = alert.labels
        let fingerprint = alert.fingerprint.flatMap { $0.isEmpty ? nil : $0 }
            ?? EventValidation.labelsKey(labels)
        let title = [annotations["summary"], annotations["title"], labels["alertname"]]
            .compactMap { $0 }.first { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } ?? "Alert"
        func reference(_ label: String) -> String? {
            labels[label].flatMap { EventValidation.scalars($0) <= EventValidation.maxReference ? $0 : nil }
        }
        var ignored: [FieldError] = []
        return IncomingEvent(
            kind: .incident(firing ? .trigger : .resolve),
            key: EventValidation.fittedKey(prefix: "alertmanager:", fingerprint),
            title: EventValidation.cut(title, max: EventValidation.maxTitle),
            text: (annotations["description"] ?? annotations["message"]).map { EventValidation.cut($0, max: EventValidation.maxText) },
            severity: labels["severity"].flatMap { $0.utf8.count <= 32 ? Severity(parsing: $0) : nil },
            service: reference("service"),
            tags: EventValidation.cutTags(labels),
            link: EventValidation.link(alert.generatorURL, errors: &ignored),
            rule: reference("herald_rule"),
            at: (firing ? alert.startsAt : alert.endsAt).flatMap(RFC3339.parseLenient),
            source: "alertmanager",
            actor: "alertmanager"
        )
    }
}

/// Alertmanager's webhook, read field by field (see ``JSONScanner``): the same fields as its
/// `Decodable` conformance, with the same rules (unknown keys ignored, optional ones absent or null).
extension EventsController.AlertmanagerPayload: JSONScannable {
    static func scan(_ s: inout JSONScanner) throws -> Self {
        var version: String?
        var alerts: [Alert]?
        try s.members { key, s in
            switch key {
            case "version": version = try s.optionalString()
            case "alerts":
                var list: [Alert] = []
                try s.elements { s in list.append(try Alert.scan(&s)) }
                alerts = list
            default: try s.skip()
            }
        }
        guard let alerts else { throw JSONScanner.Unreadable() }
        return Self(version: version, alerts: alerts)
    }
}

extension EventsController.AlertmanagerPayload.Alert {
    static func scan(_ s: inout JSONScanner) throws -> Self {
        var status: String?
        var labels: [String: String]?
        var alert = Self(status: "", labels: [:])
        try s.members { key, s in
            switch key {
            case "status": status = try s.string()
            case "labels": labels = try s.stringMap()
            case "annotations": alert.annotations = try s.null() ? nil : s.stringMap()
            case "startsAt": alert.startsAt = try s.optionalString()
            case "endsAt": alert.endsAt = try s.optionalString()
            case "generatorURL": alert.generatorURL = try s.optionalString()
            case "fingerprint": alert.fingerprint = try s.optionalString()
            default: try s.skip()
            }
        }
        guard let status, let labels else { throw JSONScanner.Unreadable() }
        alert.status = status
        alert.labels = labels
        return alert
    }
}
