import Fluent
import Foundation
import HeraldCore
import HeraldSinks
import Outbound
import SQLKit

/// A project's integrations (SPEC §1, §8): validation per sink type, sealed write-only secrets,
/// the test message, and deletion that withdraws pending deliveries. Callers have checked the
/// caller's permissions; every change drops the project's routing entry.
struct IntegrationService: Sendable {
    let services: HeraldServices
    let db: any Database

    /// A validated integration: what is stored (the credential sealed).
    struct Spec: Sendable {
        var name: String
        var source: IntegrationSource
        var sink: SinkType
        var target: String
        /// nil: a Slack integration that sends with the project's effective token.
        var credential: SinkCredential?
        /// `slack` only: updates also posted in the living message's thread.
        var threadUpdates = false
    }

    /// A create or `PATCH` body, before validation. In a `PATCH`, absent fields keep their value
    /// and a `sink` without its secret keeps the stored one.
    struct Body: Decodable, Sendable {
        var name: String?
        var source: String?
        var sink: SinkBody?
    }

    struct SinkBody: Decodable, Sendable {
        var type: String?
        var channel: String?
        var token: String?
        var url: String?
        var authToken: String?
        var secret: String?
        var threadUpdates: Bool?
    }

    static let maxURLLength = 2048

    // MARK: Validation

    /// Checks a body against the stored integration (nil when creating); every bad field at once.
    func validate(_ body: Body, existing: (Integration, SinkCredential?)? = nil) throws -> Spec {
        var errors: [FieldError] = []
        var name = existing?.0.name ?? ""
        if let raw = body.name {
            do { name = try Validate.name(raw) } catch { errors.append(error) }
        } else if existing == nil {
            errors.append(FieldError(field: "name", detail: "is required"))
        }
        var source = existing.flatMap { IntegrationSource(rawValue: $0.0.source) } ?? .all
        if let raw = body.source {
            if let parsed = IntegrationSource(rawValue: raw) { source = parsed } else {
                errors.append(FieldError(field: "source", detail: "must be one of notifications, incidents, all, rules"))
            }
        } else if existing == nil {
            errors.append(FieldError(field: "source", detail: "is required: notifications, incidents, all or rules"))
        }
        let known = SinkType.all.map(\.rawValue)
        var sinkType = existing.map { SinkType($0.0.sink) }
        var target = existing?.0.target ?? ""
        var credential = existing?.1
        if let sink = body.sink {
            if let raw = sink.type {
                if known.contains(raw) {
                    if sinkType?.rawValue != raw { credential = nil; target = "" }
                    sinkType = SinkType(raw)
                } else {
                    errors.append(FieldError(field: "sink.type", detail: "must be one of \(known.joined(separator: ", "))"))
                }
            } else if sinkType == nil {
                errors.append(FieldError(field: "sink.type", detail: "is required: one of \(known.joined(separator: ", "))"))
            }
            if let type = sinkType, known.contains(type.rawValue) {
                applySink(sink, type: type, target: &target, credential: &credential, creating: existing == nil || existing?.0.sink != type.rawValue,
                          errors: &errors)
            }
        } else if existing == nil {
            errors.append(FieldError(field: "sink", detail: "is required: {type, …} with the sink's settings"))
        }
        var threads = existing?.0.sink == SinkType.slack.rawValue ? existing?.0.threadUpdates ?? false : false
        // Only Slack threads; the field means nothing to another sink.
        if let asked = body.sink?.threadUpdates, sinkType == .slack { threads = asked }
        if sinkType != .slack { threads = false }
        try DomainError.throwIfInvalid(errors)
        guard let sinkType else { throw DomainError.invalid(FieldError(field: "sink.type", detail: "is required")) }
        return Spec(name: name, source: source, sink: sinkType, target: target, credential: credential, threadUpdates: threads)
    }

