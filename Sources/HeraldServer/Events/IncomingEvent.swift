import Foundation
import HeraldCore

/// An event as every intake (Herald's API, PagerDuty, Alertmanager, Slack, the incident API)
/// hands it to ``EventIntake``, already validated.
struct IncomingEvent: Sendable {
    enum Kind: Sendable, Equatable {
        case notification
        case incident(IncidentAction)
    }

    var kind: Kind
    var key: String?
    var title: String?
    /// Notification text, or the incident's description.
    var text: String?
    var severity: Severity?
    /// A service id or name in the project.
    var service: String?
    var tags: [String: String] = [:]
    var link: String?
    var rule: String?
    /// When it happened (the sender's time); defaults to when Herald received it.
    var at: Date?
    /// `api`, `pagerduty`, `alertmanager`, `herald` (people in Herald), `slack`.
    var source: String
    /// Who did it, for the timeline (a person's email, or the sender).
    var actor: String?
}

/// What an accepted event did.
struct IntakeResult: Sendable {
    var eventID: UUID
    var incidentID: UUID?
    /// notified, opened, appended, acknowledged, resolved, reassigned, unchanged, refused.
    var outcome: String
    var key: String?
    /// Why the action was refused (outcome `refused`); the refusal is recorded before it is reported.
    var reason: String? = nil

    /// Refusals are committed to the timeline first, then reported to the caller as an error.
    func throwIfRefused() throws -> IntakeResult {
        if outcome == "refused", let incidentID { throw IntakeError.refused(incidentID: incidentID, reason: reason ?? "refused") }
        return self
    }
}

/// Errors of intake that callers turn into their own answers.
enum IntakeError: Error, Sendable {
    case noOpenIncident(key: String)
    case refused(incidentID: UUID, reason: String)
    /// The event key was revoked after the request was authenticated.
    case keyRevoked
}
