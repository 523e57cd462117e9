import Foundation
import HeraldCore
import HeraldSinks
import SlackAPI

/// `incident.acknowledge` (button, value = incident id).
struct AcknowledgeAction: BlockActionHandler {
    let actionID = "incident.acknowledge"

    func handle(_ action: InteractionPayload.Action, _ context: SlackContext) async throws {
        let (incidentID, actor) = try await IncidentActionTarget.resolve(action.value, context)
        try await context.incidents.act(.acknowledge, incidentID: incidentID, actor: actor.email, source: "slack")
    }
}

/// `incident.resolve` (button, value = incident id).
struct ResolveAction: BlockActionHandler {
    let actionID = "incident.resolve"

    func handle(_ action: InteractionPayload.Action, _ context: SlackContext) async throws {
        let (incidentID, actor) = try await IncidentActionTarget.resolve(action.value, context)
        try await context.incidents.act(.resolve, incidentID: incidentID, actor: actor.email, source: "slack")
    }
}

/// `incident.reassign` (a select of the organization's responders: the option's value is the
/// assignee's email; the block's id names the incident).
struct ReassignAction: BlockActionHandler {
    let actionID = "incident.reassign"

    func handle(_ action: InteractionPayload.Action, _ context: SlackContext) async throws {
        let block = action.blockID ?? ""
        let id = block.hasPrefix(SlackRenderer.incidentBlockPrefix) ? String(block.dropFirst(SlackRenderer.incidentBlockPrefix.count)) : nil
        let (incidentID, actor) = try await IncidentActionTarget.resolve(id, context)
        guard let email = action.selectedOption?.value, !email.isEmpty else {
            throw DomainError.invalid(FieldError(field: "assignee", detail: "choose someone to assign the incident to"))
        }
        try await context.incidents.reassign(incidentID: incidentID, orgID: actor.orgID, to: email.lowercased(), actor: actor.email,
                                             source: "slack")
    }
}

/// The incident a control names and the Herald user clicking it, who must be allowed to act on it.
enum IncidentActionTarget {
    static func resolve(_ value: String?, _ context: SlackContext) async throws -> (UUID, SlackContext.Actor) {
        guard let value, let id = UUID(uuidString: value), let found = try await context.incidents.find(id) else {
            throw DomainError.notFound("Incident", detail: "That incident no longer exists in Herald.")
        }
        return (id, try await context.actor(in: found.orgID))
    }
}
