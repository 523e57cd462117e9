/// SPEC §1/§2 incident rules, as a pure decision the server then applies with a conditional
/// database update (so concurrent writers cannot undo each other).
public enum IncidentStateMachine {
    /// What an action does, given the status of the open incident with that key (nil: none open).
    public enum Outcome: Sendable, Equatable {
        /// Open a new incident (trigger with no open incident — also after a resolve).
        case open
        /// Add to the open incident's timeline; its message shows the latest event (throttled).
        case append
        /// Move the open incident to this status; its message updates at once.
        case transition(to: IncidentStatus)
        /// Nothing to change (acknowledge of an acknowledged incident): recorded, no message.
        case unchanged
        /// Not allowed, with the reason recorded in the timeline (a late acknowledge).
        case refused(reason: String)
        /// No open incident has this key.
        case noOpenIncident
    }

    /// `current` is `.resolved` only when the server passes the latest, resolved incident with the key
    /// (so a late acknowledge is refused with a reason rather than lost).
    public static func decide(_ action: IncidentAction, current: IncidentStatus?) -> Outcome {
        switch (action, current) {
        case (.trigger, nil), (.trigger, .resolved): .open
        case (.trigger, .triggered), (.trigger, .acknowledged): .append
        case (.update, .triggered), (.update, .acknowledged): .append
        case (.update, nil), (.update, .resolved): .noOpenIncident
        case (.acknowledge, .triggered): .transition(to: .acknowledged)
        case (.acknowledge, .acknowledged): .unchanged
        case (.acknowledge, .resolved): .refused(reason: "the incident is already resolved")
        case (.acknowledge, nil): .noOpenIncident
        case (.resolve, .triggered), (.resolve, .acknowledged): .transition(to: .resolved)
        case (.resolve, .resolved): .unchanged
        case (.resolve, nil): .noOpenIncident
        }
    }
}