    /// The sink's fields for its type: what each needs, secrets kept when not given again.
    private func applySink(_ sink: SinkBody, type: SinkType, target: inout String, credential: inout SinkCredential?, creating: Bool,
                           errors: inout [FieldError]) {
        func secret(_ raw: String?, field: String) -> String? {
            guard let raw else { return nil }
            do {
                let value = try SecretInput.token(raw, field: field)
                return value.isEmpty ? nil : value
            } catch {
                errors.append(error)
                return nil
            }
        }
        func url(_ raw: String?, old: String?) -> String? {
            // A PATCH's empty URL is no URL, not "keep": refused like any other bad URL below.
            guard let raw else {
                if old == nil { errors.append(FieldError(field: "sink.url", detail: "is required for a \(type) integration")) }
                return old
            }
            do { return try checkURL(raw, type: type) } catch {
                errors.append(error)
                return old
            }
        }
        func channel(required: Bool) {
            guard let raw = sink.channel else {
                if required, target.isEmpty { errors.append(FieldError(field: "sink.channel", detail: "is required for a \(type) integration")) }
                return
            }
            let trimmed = raw.trimmingCharacters(in: SlackChannels.surroundingSpace)
            if trimmed.isEmpty {
                if required { errors.append(FieldError(field: "sink.channel", detail: "must not be empty")) } else { target = "" }
                return
            }
            do { target = try SlackChannels.normalize(trimmed, field: "sink.channel") } catch { errors.append(error) }
        }
        switch type {
        case .slack:
            channel(required: true)
            if let token = secret(sink.token, field: "sink.token") { credential = .token(token: token) }
        case .slackWebhook:
            channel(required: false)
            if let url = url(sink.url, old: creating ? nil : credential?.url) { credential = .url(url: url) }
        case .hipchat:
            target = ""
            var token: String?
            if case .room(_, let old) = credential { token = old }
            if let given = secret(sink.authToken, field: "sink.authToken") { token = given }
            if token == nil, !errors.contains(where: { $0.field == "sink.authToken" }) {
                errors.append(FieldError(field: "sink.authToken", detail: "is required for a hipchat integration (the room's auth token)"))
            }
            if let url = url(sink.url, old: creating ? nil : credential?.url), let token { credential = .room(url: url, authToken: token) }
        case .webhook:
            target = ""
            var signing: String?
            if case .signed(_, let old) = credential { signing = old }
            if let raw = sink.secret { signing = raw.isEmpty ? nil : secret(raw, field: "sink.secret") }
            if let url = url(sink.url, old: creating ? nil : credential?.url) { credential = .signed(url: url, secret: signing) }
        default: // mattermost, discord, teams: the webhook URL says it all
            target = ""
            if let url = url(sink.url, old: creating ? nil : credential?.url) { credential = .url(url: url) }
        }
    }

