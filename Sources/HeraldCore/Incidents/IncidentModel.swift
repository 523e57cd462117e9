import Foundation

/// An incident's status (SPEC §1): `triggered` → `acknowledged` → `resolved`, never back.
public enum IncidentStatus: String, Sendable, Codable, CaseIterable {
    case triggered, acknowledged, resolved

    public var isOpen: Bool { self != .resolved }
}

/// Severity, normalised from what senders write (PagerDuty, Alertmanager, people).
public enum Severity: String, Sendable, Codable, CaseIterable {
    case critical, error, warning, info
}

/// What an event asks of an incident.
public enum IncidentAction: String, Sendable, Codable, CaseIterable {
    case trigger, update, acknowledge, resolve
}
