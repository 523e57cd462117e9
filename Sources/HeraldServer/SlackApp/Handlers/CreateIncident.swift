import Fluent
import Foundation
import HeraldCore
import SlackAPI

/// `/create_incident` (SPEC §6): opens the New incident modal with `views.open`, at once — the
/// command's `trigger_id` lasts 3 seconds, and the call goes on the interactive client, never
/// queued behind deliveries. Who may not act is told so instead.
struct CreateIncidentCommand: SlashCommandHandler {
    let command = "/create_incident"

    func handle(_ command: SlashCommand, _ context: SlackContext) async -> String? {
        do {
            let orgID = try await context.organization()
            _ = try await context.actor(in: orgID)
            let services = try await CreateIncidentModal.services(orgID: orgID, on: context.db)
            guard !services.isEmpty else { return "This organization has no services in Herald yet: add one first, then try again." }
            guard let token = try await context.installations.botToken(orgID: orgID) else { return ActorRefusal.notMember.message }
            let view = CreateIncidentModal.view(services: services, metadata: CreateIncidentModal.Metadata(org: orgID.apiString,
                                                                                                             channel: command.channelID))
            do {
                _ = try await context.slack.openView(token: token, triggerID: command.triggerID, view: view)
            } catch {
                context.logger.warning("views.open failed: \(error.code)")
                return "Slack did not open the form (\(error.code)). Try the command again."
            }
            return nil
        } catch {
            SlackText.log(error, logger: context.logger)
            return SlackText.message(for: error)
        }
    }
}

/// The New incident modal's submission (`callback_id` `create_incident`): checked (a missing title
/// or service comes back on its field), then the incident is opened through the same service as
/// the API and posted like any other, to its service's channel or the default one.
struct CreateIncidentSubmission: ViewSubmissionHandler {
    let callbackID = CreateIncidentModal.callbackID

    func handle(_ view: InteractionPayload.View, _ context: SlackContext) async -> ViewErrorsResponse? {
        do {
            let orgID = try await context.organization()
            let actor = try await context.actor(in: orgID)
            var errors: [String: String] = [:]
            let title = view.value(block: "title", action: "title")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if title.isEmpty { errors["title"] = "Enter a title for the incident." }
            let serviceRef = view.value(block: "service", action: "service") ?? ""
            var found: Service?
            if let id = UUID(uuidString: serviceRef) { found = try await Service.query(on: context.db).filter(\.$id == id).with(\.$project).first() }
            if found == nil || found?.project.$organization.id != orgID { errors["service"] = "Choose one of the organization's services." }
            guard errors.isEmpty, let found else { return ViewErrorsResponse(errors: errors) }
            // A second submission of the same view (a retry) opens nothing more; a failed one may be tried again.
            let receipt = "view:\(view.id)"
            guard try await context.claim(receipt) else { return nil }
            let description = view.value(block: "description", action: "description")
            let draft = IncidentService.Draft(title: title, description: description?.isEmpty == true ? nil : description,
                                              severity: view.value(block: "severity", action: "severity"),
                                              service: try found.requireID().apiString, tags: nil)
            do {
                _ = try await context.incidents.open(draft, projectID: found.$project.id, actor: actor.email, source: "slack")
            } catch {
                try? await context.release(receipt)
                throw error
            }
            return nil
        } catch DomainError.invalid(let fields, _) {
            var errors: [String: String] = [:]
            for field in fields where errors[field.field] == nil {
                errors[["title", "description", "severity", "service"].contains(field.field) ? field.field : "title"] = field.detail
            }
            return ViewErrorsResponse(errors: errors)
        } catch {
            SlackText.log(error, logger: context.logger)
            return ViewErrorsResponse(errors: ["title": SlackText.message(for: error)])
        }
    }
}

/// The New incident modal: a service of the organization, a title, an optional description and a
/// severity.
enum CreateIncidentModal {
    static let callbackID = "create_incident"

    /// Where the modal came from, carried through Slack in `private_metadata`.
    struct Metadata: Codable, Equatable {
        var org: String
        var channel: String?
    }

    /// The organization's services, named with their project, in a stable order (Slack shows at most 100).
    static func services(orgID: UUID, on db: any Database) async throws -> [(id: UUID, label: String)] {
        let projects = try await Project.query(on: db).filter(\.$organization.$id == orgID).all()
        var names: [UUID: String] = [:]
        for project in projects { names[try project.requireID()] = project.name }
        guard !names.isEmpty else { return [] }
        let services = try await Service.query(on: db).filter(\.$project.$id ~~ Array(names.keys)).all()
        return try services.map { (try $0.requireID(), "\(names[$0.$project.id] ?? "") · \($0.name)") }
            .sorted { $0.label.lowercased() < $1.label.lowercased() }
    }

    static func view(services: [(id: UUID, label: String)], metadata: Metadata) -> ModalView {
        let options = services.prefix(SlackLimits.maxSelectOptions).map { OptionObject(String($0.label.prefix(75)), value: $0.id.apiString) }
        let severities = Severity.allCases.map { OptionObject($0.rawValue.capitalized, value: $0.rawValue) }
        let json = (try? JSONEncoder().encode(metadata)).map { String(decoding: $0, as: UTF8.self) }
        return ModalView(
            callbackID: callbackID, title: .plain("New incident"), submit: .plain("Create"), close: .plain("Cancel"),
            blocks: [
                .input(InputBlock(label: .plain("Service"), element: .staticSelect(StaticSelectElement(
                    placeholder: .plain("Choose a service"), actionID: "service", options: Array(options))), blockID: "service")),
                .input(InputBlock(label: .plain("Title"), element: .plainTextInput(PlainTextInputElement(
                    actionID: "title", placeholder: .plain("What is wrong?"), maxLength: 250)), blockID: "title")),
                .input(InputBlock(label: .plain("Description"), element: .plainTextInput(PlainTextInputElement(
                    actionID: "description", multiline: true, maxLength: 3000)), blockID: "description", optional: true)),
                .input(InputBlock(label: .plain("Severity"), element: .staticSelect(StaticSelectElement(
                    placeholder: .plain("Choose a severity"), actionID: "severity", options: severities,
                    initialOption: severities.first { $0.value == Severity.error.rawValue })), blockID: "severity", optional: true)),
            ],
            privateMetadata: json)
    }
}