    /// What the OpenAPI document's `WebhookURL` allows, exactly: `http` or `https` in lower case, a
    /// host of letters, digits, dots and hyphens (a name or an IPv4 address), an optional port, and
    /// a path and query of URL characters and percent escapes; spaces and line breaks around it.
    nonisolated(unsafe) static let urlPattern = try! Regex(
        #"^[ \t\r\n]*https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(?:/(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*)?(?:\?(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?[ \t\r\n]*$"#)

    /// A URL as the document's `WebhookURL` allows, at most 2048 characters as sent; a literal
    /// address Herald never sends to and a retired Teams connector are refused now rather than at
    /// every send.
    func checkURL(_ raw: String, type: SinkType) throws(FieldError) -> String {
        guard raw.unicodeScalars.count <= Self.maxURLLength else {
            throw FieldError(field: "sink.url", detail: "must be at most \(Self.maxURLLength) characters")
        }
        let text = raw.trimmingCharacters(in: SlackChannels.surroundingSpace)
        guard !text.isEmpty else { throw FieldError(field: "sink.url", detail: "must not be empty") }
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else {
            throw FieldError(field: "sink.url", detail: "must be an http or https URL")
        }
        guard (try? Self.urlPattern.wholeMatch(in: raw)) != nil, let url = URL(string: text), let host = url.host(percentEncoded: false),
              !host.isEmpty else {
            throw FieldError(field: "sink.url", detail: "must be an http(s) URL with a host name or IPv4 address, an optional port, and a path and query of URL characters")
        }
        if let literal = IPAddress(host),
           let block = OutboundAddressPolicy(extraDenied: services.configuration.outboundDeny).refusal(for: literal) {
            throw FieldError(field: "sink.url", detail: "is an address Herald does not send to (\(block))")
        }
        if type == .teams, TeamsSink.isRetiredConnector(url) {
            throw FieldError(field: "sink.url", detail: TeamsSink.retiredMessage)
        }
        return text
    }

    // MARK: Changes

    /// Creates the integration; a name used twice in the project is a `422` on `name`.
    func create(projectID: UUID, _ spec: Spec) async throws -> Integration {
        let integration = Integration()
        integration.id = UUID()
        integration.$project.id = projectID
        integration.createdAt = services.now()
        try apply(spec, to: integration)
        try await save(integration, projectID: projectID, creating: true)
        return integration
    }

    func update(_ integration: Integration, _ spec: Spec) async throws {
        try apply(spec, to: integration)
        try await save(integration, projectID: integration.$project.id, creating: false)
    }

    private func apply(_ spec: Spec, to integration: Integration) throws {
        let id = try integration.requireID()
        integration.name = spec.name
        integration.nameKey = spec.name.lowercased()
        integration.source = spec.source.rawValue
        integration.sink = spec.sink.rawValue
        integration.target = spec.target
        integration.threadUpdates = spec.threadUpdates
        integration.updatedAt = services.now()
        if let credential = spec.credential {
            let json = String(decoding: try JSONEncoder().encode(credential), as: UTF8.self)
            integration.credentialSealed = try services.security.secrets.seal(json, context: Integration.credentialContext(id))
            // A token's is the settings' own 8 characters, so the same token is one destination
            // whichever route names it; a URL's is 32, so two webhooks never share a pacing slot
            // by chance. Answers show 8.
            integration.credentialFingerprint = if case .token(let token) = credential {
                services.security.secrets.fingerprint(token)
            } else {
                services.security.secrets.derive("credential:" + credential.identity)
            }
        } else {
            integration.credentialSealed = nil
            integration.credentialFingerprint = nil
        }
    }

    private func save(_ integration: Integration, projectID: UUID, creating: Bool) async throws {
        defer { services.routing.cache.invalidate(projectID) }
        try await services.storage.writeGate.transaction(db) { db in
            try await db.lockRow(Project.self, id: projectID)
            var taken = Integration.query(on: db).filter(\.$project.$id == projectID).filter(\.$nameKey == integration.nameKey)
            if !creating { taken = taken.filter(\.$id != (try integration.requireID())) }
            if try await taken.first() != nil {
                throw DomainError.invalid(FieldError(field: "name", detail: "is already used by another integration of this project"))
            }
            if creating { try await integration.create(on: db) } else { try await integration.save(on: db) }
        }
    }

    /// Deletes the integration and withdraws its pending deliveries (`cancelled`), in one
    /// transaction: nothing is left retrying to a route that no longer exists. A send already in
    /// flight finishes; if it fails, it is cancelled too (its credential no longer resolves).
    ///
    /// When another integration of the project reaches the same place (same sink, target and
    /// secret), routing had sent its events there once, under this one's name: those messages move
    /// to the survivor, and their deliveries go on.
    func delete(_ integration: Integration) async throws -> Int {
        let id = try integration.requireID()
        let projectID = integration.$project.id
        defer { services.routing.cache.invalidate(projectID) }
        let now = services.now()
        return try await services.storage.writeGate.transaction(db) { db in
            let sql = db as! any SQLDatabase
            var twins = Integration.query(on: db).filter(\.$project.$id == projectID).filter(\.$id != id)
                .filter(\.$sink == integration.sink).filter(\.$target == integration.target)
            twins = integration.credentialFingerprint.map { twins.filter(\.$credentialFingerprint == $0) }
                ?? twins.filter(\.$credentialFingerprint == nil)
            if let twin = try await twins.sort(\.$createdAt).first() {
                try await sql.update(Message.schema)
                    .set("credential", to: Destination.integrationCredential(try twin.requireID().apiString))
                    .where("project_id", .equal, StoredUUID(projectID))
                    .where("credential", .equal, Destination.integrationCredential(id.apiString))
                    .run()
                try await integration.delete(on: db)
                return 0
            }
            let cancelled = try await sql.raw("""
                UPDATE deliveries SET state = 'cancelled', updated_at = \(bind: now), last_error_code = 'integration_deleted',
                  last_error = 'the integration was deleted'
                WHERE state = 'pending' AND project_id = \(bind: projectID)
                  AND EXISTS (SELECT 1 FROM messages m WHERE m.id = deliveries.message_id
                              AND m.credential = \(bind: Destination.integrationCredential(id.apiString)))
                RETURNING id
                """).all().count
            try await integration.delete(on: db)
            return cancelled
        }
    }

    /// What the integration's credential is now, opened.
    func credential(of integration: Integration) throws -> SinkCredential? {
        guard let sealed = integration.credentialSealed else { return nil }
        let json = try services.security.secrets.open(sealed, context: Integration.credentialContext(try integration.requireID()))
        return try JSONDecoder().decode(SinkCredential.self, from: Data(json.utf8))
    }

    // MARK: Test

    struct TestOutcome: Sendable {
        var ok: Bool
        var error: String?
        var detail: String?
        var reference: String?
    }

    /// Sends a test message through the integration's sink now (not through the outbox) and
    /// reports the sink's own outcome: Slack's error code, a webhook's HTTP status and a summary of its body.
    func sendTest(_ integration: Integration, projectName: String, sender: String) async throws -> TestOutcome {
        guard let sink = services.delivery.sinks[integration.sink] else {
            return TestOutcome(ok: false, error: "sink_unknown", detail: "this Herald cannot send to \(integration.sink)")
        }
        let credential: SinkCredential
        if let own = try self.credential(of: integration) {
            credential = own
        } else {
            let resolved = try await SlackSettingsStore.resolve(orgID: try await orgID(integration.$project.id), projectID: integration.$project.id,
                                                                secrets: services.security.secrets, on: db)
            guard let token = resolved.token else {
                throw DomainError.invalid(FieldError(field: "sink.token", detail: "the integration has no token and the project has none"))
            }
            credential = .token(token: token)
        }
        let now = services.now()
        let content = MessageContent.notification(NotificationView(
            title: "Herald test message", text: "The integration \u{201C}\(integration.name)\u{201D} works: Herald can send here. Sent by \(sender).",
            severity: .info, projectName: projectName, link: services.links.base.appendingPathComponent("integrations/\(try integration.requireID().apiString)"),
            at: now))
        let context = SendContext(deliveryID: "test-" + UUID().uuidString.lowercased(), attempt: 1, at: now)
        let result = await sink.post(sink.renderMessage(content), to: SinkAddress(target: integration.target, credential: credential), context: context)
        return switch result {
        case .sent(let reference, _): TestOutcome(ok: true, reference: reference)
        case .gone(let code, let detail), .permanent(let code, let detail), .transient(let code, let detail, _):
            TestOutcome(ok: false, error: code, detail: detail)
        }
    }

    private func orgID(_ projectID: UUID) async throws -> UUID {
        guard let project = try await Project.find(projectID, on: db) else { throw DomainError.notFound("Project") }
        return project.$organization.id
    }
}
