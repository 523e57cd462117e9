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
    /// Earlier alerts with the same key in the same payload, collapsed into this one (Alertmanager):
    /// not applied, but recorded on the timeline before this event's own entry.
    var collapsed: [CollapsedRun] = []
}

/// A run of alerts with one key and one state that a payload sent before its last alert with that key.
struct CollapsedRun: Sendable, Equatable {
    /// `trigger` (firing) or `resolve` (resolved).
    var action: IncidentAction
    var count: Int

    /// The timeline entry that records the run.
    var summary: String {
        let state = action == .resolve ? "resolved" : "firing"
        let alerts = count == 1 ? "1 \(state) alert" : "\(count) \(state) alerts"
        return "\(alerts) with this key earlier in the same payload (collapsed: the last alert with the key applies)"
    }

    /// Runs of equal actions, in order: [trigger, trigger, resolve] → [trigger ×2, resolve ×1].
    static func runs(_ actions: some Sequence<IncidentAction>) -> [CollapsedRun] {
        var runs: [CollapsedRun] = []
        for action in actions {
            if runs.last?.action == action { runs[runs.count - 1].count += 1 } else { runs.append(CollapsedRun(action: action, count: 1)) }
        }
        return runs
    }
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
    /// The event names a service the project does not have (answered 404, field `service`).
    case unknownService(String)
}
