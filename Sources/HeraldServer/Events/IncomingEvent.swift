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

/// A run of alerts with one key and one state that a payload sent before its last alert with that
/// key; or, past ``maxEntries`` runs, all the remaining runs summed up in one.
struct CollapsedRun: Sendable, Equatable {
    /// `trigger` (firing) or `resolve` (resolved); nil for the runs summed up.
    var action: IncidentAction?
    var firing = 0
    var resolved = 0
    var runs = 1

    /// At most this many timeline entries per applied alert, however the payload alternates.
    static let maxEntries = 20

    /// The timeline entry that records the run.
    var summary: String {
        let tail = "with this key earlier in the same payload (collapsed: the last alert with the key applies)"
        switch action {
        case .resolve?: return (resolved == 1 ? "1 resolved alert " : "\(resolved) resolved alerts ") + tail
        case .some: return (firing == 1 ? "1 firing alert " : "\(firing) firing alerts ") + tail
        case nil: return "\(firing + resolved) more alerts (\(firing) firing, \(resolved) resolved, in \(runs) runs) " + tail
        }
    }

    /// Runs of equal actions, in order ([trigger, trigger, resolve] → [2 firing, 1 resolved]), the
    /// ones past ``maxEntries`` summed up in the last entry.
    static func runs(_ actions: some Sequence<IncidentAction>) -> [CollapsedRun] {
        var all: [CollapsedRun] = []
        for action in actions {
            let firing = action == .resolve ? 0 : 1
            if let last = all.last, last.action == action {
                all[all.count - 1].firing += firing
                all[all.count - 1].resolved += 1 - firing
            } else {
                all.append(CollapsedRun(action: action, firing: firing, resolved: 1 - firing))
            }
        }
        guard all.count > maxEntries else { return all }
        let rest = all[(maxEntries - 1)...]
        let summed = CollapsedRun(action: nil, firing: rest.reduce(0) { $0 + $1.firing }, resolved: rest.reduce(0) { $0 + $1.resolved },
                                  runs: rest.count)
        return Array(all.prefix(maxEntries - 1)) + [summed]
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
    /// Herald's API named an alert rule the project does not have.
    case unknownRule(String)
}
