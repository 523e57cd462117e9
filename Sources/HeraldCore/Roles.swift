/// A member's role in an organization (SPEC §1).
public enum OrgRole: String, Sendable, Codable, CaseIterable, Comparable {
    case owner, admin, responder, stakeholder

    /// Higher ranks include the powers of lower ones.
    public var rank: Int {
        switch self {
        case .owner: 3
        case .admin: 2
        case .responder: 1
        case .stakeholder: 0
        }
    }

    public static func < (lhs: OrgRole, rhs: OrgRole) -> Bool { lhs.rank < rhs.rank }
}

/// A member's role on a single project. Only `admin` exists today.
public enum ProjectRole: String, Sendable, Codable, CaseIterable {
    case admin
}

/// What a caller wants to do, for the access policy.
public enum Permission: Sendable, Equatable {
    /// See the organization and everything in it.
    case readOrg
    /// Create projects, manage members and organization settings.
    case manageOrg
    /// Grant or change the given role in the organization.
    case grantOrgRole(OrgRole)
    /// See a project.
    case readProject
    /// Manage a project: its services, keys, settings and project admins.
    case manageProject
    /// Act on incidents (acknowledge, resolve, reassign).
    case actOnIncidents
}

/// The caller's standing, as far as the policy needs to know it.
public struct Standing: Sendable, Equatable {
    public var orgRole: OrgRole?
    public var isProjectAdmin: Bool

    public init(orgRole: OrgRole?, isProjectAdmin: Bool = false) {
        self.orgRole = orgRole
        self.isProjectAdmin = isProjectAdmin
    }
}

/// The outcome of an access check. `hidden` means "answer as if it did not exist" (404), so that
/// nobody learns about another tenant's data; `forbidden` is for members without the power (403).
public enum AccessDecision: Sendable, Equatable {
    case allowed, forbidden, hidden
}

/// Who may do what (SPEC §1, §8): owners and admins manage their organization, project admins
/// their project, responders act on incidents, stakeholders only read; non-members see nothing.
public enum AccessPolicy {
    public static func decide(_ permission: Permission, for standing: Standing) -> AccessDecision {
        guard let role = standing.orgRole else { return .hidden }
        let allowed: Bool
        switch permission {
        case .readOrg, .readProject:
            allowed = true
        case .manageOrg:
            allowed = role >= .admin
        case .grantOrgRole(let granted):
            // Admins manage members but cannot make (or unmake) owners.
            allowed = role == .owner || (role == .admin && granted != .owner)
        case .manageProject:
            allowed = role >= .admin || standing.isProjectAdmin
        case .actOnIncidents:
            allowed = role >= .responder || standing.isProjectAdmin
        }
        return allowed ? .allowed : .forbidden
    }
}
