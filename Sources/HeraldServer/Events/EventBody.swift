import Foundation
import HeraldCore
import SlackAPI

/// Herald's event body (`POST /api/v1/events`, SPEC §8), as sent, before its rules are applied.
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

extension EventBody {
    /// The body's rules, exactly those of the document's `EventBody`: a notification and a trigger
    /// need a title that is not blank, an incident needs an action and a key.
    static func validated(_ body: EventBody) throws(DomainError) -> IncomingEvent {
        var errors: [FieldError] = []
        // Every field is checked when present, whatever the type says it is for.
        let action = body.action.flatMap(IncidentAction.init(rawValue:))
        if body.action != nil, action == nil {
            errors.append(FieldError(field: "action", detail: "must be one of trigger, update, acknowledge, resolve"))
        }
        let kind: IncomingEvent.Kind
        switch body.type {
        case "notification":
            kind = .notification
        case "incident":
            kind = .incident(action ?? .trigger)
            if body.action == nil { errors.append(FieldError(field: "action", detail: "is required")) }
            if body.key == nil { errors.append(FieldError(field: "key", detail: "is required")) }
        default:
            kind = .notification
            errors.append(FieldError(field: "type", detail: "must be \"notification\" or \"incident\""))
        }
        let title = EventValidation.text(body.title, field: "title", max: EventValidation.maxTitle, errors: &errors)
        if title == nil, body.type == "notification" || (body.type == "incident" && body.action == "trigger") {
            errors.append(FieldError(field: "title", detail: "is required (and not blank) for a \(kind == .notification ? "notification" : "trigger")"))
        }
        let text = EventValidation.text(body.text, field: "text", max: EventValidation.maxText, errors: &errors)
        let description = EventValidation.text(body.description, field: "description", max: EventValidation.maxText, errors: &errors)
        let event = IncomingEvent(
            kind: kind,
            key: EventValidation.key(body.key, errors: &errors),
            title: title,
            text: text ?? description,
            severity: EventValidation.severity(body.severity, errors: &errors),
            service: EventValidation.reference(body.service, field: "service", errors: &errors),
            tags: EventValidation.tags(body.tags?.values, errors: &errors),
            link: EventValidation.link(body.link, errors: &errors),
            rule: EventValidation.reference(body.rule, field: "rule", errors: &errors),
            at: EventValidation.time(body.at, errors: &errors),
            source: "api",
            actor: "api"
        )
        try DomainError.throwIfInvalid(errors)
        return event
    }
}

/// An event of Herald's own API, read field by field (see ``JSONScanner``): the same fields as its
/// `Decodable` conformance. Tags that are not all strings (numbers and booleans are written out as
/// text) are left to `JSONDecoder`.
extension EventBody: JSONScannable {
    static func scan(_ s: inout JSONScanner) throws -> Self {
        var type: String?
        var body = Self(type: "")
        try s.members { key, s in
            switch key {
            case "type": type = try s.string()
            case "action": body.action = try s.optionalString()
            case "key": body.key = try s.optionalString()
            case "title": body.title = try s.optionalString()
            case "text": body.text = try s.optionalString()
            case "description": body.description = try s.optionalString()
            case "severity": body.severity = try s.optionalString()
            case "service": body.service = try s.optionalString()
            case "tags": body.tags = try s.null() ? nil : TagValues(values: s.stringMap())
            case "rule": body.rule = try s.optionalString()
            case "link": body.link = try s.optionalString()
            case "at": body.at = try s.optionalString()
            default: try s.skip()
            }
        }
        guard let type else { throw JSONScanner.Unreadable() }
        body.type = type
        return body
    }
}
