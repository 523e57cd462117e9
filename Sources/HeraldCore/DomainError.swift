/// Why a domain operation was refused or failed, in the domain's own terms. Services throw these;
/// each edge translates them once: the API into problem+json, the Slack app into SPEC §6's
/// ephemeral texts, the pages into form errors.
public enum DomainError: Error, Sendable, Equatable {
    /// No such thing (or one the actor may not see): `what` names its kind ("Incident"); `detail`
    /// says more when the input named it; `field` is the input at fault.
    case notFound(_ what: String, detail: String? = nil, field: String? = nil)
    /// Input at fault, every field named; `summary` replaces the usual "field: detail; …" sentence.
    case invalid([FieldError], summary: String? = nil)
    /// The request contradicts the current state (a name taken, an incident already resolved).
    case conflict(String, field: String? = nil)
    /// The actor may see it but may not do it.
    case forbidden(String)
    /// The person acting from a chat cannot act on this organization's incidents.
    case actorRefused(ActorRefusal)
    /// Herald failed, not the caller.
    case internalFailure(String)

    /// One field at fault.
    public static func invalid(_ error: FieldError) -> DomainError { .invalid([error]) }

    /// Throws ``invalid(_:summary:)`` for the collected errors, if there are any.
    public static func throwIfInvalid(_ errors: [FieldError]) throws(DomainError) {
        if !errors.isEmpty { throw .invalid(errors) }
    }

    /// The sentence people read, whatever the edge.
    public var detail: String {
        switch self {
        case .notFound(let what, let detail, _): detail ?? "\(what) not found"
        case .invalid(let errors, let summary): summary ?? errors.map { "\($0.field): \($0.detail)" }.joined(separator: "; ")
        case .conflict(let detail, _), .forbidden(let detail), .internalFailure(let detail): detail
        case .actorRefused(let refusal): refusal.message
        }
    }

    /// The input at fault, if one is.
    public var field: String? {
        switch self {
        case .notFound(_, _, let field), .conflict(_, let field): field
        case .invalid(let errors, _): errors.first?.field
        case .forbidden, .actorRefused, .internalFailure: nil
        }
    }
}

/// Why someone acting from Slack may not act on an incident (SPEC §6), with the exact words Slack
/// shows them.
public enum ActorRefusal: String, Sendable, Equatable, CaseIterable {
    /// No Herald user has the Slack user's email.
    case notLinked
    /// The user is not a member of the incident's organization (or the workspace is not the
    /// organization's).
    case notMember
    /// A member, read-only.
    case stakeholder

    public var message: String {
        switch self {
        case .notLinked: "You have not linked your Slack account with your Herald account."
        case .notMember: "You are not a part of this Organization on Herald. Please contact your Admin."
        case .stakeholder:
            "You are a part of this Organization as a Stakeholder. You cannot take actions on incidents. Please contact your Admin to upgrade your role."
        }
    }
}
